"""Every query the dashboard issues, apart from layout.

Pages read the reporting layer (reporting.rpt_*: one row per benefit, per project, per portfolio
month, with the status vocabulary's labels, colours and flags already on each row) and only
select and format; histories come from the monthly marts and the snapshots, data quality from
the audit tables. The app reads the pipeline's *read copy* (`<warehouse>.read.duckdb`, published
atomically at the end of each successful run) through a read-only Catalog that is reopened
whenever a new copy is published, so it never holds the file `brw run` writes. Each query runs on
its own cursor, in the catalog of the session principal's scope (row-level access: see Catalog).
Results are cached with st.cache_data keyed on the copy's modification time and the scope: a new
run shows up on the next page view without a restart.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards import access
from dashboards.access import Principal
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
    """Changes whenever a run publishes a new copy: the cache key of every query. It is the
    modification time of the copy the queries read now (the current Catalog's): while one session
    opens a newly published copy, the others still read the previous one, and their results are
    cached under its version, not the new one's."""
    path = source_path()
    if not path.exists():
        return 0.0
    try:
        return catalog(path).mtime
    except (duckdb.Error, OSError):  # read() reports it (WarehouseUnavailable)
        return 0.0


_swap_lock = threading.Lock()  # guards only the swap to a newly published copy, not the queries
_current: dict = {}  # the Catalog of the current read copy, and which file (inode, mtime) it is
_opening: set = set()  # the (path, inode, mtime) of a copy a session is opening right now
# Every query is locked down like an ad-hoc one (issue 11, item 6): no files or URLs, a memory
# limit, and the configuration locked once the copy is attached, so no statement can change a
# setting for every session.
CATALOG_CONFIG = {
    "memory_limit": "2GB",
    "threads": min(4, os.cpu_count() or 1),
}
_console_slots = threading.BoundedSemaphore(2)  # console queries running at once, one process each


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]::VARCHAR[]"


# Relations that carry no rows of a benefit, project, KPI or portfolio: every role reads them whole.
REFERENCE_RELATIONS = frozenset({("marts", "dim_benefit_status"), ("marts", "dim_status_threshold")})
# Text columns listing other benefits or their owners (', '-separated): a scoped role sees only
# the entries of its own benefits. Column -> how an entry names its benefit: "id" (the entry is a
# benefit id), "id_prefix" (the entry starts with one: "BEN-0001 eroding"), "owner".
ENUMERATION_COLUMNS = {
    "claiming_benefit_ids": "id",
    "flagged_benefit_list": "id_prefix",
    "benefit_owners": "owner",
    "flagged_benefit_owners": "owner",
}


