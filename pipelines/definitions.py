"""The Dagster code location: ingest assets, dbt assets, the all-assets job, resources.

`dg dev` / `dagster dev` load `defs` (settings from BRW_* env vars); `brw run` builds its own
Definitions with the flags it was given.
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster._loggers import colored_console_logger

from pipelines.assets.dbt import BrwDbtCliResource, brw_dbt_assets, dbt_project
from pipelines.assets.ingest import ingest_assets
from pipelines.assets.checks import MART_CHECKS
from pipelines.assets.publish import warehouse_read_copy
from pipelines.assets.reports import benefit_alerts, board_pack
from pipelines.dbt_manifest import dbt_executable
from pipelines.jobs import ALL_ASSETS_JOB, board_cycle, landing_refresh, materialize_all
from pipelines.processes import dbt_executable_for
from pipelines.progress import progress_logger
from pipelines.resources import WarehouseResource
from pipelines.schedules import daily_refresh, monthly_board_cycle
from pipelines.sensors import kpi_landing_sensor
from pipelines.settings import Settings

__all__ = ["ALL_ASSETS_JOB", "build_definitions", "defs"]


def _mapping(settings: Settings):
    """The source mapping for lineage, or None (none, or not usable: the run reports why)."""
    from pipelines.mapping import MappingError, mapping_for

    try:
        return mapping_for(settings.source_dir, settings.mapping)
    except MappingError:
        return None


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.resolve()
    return Definitions(
        assets=[*ingest_assets(_mapping(settings)), brw_dbt_assets, warehouse_read_copy, benefit_alerts, board_pack],
        asset_checks=MART_CHECKS,
        jobs=[materialize_all, board_cycle, landing_refresh],
        schedules=[daily_refresh, monthly_board_cycle],
        sensors=[kpi_landing_sensor],
        resources={
            "warehouse": WarehouseResource(
                path=str(settings.warehouse),
                source_dir=str(settings.source_dir),
                as_of=settings.as_of.isoformat() if settings.as_of else "",
                reports_dir=str(settings.reports_dir),
                mapping=str(settings.mapping or ""),
            ),
            # dbt through a wrapper that makes it die with this process (pipelines.processes)
            "dbt": BrwDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable_for(dbt_executable())),
        },
        # The multiprocess executor re-imports the code location per step: ~10x slower on 2 cores.
        executor=in_process_executor,
        loggers={"console": colored_console_logger, "brw_progress": progress_logger},
    )


defs = build_definitions()
