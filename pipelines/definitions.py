"""The Dagster code location: ingest assets, dbt assets, the all-assets job, resources.

`dg dev` / `dagster dev` load `defs` (settings from BRW_* env vars); `brw run` builds its own
Definitions with the flags it was given.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster._loggers import colored_console_logger

from pipelines.assets.dbt import BrwDbtCliResource, brw_dbt_assets, dbt_project
from pipelines.assets.ingest import INGEST_ASSETS
from pipelines.assets.publish import warehouse_read_copy
from pipelines.dbt_manifest import dbt_executable
from pipelines.progress import progress_logger
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings

ALL_ASSETS_JOB = "materialize_all"

materialize_all = define_asset_job(
    ALL_ASSETS_JOB,
    selection=AssetSelection.all(),
    description="Ingest every source, dbt build (models, snapshots, tests), publish the dashboard's read copy.",
)


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.resolve()
    return Definitions(
        assets=[*INGEST_ASSETS, brw_dbt_assets, warehouse_read_copy],
        jobs=[materialize_all],
        resources={
            "warehouse": WarehouseResource(
                path=str(settings.warehouse),
                source_dir=str(settings.source_dir),
                as_of=settings.as_of.isoformat(),
            ),
            "dbt": BrwDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
        # The multiprocess executor re-imports the code location per step: ~10x slower on 2 cores.
        executor=in_process_executor,
        loggers={"console": colored_console_logger, "brw_progress": progress_logger},
    )


defs = build_definitions()
