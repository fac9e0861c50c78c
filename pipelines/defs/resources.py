"""The resources every domain shares: the DuckDB warehouse (with the source directory and as-of
date it serves) and dbt, bound to the settings by `resources_for` (pipelines.definitions)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from pipelines import load
from pipelines.dbt_manifest import dbt_executable
from pipelines.defs.transform.project import dbt_project
from pipelines.processes import child_env, dbt_executable_for
from pipelines.settings import Settings, parse_as_of

# A run tag that sets the run's as-of date (the monthly board cycle uses it); wins over the resource.
AS_OF_TAG = "brw/as_of"


class WarehouseResource(ConfigurableResource):
    """The warehouse file, the source directory it loads from, and the run's as-of date."""

    path: str
    source_dir: str
    as_of: str = ""  # YYYY-MM-DD; empty: the day the run starts
    reports_dir: str = ""  # where alerts and board packs are written
    mapping: str = ""  # a sources.yml elsewhere; empty: <source_dir>/sources.yml when present

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection: DuckDB allows one writing process, so never hold one open."""
        conn = load.connect(self.path, read_only=read_only)
        try:
            yield conn
        finally:
            conn.close()

    @property
    def source_path(self) -> Path:
        return Path(self.source_dir)

    def load_mapping(self):
        """The source mapping (pipelines.mapping.Mapping), or None: contract-format files."""
        from pipelines.mapping import mapping_for

        return mapping_for(self.source_path, self.mapping or None)


def run_as_of(context, warehouse: WarehouseResource) -> date:
    """The as-of date of this run: the brw/as_of run tag, else the resource's, else today."""
    tagged = context.run.tags.get(AS_OF_TAG) if context is not None else None
    value = tagged or warehouse.as_of
    return parse_as_of(value) if value else date.today()


class BrwDbtCliResource(DbtCliResource):
    """dbt through pipelines/dbt_child, which makes it die with this process (pipelines.processes).

    The wrapper also answers `dbt --version` (which dagster-dbt asks before every invocation)
    from the installed dbt-core package: dbt's own answer costs seconds (it asks PyPI for the
    latest release).
    """

    def cli(self, args, **kwargs):
        """The wrapper reads these variables to die with this process: a `kill -9` of `brw run`
        leaves no dbt writing the warehouse."""
        os.environ.update(child_env(dbt_executable()))
        return super().cli(args, **kwargs)


def resources_for(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resources of a code location serving these settings."""
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            source_dir=str(settings.source_dir),
            as_of=settings.as_of.isoformat() if settings.as_of else "",
            reports_dir=str(settings.reports_dir),
            mapping=str(settings.mapping or ""),
        ),
        "dbt": BrwDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable_for(dbt_executable())),
    }