class Catalog:
    """One read-only view of one published copy, shared by every session of this process.

    An in-memory DuckDB instance ATTACHes the copy as `wh` (READ_ONLY), then turns external
    access off and locks its configuration. Every query runs on a cursor of its own, so
    sessions' queries run side by side (no process-wide lock: one slow page no longer stalls the
    others). A full-access principal's cursor reads `wh`; a scoped principal's cursor reads the
    catalog of its scope (`USE s_<scope key>`), an in-memory database whose `marts.*` and
    `reporting.*` are views of `wh` filtered to the scope's benefits, projects, KPIs and
    portfolios (enumerations of other benefits masked), and which has no other schema at all:
    row-level access lives here, under every page's SQL, not in the pages."""

    def __init__(self, path: Path, mtime: float | None = None):
        self.path = path
        self.mtime = path.stat().st_mtime if mtime is None else mtime  # the version of its results
        self.conn = duckdb.connect(":memory:", config=CATALOG_CONFIG)
        try:
            self.conn.execute(f"ATTACH {_sql_text(str(path))} AS wh (READ_ONLY)")
            self.conn.execute("USE wh")
            self.conn.execute("SET enable_external_access = false")
            self.conn.execute("SET lock_configuration = true")
        except BaseException:
            self.conn.close()
            raise
        self._scopes: dict[str, str] = {}
        self._scope_lock = threading.Lock()  # guards _building only
        self._building: dict[str, threading.Lock] = {}  # one lock per scope: one build each
        self._principals: dict[str, Principal] = {}  # whose grants each scope was built for
        self._cursor_lock = threading.Lock()  # held while a cursor is made (microseconds), not while it runs

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cursor_lock:  # the parent connection's cursor list is not thread-safe
            return self.conn.cursor()

    def cursor(self, principal: Principal) -> duckdb.DuckDBPyConnection:
        cur = self._new_cursor()
        cur.execute(f"USE {'wh' if principal.full_access else self._scope(principal)}")
        return cur

    def _scope(self, principal: Principal) -> str:
        """The catalog of the principal's scope, built by its first query. A built scope is read
        without a lock; a build (about half a second on the 1M tier) holds only the sessions of
        that scope, not every scoped session."""
        key = principal.scope_key
        name = self._scopes.get(key)
        if name is not None:
            return name
        with self._scope_lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            if key not in self._scopes:
                self._build_scope(f"s_{key}", principal)
                self._principals[key] = principal
                self._scopes[key] = f"s_{key}"
        return self._scopes[key]

    def prepare_like(self, previous: Catalog) -> None:
        """Build the scopes `previous` had, before this Catalog replaces it: after a publish the
        scoped sessions find their catalogs ready instead of each waiting for its rebuild. The
        builds run side by side (DuckDB works outside the GIL); one that fails is left to the
        scope's first query."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=CATALOG_CONFIG["threads"]) as pool:
            for future in [pool.submit(self._scope, p) for p in list(previous._principals.values())]:
                future.exception()

    def _build_scope(self, name: str, principal: Principal) -> None:
        c = self._new_cursor()
        c.execute(f"ATTACH ':memory:' AS {name}")
        portfolios = _sql_list(principal.portfolios)
        owners = _sql_list(sorted({n.strip().lower() for n in principal.owner_names}))
        c.execute(
            f"""CREATE TABLE {name}.main.scope_benefits AS
            SELECT b.benefit_id, b.benefit_owner, b.project_id, b.kpi_id
            FROM wh.marts.dim_benefit b LEFT JOIN wh.marts.dim_project p USING (project_id)
            WHERE list_contains({portfolios}, p.portfolio) OR list_contains({owners}, lower(trim(b.benefit_owner)))"""
        )
        c.execute(
            f"""CREATE TABLE {name}.main.scope_projects AS
            SELECT project_id FROM wh.marts.dim_project WHERE list_contains({portfolios}, portfolio)
            UNION SELECT project_id FROM {name}.main.scope_benefits"""
        )
        c.execute(f"CREATE TABLE {name}.main.scope_kpis AS SELECT DISTINCT kpi_id FROM {name}.main.scope_benefits")
        ids, owner_names = c.execute(
            f"SELECT coalesce(list(DISTINCT benefit_id), []), coalesce(list(DISTINCT benefit_owner), []) "
            f"FROM {name}.main.scope_benefits"
        ).fetchone()
        relations = c.execute(
            """SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_catalog = 'wh' AND table_schema IN ('marts', 'reporting')
            GROUP BY ALL ORDER BY 1, 2"""
        ).fetchall()
        c.execute(f"CREATE SCHEMA {name}.marts")
        c.execute(f"CREATE SCHEMA {name}.reporting")
        for schema, table, columns in relations:
            select = ", ".join(self._masked(col, ids, owner_names) for col in columns)
            c.execute(f"CREATE VIEW {name}.{schema}.{table} AS SELECT {select} FROM wh.{schema}.{table} "
                      f"WHERE {self._row_filter(name, schema, table, columns, portfolios)}")
        c.close()

    @staticmethod
    def _row_filter(name: str, schema: str, table: str, columns: list[str], portfolios: str) -> str:
        if {"object_kind", "object_id"} <= set(columns):  # one row per benefit, project or KPI (board state)
            return (f"CASE object_kind WHEN 'benefit' THEN object_id IN (SELECT benefit_id FROM {name}.main.scope_benefits)"
                    f" WHEN 'project' THEN object_id IN (SELECT project_id FROM {name}.main.scope_projects)"
                    f" WHEN 'kpi' THEN object_id IN (SELECT kpi_id FROM {name}.main.scope_kpis) ELSE FALSE END")
        if "benefit_id" in columns:
            return f"benefit_id IN (SELECT benefit_id FROM {name}.main.scope_benefits)"
        if "project_id" in columns:
            return f"project_id IN (SELECT project_id FROM {name}.main.scope_projects)"
        if "kpi_id" in columns:
            return f"kpi_id IN (SELECT kpi_id FROM {name}.main.scope_kpis)"
        if "portfolio" in columns:
            return f"list_contains({portfolios}, portfolio)"
        return "TRUE" if (schema, table) in REFERENCE_RELATIONS else "FALSE"

    @staticmethod
    def _masked(column: str, ids: list[str], owners: list[str]) -> str:
        kind = ENUMERATION_COLUMNS.get(column)
        quoted = f'"{column}"'
        if kind is None:
            return quoted
        allowed = _sql_list(owners if kind == "owner" else ids)
        entry = "split_part(x, ' ', 1)" if kind == "id_prefix" else "x"
        return (f"nullif(array_to_string(list_filter(string_split({quoted}, ', '), "
                f"x -> list_contains({allowed}, {entry})), ', '), '') AS {quoted}")


def catalog(path: Path) -> Catalog:
    """The Catalog of the copy at `path`, reopened when a run publishes a new copy (new inode or
    mtime). The session that notices the new copy opens it outside any lock and builds the scopes
    the previous one had; meanwhile the other sessions keep reading the previous Catalog (they wait
    neither for the ATTACH nor for the scopes: about a second at 1M with ten scopes, once per
    publish, in one session's query). The old Catalog is dropped, not closed: queries still
    running on its cursors finish on the old file, which DuckDB closes with its last cursor."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    entry = _current.get("served")  # (key, Catalog), replaced as one value: read without a lock
    if entry is not None and entry[0] == key:
        return entry[1]
    with _swap_lock:
        served = _current.get("catalog")
        if _current.get("key") == key:
            return served
        if served is None or served.path != path:  # nothing to read meanwhile: open it here
            _serve(key, Catalog(path, mtime=stat.st_mtime))
            return _current["catalog"]
        if key in _opening:
            return served  # another session is opening the new copy: read the previous one meanwhile
        _opening.add(key)
    try:
        opened = Catalog(path, mtime=stat.st_mtime)
        opened.prepare_like(served)
    finally:
        with _swap_lock:
            _opening.discard(key)
    with _swap_lock:
        if _current.get("catalog") in (served, None):  # not replaced by a later copy meanwhile
            _serve(key, opened)
        return _current["catalog"]


def _serve(key: tuple, opened: Catalog) -> None:
    """Make `opened` the current Catalog (the caller holds _swap_lock)."""
    _current.update(catalog=opened, key=key, served=(key, opened))


def reset() -> None:
    """Forget the current Catalog (tests; the next query opens the copy again)."""
    with _swap_lock:
        _current.clear()
        _opening.clear()


_timers = threading.local()


@contextlib.contextmanager
def query_timer():
    """Collect (sql, seconds) of every warehouse read in this thread (cache misses only)."""
    timings: list[tuple[str, float]] = []
    previous = getattr(_timers, "timings", None)
    _timers.timings = timings
    try:
        yield timings
    finally:
        _timers.timings = previous


def read(sql: str, params: list | tuple | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """Run one page query for `principal` (default: access.current()) on its own cursor."""
    principal = principal or access.current()
    path = source_path()
    if not path.exists():
        raise WarehouseUnavailable(
            f"No warehouse has been published at {path} yet: run the pipeline first (`brw run` or `make run`)."
        )
    started = time.perf_counter()
    try:
        cur = catalog(path).cursor(principal)
    except (duckdb.Error, OSError) as exc:
        reset()
        raise WarehouseUnavailable(f"The warehouse copy cannot be opened right now ({exc}); try again.") from exc
    try:
        frame = cur.execute(sql, list(params or [])).df()
    finally:
        cur.close()
    timings = getattr(_timers, "timings", None)
    if timings is not None:
        timings.append((sql, time.perf_counter() - started))
    return frame


class ConsoleBusy(RuntimeError):
    """Every console slot is taken by other sessions' queries."""


def console_query(sql: str, limits=None):
    """The SQL console: one reading statement against the published copy within `limits`
    (default pipelines.console.CONSOLE_LIMITS: rows, bytes, seconds, memory). It runs in its own
    short-lived read-only worker process (pipelines.console.run_query), not on the shared connection:
    a heavy query neither holds the pages of other sessions nor takes this process's memory."""
    from pipelines.console import CONSOLE_LIMITS, run_query

    from dashboards import audit

    principal = access.current()
    if not principal.can("sql"):  # the page is not even registered for them: defence in depth
        audit.record("denied", principal, page="sql", detail={"sql": sql, "outcome": "not an analyst"})
        raise PermissionError("the SQL console is for analysts and admins")
    limits = limits or CONSOLE_LIMITS
    path = source_path()
    if not path.exists():
        raise WarehouseUnavailable(
            f"No warehouse has been published at {path} yet: run the pipeline first (`brw run` or `make run`)."
        )
    started, outcome, rows = time.perf_counter(), "error", None
    try:
        if not _console_slots.acquire(timeout=limits.timeout_s or None):
            outcome = "busy"
            raise ConsoleBusy("the console is busy with other sessions' queries; try again in a moment")
        try:
            result = run_query(path, sql, limits)
        finally:
            _console_slots.release()
        outcome, rows = ("cut" if result.truncated else "ok"), len(result.frame)
        return result
    except Exception as exc:
        outcome = f"{outcome}: {type(exc).__name__}" if outcome == "error" else outcome
        raise
    finally:  # every console query is on the audit trail: who, what, when, how it ended
        audit.record("sql_query", principal, page="sql", detail={
            "sql": sql, "outcome": outcome, "rows": rows, "seconds": round(time.perf_counter() - started, 3)})


@st.cache_data(show_spinner=False, max_entries=20_000)  # bounded: every publish and scope adds entries
def cached(sql: str, params: tuple = (), version_key: float = 0.0, scope_key: str = "all") -> pd.DataFrame:
    """read() cached per (sql, params, warehouse version, scope): two principals share a cached
    result only when they are granted the same rows."""
    return read(sql, params)


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """A page query for the session's principal (access.current()), cached."""
    return cached(sql, tuple(params), version_key=version(), scope_key=access.current().scope_key)


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
