"""Dagster resources: the DuckDB warehouse (with the source directory and as-of date it serves)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from pipelines import ingest


class WarehouseResource(ConfigurableResource):
    """The warehouse file, the source directory it loads from, and the run's as-of date."""

    path: str
    source_dir: str
    as_of: str  # YYYY-MM-DD

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
