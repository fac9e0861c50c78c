"""Every query the dashboard issues, apart from layout.

The app reads the pipeline's *read copy* (`<warehouse>.read.duckdb`, published atomically at the
end of each successful run) through a read-only connection that is reopened whenever a new copy
is published, so it never holds the file `brw run` writes. Results are cached with st.cache_data keyed on the copy's modification
time: a new run shows up on the next page view without a restart.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.publish import read_copy_path
from pipelines.settings import DEFAULT_WAREHOUSE


class WarehouseUnavailable(RuntimeError):
    """No published warehouse to read yet (or it cannot be opened right now)."""


def warehouse_path() -> Path:
    return Path(os.environ.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE)


def source_path() -> Path:
    """The file the dashboard reads: the published read copy of the configured warehouse."""
    return read_copy_path(warehouse_path())


def version() -> float:
    """Changes whenever a run publishes a new copy: the cache key of every query."""
    path = source_path()
    return path.stat().st_mtime if path.exists() else 0.0


_lock = threading.Lock()
_shared: dict = {}  # the open read-only connection to the current read copy, and which file it is
# The shared connection reads only what the pages ask for, yet it is locked down like an ad-hoc
# one (issue 11, item 6): no files or URLs, a memory limit, and the configuration locked in the
# connect config itself, so no statement can change a setting for every session.
SHARED_CONFIG = {
    "enable_external_access": False,
    "memory_limit": "2GB",
    "threads": min(4, os.cpu_count() or 1),
    "lock_configuration": True,
}
_console_slots = threading.BoundedSemaphore(2)  # console queries running at once, one process each


def _connection(path: Path) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published copy. A new copy (new inode, new mtime) closes the
    old connection and opens the new file; the pipeline never writes the copy, so holding it
    open blocks nothing. Call with _lock held."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    if _shared.get("key") != key:
        if _shared.get("conn") is not None:
            _shared["conn"].close()  # DuckDB caches instances by path: close before reopening
        _shared["conn"] = duckdb.connect(str(path), read_only=True, config=SHARED_CONFIG)
        _shared["key"] = key
    return _shared["conn"]


def read(sql: str, params: list | tuple | None = None) -> pd.DataFrame:
    path = source_path()
    if not path.exists():
        raise WarehouseUnavailable(
            f"No warehouse has been published at {path} yet: run the pipeline first (`brw run` or `make run`)."
        )
    with _lock:  # queries of all sessions go one at a time through the shared connection
        try:
            conn = _connection(path)
        except (duckdb.Error, OSError) as exc:
            _shared.clear()
            raise WarehouseUnavailable(f"The warehouse copy cannot be opened right now ({exc}); try again.") from exc
        return conn.execute(sql, list(params or [])).df()


class ConsoleBusy(RuntimeError):
    """Every console slot is taken by other sessions' queries."""


def console_query(sql: str, limits=None):
    """The SQL console: one reading statement against the published copy within `limits`
    (default pipelines.sql.CONSOLE_LIMITS: rows, bytes, seconds, memory). It runs in its own
    short-lived read-only worker process (pipelines.sql.run_query), not on the shared connection:
    a heavy query neither holds the pages of other sessions nor takes this process's memory."""
    from pipelines.sql import CONSOLE_LIMITS, run_query

    limits = limits or CONSOLE_LIMITS
    path = source_path()
    if not path.exists():
        raise WarehouseUnavailable(
            f"No warehouse has been published at {path} yet: run the pipeline first (`brw run` or `make run`)."
        )
    if not _console_slots.acquire(timeout=limits.timeout_s or None):
        raise ConsoleBusy("the console is busy with other sessions' queries; try again in a moment")
    try:
        return run_query(path, sql, limits)
    finally:
        _console_slots.release()


@st.cache_data(show_spinner=False)
def cached(sql: str, params: tuple = (), version_key: float = 0.0) -> pd.DataFrame:
    """read() cached per (sql, params, warehouse version)."""
    return read(sql, params)


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    return cached(sql, tuple(params), version_key=version())


def has_relation(schema: str, name: str) -> bool:
    frame = query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        (schema, name),
    )
    return bool(frame["n"].iloc[0])


@dataclass(frozen=True)
class Filters:
    """Sidebar filters, shared by every page (empty = everything)."""

    portfolios: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    business_units: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    currency: str | None = None

    def project_clause(self, alias: str = "p") -> tuple[str, list]:
        """SQL condition on a dim_project alias (with parameters)."""
        parts, params = [], []
        for column, values in (
            ("portfolio", self.portfolios), ("programme", self.programmes), ("business_unit", self.business_units),
        ):
            if values:
                parts.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        return (" AND ".join(parts) or "TRUE"), params

    def benefit_clause(self, project_alias: str = "p", benefit_alias: str = "b") -> tuple[str, list]:
        """Project condition plus benefit owner and currency on a dim_benefit alias."""
        sql, params = self.project_clause(project_alias)
        if self.owners:
            sql += f" AND {benefit_alias}.benefit_owner IN ({', '.join('?' for _ in self.owners)})"
            params = [*params, *self.owners]
        return sql, params
