"""The Dagster code location `brw`: what `dg dev`, `dg check defs` and `brw run` load.

The domains under `pipelines/defs` (ingest, transform, publish, reports) are autoloaded the way
dg projects are. What depends on the settings is added here: the resources bound to the
warehouse and source directory, and the ingest assets (a sources.yml mapping adds the files it
reads to the lineage). `dg dev` takes the settings from BRW_* env vars; `brw run` passes its flags.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.ingest.assets import ingest_assets
from pipelines.defs.jobs import ALL_ASSETS_JOB
from pipelines.defs.resources import resources_for
from pipelines.progress import progress_logger
from pipelines.settings import REPO_ROOT, Settings

__all__ = ["ALL_ASSETS_JOB", "build_definitions", "defs"]


def _mapping(settings: Settings):
    """The source mapping for lineage, or None (none, or not usable: the run reports why)."""
    from pipelines.mapping import MappingError, mapping_for

    try:
        return mapping_for(settings.source_dir, settings.mapping)
    except MappingError:
        return None


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.resolve()
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=REPO_ROOT),
        dg.Definitions(
            assets=ingest_assets(_mapping(settings)),
            resources=resources_for(settings),
            # The multiprocess executor re-imports the code location per step: ~10x slower on 2 cores.
            executor=dg.in_process_executor,
            loggers={"console": dg.colored_console_logger, "brw_progress": progress_logger},
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
