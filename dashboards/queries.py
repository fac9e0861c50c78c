"""Every query the dashboard issues, apart from layout. Short-lived read-only connections only."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.settings import DEFAULT_WAREHOUSE


class WarehouseUnavailable(RuntimeError):
    pass


def warehouse_path() -> Path:
    return Path(os.environ.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE)


def warehouse_version(path: Path | None = None) -> float:
    """Changes whenever a pipeline run rewrites the file: the cache key of every query."""
    path = path or warehouse_path()
    return path.stat().st_mtime if path.exists() else 0.0


def read(sql: str, params: list | None = None, path: Path | None = None) -> pd.DataFrame:
    path = path or warehouse_path()
    if not path.exists():
        raise WarehouseUnavailable(f"No warehouse at {path} yet: run the pipeline first (`brw run` or `make run`).")
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:  # the pipeline holds the write lock right now
        raise WarehouseUnavailable(f"The pipeline is writing the warehouse; try again in a moment. ({exc})") from exc
    try:
        return conn.execute(sql, params or []).df()
    finally:
        conn.close()


def has_audit(path: Path | None = None) -> bool:
    frame = read(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'audit' AND table_name = 'load_audit'",
        path=path,
    )
    return bool(frame["n"].iloc[0])


def last_load_per_file(path: Path | None = None) -> pd.DataFrame:
    return read(
        """
        SELECT source, source_file, rows_read, rows_loaded, rows_quarantined, loaded_at AS last_loaded_at
        FROM audit.load_audit
        QUALIFY row_number() OVER (PARTITION BY source_file ORDER BY loaded_at DESC) = 1
        ORDER BY source, source_file
        """,
        path=path,
    )


def loads_by_run(path: Path | None = None) -> pd.DataFrame:
    return read(
        """
        SELECT run_id, min(loaded_at) AS loaded_at, count(*) AS files,
               sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
               sum(rows_quarantined) AS rows_quarantined
        FROM audit.load_audit GROUP BY run_id ORDER BY loaded_at DESC
        """,
        path=path,
    )


def quarantine_by_reason(path: Path | None = None) -> pd.DataFrame:
    return read(
        "SELECT reason, source_file, count(*) AS rows FROM audit.quarantine GROUP BY ALL ORDER BY rows DESC, reason",
        path=path,
    )


def quarantined_rows(limit: int = 500, path: Path | None = None) -> pd.DataFrame:
    return read(
        """SELECT source_file, row_number, reason, column_name, detail, record, loaded_at
        FROM audit.quarantine ORDER BY source_file, row_number LIMIT ?""",
        [limit],
        path=path,
    )
