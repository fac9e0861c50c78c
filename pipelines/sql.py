"""Read-only ad-hoc SQL over the warehouse (`brw sql`, and the dashboard's SQL console).

Two guards: the connection is opened read-only, and only reading statements are accepted
(SELECT / WITH / FROM / DESCRIBE / SHOW / SUMMARIZE / PRAGMA show_..., EXPLAIN), so COPY,
ATTACH, EXPORT, INSTALL, SET and the like are refused before anything runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class ReadOnlySqlError(ValueError):
    """The statement would write or change state; nothing was run."""


class QueryTimeout(RuntimeError):
    pass


@dataclass
class QueryResult:
    frame: pd.DataFrame
    truncated: bool  # more rows than the limit existed


def check_read_only(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlySqlError(f"SQL does not parse: {exc}") from exc
    if not statements:
        raise ReadOnlySqlError("no SQL statement given")
    if len(statements) > 1:
        raise ReadOnlySqlError("one statement at a time, please")
    kind = statements[0].type
    if kind not in ALLOWED:
        raise ReadOnlySqlError(
            f"the warehouse is read-only here: {kind.name} statements are refused "
            "(allowed: SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )


def execute_read_only(
    conn: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None, timeout_s: float | None = None
) -> QueryResult:
    """Check that `sql` only reads, then run it on `conn` with a row limit and a time limit."""
    check_read_only(conn, sql)
    timer = None
    timed_out = threading.Event()
    if timeout_s:
        def _stop() -> None:
            timed_out.set()
            conn.interrupt()

        timer = threading.Timer(timeout_s, _stop)
        timer.start()
    try:
        relation = conn.sql(sql)
        if relation is None:
            return QueryResult(pd.DataFrame(), False)
        if limit is not None:
            frame = relation.limit(limit + 1).df()
            return QueryResult(frame.head(limit), len(frame) > limit)
        return QueryResult(relation.df(), False)
    except duckdb.InterruptException as exc:
        if timed_out.is_set():
            raise QueryTimeout(f"query stopped after the {timeout_s:g} s time limit") from exc
        raise
    finally:
        if timer:
            timer.cancel()


def run_query(
    warehouse: str | Path,
    sql: str,
    limit: int | None = None,
    timeout_s: float | None = None,
    external_access: bool = True,
) -> QueryResult:
    """Run one reading statement on a short-lived read-only connection."""
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `brw run` first")
    config = {} if external_access else {"enable_external_access": False}
    conn = duckdb.connect(str(path), read_only=True, config=config)
    try:
        return execute_read_only(conn, sql, limit, timeout_s)
    finally:
        conn.close()
