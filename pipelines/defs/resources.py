"""Dagster resources: the DuckDB warehouse (with the source directory and as-of date it serves)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from pipelines import ingest
from pipelines.settings import parse_as_of

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
        conn = ingest.connect(self.path, read_only=read_only)
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
