"""Every query the dashboard issues, apart from layout.

Pages read the reporting layer (reporting.rpt_*: one row per benefit, per project, per portfolio
month, with the status vocabulary's labels, colours and flags already on each row) and only
select and format; histories come from the monthly marts and the snapshots, data quality from
the audit tables. The app reads the pipeline's *read copy* (`<warehouse>.read.duckdb`, published
atomically at the end of each successful run) through a read-only connection that is reopened
whenever a new copy is published, so it never holds the file `brw run` writes. Results are cached
with st.cache_data keyed on the copy's modification time: a new run shows up on the next page
view without a restart.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.read_copy import read_copy_path
from pipelines.formatting import plain_value
from pipelines.settings import DEFAULT_WAREHOUSE
from pipelines.vocabulary import STATUS_SQL, THRESHOLD_SQL, Vocabulary


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
    (default pipelines.console.CONSOLE_LIMITS: rows, bytes, seconds, memory). It runs in its own
    short-lived read-only worker process (pipelines.console.run_query), not on the shared connection:
    a heavy query neither holds the pages of other sessions nor takes this process's memory."""
    from pipelines.console import CONSOLE_LIMITS, run_query

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


BENEFIT_BOARD = "reporting.rpt_benefit_board"  # one row per valid benefit
PROJECT_BOARD = "reporting.rpt_project_board"  # one row per project in the register


def vocabulary() -> Vocabulary:
    """The benefit statuses (board order, labels, colours, flags) and the rule thresholds of the
    published warehouse (marts.dim_benefit_status, marts.dim_status_threshold), cached per copy."""
    statuses, thresholds = query(STATUS_SQL), query(THRESHOLD_SQL)
    return Vocabulary.from_rows(statuses.itertuples(index=False, name=None),
                                thresholds.itertuples(index=False, name=None))


def reporting_currency() -> str:
    """The currency the published warehouse converted its _reporting amounts to (marts.dim_project,
    built with BRW_REPORTING_CURRENCY); before a build (or with an empty register) the setting."""
    from pipelines.settings import SettingsError, parse_reporting_currency

    try:
        frame = query("SELECT any_value(reporting_currency) AS currency FROM marts.dim_project")
        code = frame["currency"].iloc[0] if not frame.empty else None
    except duckdb.Error:  # a warehouse built before the reporting currency existed
        code = None
    if isinstance(code, str) and code:
        return code
    try:
        return parse_reporting_currency(os.environ.get("BRW_REPORTING_CURRENCY"))
    except SettingsError:
        return "GBP"


def threshold_text(name: str) -> str:
    """A rule threshold as a sentence quotes it: 0.85, 60, 3."""
    return plain_value(float(vocabulary().threshold(name)))


@dataclass(frozen=True)
class Filters:
    """Sidebar filters, shared by every page (empty = everything)."""

    portfolios: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    business_units: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    # None: every currency, each amount in the reporting currency (the X_reporting columns); a
    # code: only the projects and benefits in that currency, with their original amounts.
    currency: str | None = None

    def money(self, col: str) -> str:
        """The column to show for the money column `col`: `col` itself for one original
        currency, `col_reporting` for all currencies in the reporting currency."""
        return col if self.currency else f"{col}_reporting"

    def currency_clause(self, alias: str) -> tuple[str, list]:
        """SQL condition keeping the rows whose money is shown (alias.currency = the chosen
        one; TRUE for all currencies in the reporting currency), with its parameters."""
        if not self.currency:
            return "TRUE", []
        return f"{alias}.currency = ?", [self.currency]

    def shown_currency(self, reporting: str) -> str:
        """The currency the money figures are in: the chosen one, else the reporting currency
        (`queries.reporting_currency()`)."""
        return self.currency or reporting

    def money_sum(self, alias: str, col: str, empty_is_zero: bool = False) -> str:
        """SQL aggregate adding up `col` of `alias` as shown: in the reporting currency, null as
        soon as one amount has no rate (a total missing some of its parts never reads as the
        total: show "no rate"); `empty_is_zero`: 0 when there is nothing to add (else null)."""
        shown = f"{alias}.{self.money(col)}"
        total = f"coalesce(sum({shown}), 0)" if empty_is_zero else f"sum({shown})"
        if self.currency:
            return total
        return f"CASE WHEN bool_or({alias}.{col} IS NOT NULL AND {shown} IS NULL) THEN NULL ELSE {total} END"

    def rate_missing(self, alias: str, col: str) -> str:
        """SQL aggregate: true when an amount of `col` is left without its reporting value (all
        currencies only; always false for one original currency)."""
        if self.currency:
            return "FALSE"
        return f"coalesce(bool_or({alias}.{col} IS NOT NULL AND {alias}.{col}_reporting IS NULL), FALSE)"

    def project_clause(self, alias: str) -> tuple[str, list]:
        """SQL condition on the portfolio, programme and business unit columns of `alias` (a
        reporting row of a project or a benefit), with its parameters."""
        parts, params = [], []
        for column, values in (
            ("portfolio", self.portfolios), ("programme", self.programmes), ("business_unit", self.business_units),
        ):
            if values:
                parts.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        return (" AND ".join(parts) or "TRUE"), params

    def benefit_clause(self, alias: str) -> tuple[str, list]:
        """The project condition plus the benefit owner, on a rpt_benefit_board alias."""
        sql, params = self.project_clause(alias)
        if self.owners:
            sql += f" AND {alias}.benefit_owner IN ({', '.join('?' for _ in self.owners)})"
            params = [*params, *self.owners]
        return sql, params

    def owner_scope(self, project_column: str) -> tuple[str, list]:
        """With an owner filter, only projects with a benefit of those owners; TRUE without."""
        if not self.owners:
            return "TRUE", []
        marks = ", ".join("?" for _ in self.owners)
        return (f"{project_column} IN (SELECT project_id FROM {BENEFIT_BOARD} WHERE benefit_owner IN ({marks}))",
                list(self.owners))
