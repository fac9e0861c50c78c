"""The resources every domain shares: the DuckDB warehouse (with the source directory and as-of
date it serves) and dbt, bound to the settings by `resources_for` (pipelines.definitions)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from pipelines import load
from pipelines.dbt_manifest import dbt_executable
from pipelines.defs.transform.project import dbt_project
from pipelines.processes import PARENT_ENV, dbt_launcher, wrapper_args
from pipelines.settings import DBT_TARGET_DIR, DEFAULT_REPORTING_CURRENCY, Settings, dbt_file_log_env


class WarehouseResource(ConfigurableResource):
    """The warehouse file, the source directory it loads from, the run's as-of date and the
    reporting currency."""

    path: str
    source_dir: str
    as_of: str = ""  # YYYY-MM-DD; empty: the day the run starts
    reports_dir: str = ""  # where alerts and board packs are written
    mapping: str = ""  # a sources.yml elsewhere; empty: <source_dir>/sources.yml when present
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY  # BRW_REPORTING_CURRENCY: the _reporting columns

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


class BrwDbtCliResource(DbtCliResource):
    """dbt through pipelines/dbt_child (started by its launcher, `processes.dbt_launcher`), which
    makes it die with this process and gives it the run's own variables (pipelines.processes).

    The wrapper also answers `dbt --version` (which dagster-dbt asks before every invocation)
    from the installed dbt-core package: dbt's own answer costs seconds (it asks PyPI for the
    latest release).
    """

    def _initialize_dbt_core_adapter(self, args):
        """No dbt adapter in this process. dagster-dbt builds one before every invocation (2.4–2.7 s
        here: dbt's profile, project and base macros) only for the optional metadata fetches
        (`fetch_row_counts`, `fetch_column_metadata`), which this project does not ask for; with
        none, the events stream as dbt emits them. A private hook of dagster-dbt 0.29:
        tests/test_definitions.py fails if it goes away or is no longer what `cli` calls."""
        return None

    def cli(self, args, *, env: Mapping[str, str] | None = None, **kwargs):
        """`dbt.cli`, with `env` added to dbt's environment only: the wrapper takes it (and this
        process's pid, to die with it: a `kill -9` of `brw run` leaves no dbt writing the
        warehouse) from leading arguments, so this process's environment is never changed."""
        dbt_launcher(dbt_executable(), DBT_TARGET_DIR)  # again, in case `dbt clean` removed it
        handed = {PARENT_ENV: str(os.getpid()), **dbt_file_log_env(), **(env or {})}
        return super().cli([*wrapper_args(handed), *args], **kwargs)


def resources_for(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resources of a code location serving these settings."""
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse),
            source_dir=str(settings.source_dir),
            as_of=settings.as_of.isoformat() if settings.as_of else "",
            reports_dir=str(settings.reports_dir),
            mapping=str(settings.mapping or ""),
            reporting_currency=settings.reporting_currency,
        ),
        "dbt": BrwDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_launcher(dbt_executable(), DBT_TARGET_DIR)),
    }
