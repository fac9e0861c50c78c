"""One ad-hoc query against the warehouse file: `run_query`, what `brw sql` and the console call."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipelines.console.connection import execute_read_only, open_read_only
from pipelines.console.limits import CLI_LIMITS, Limits, QueryResult
from pipelines.console.statements import check_read_only
from pipelines.console.worker import run_in_worker


def run_query(
    warehouse: str | Path,
    sql: str,
    limits: Limits | None = None,
    *,
    limit: int | None = None,
    timeout_s: float | None = None,
) -> QueryResult:
    """Run one reading statement against `warehouse` within `limits` (default CLI_LIMITS;
    `limit` and `timeout_s` override its rows and seconds). The statement is checked here first
    (a refusal costs nothing). With a memory limit the query runs in a worker process (see
    pipelines.console.worker); without one, on a short-lived read-only connection in this process."""
    limits = limits or CLI_LIMITS
    if limit is not None:
        limits = replace(limits, max_rows=limit)
    if timeout_s is not None:
        limits = replace(limits, timeout_s=timeout_s)
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `brw run` first")
    check_read_only(sql)
    if limits.memory_limit is not None:
        return run_in_worker(path, sql, limits)
    conn = open_read_only(path, limits)
    try:
        return execute_read_only(conn, sql, limits)
    finally:
        conn.close()
