"""Read-only ad-hoc SQL over the warehouse (`brw sql`, and the dashboard's SQL console).

Layers, each enough on its own for what it guards (issue 11, items 6 and 7):

1. The statement guard (`check_read_only`): one statement, and only a reading one: SELECT,
   WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, PIVOT, or EXPLAIN [ANALYZE] of one of
   those (the statement inside an EXPLAIN is checked the same way: `EXPLAIN ANALYZE` runs it).
   COPY, ATTACH, EXPORT, INSTALL/LOAD, SET/RESET, PRAGMA, CALL, CHECKPOINT ... are refused
   before anything runs.
2. The connection (`open_read_only`): read-only, external access off (no file, no URL, no
   extension: read_csv('/etc/passwd'), glob('/*'), COPY ... TO fail), DuckDB's memory_limit and
   threads set, then the configuration locked, so even a statement that slipped through cannot
   change a setting (`SET memory_limit` raises).
3. The cost bounds (`Limits`, one function for the console and `brw sql`): the result is
   streamed in Arrow record batches and reading stops at a row limit or a byte cap (`truncated_by`
   says which); a time limit interrupts the query and is checked between batches; and with a
   memory cap the query runs in a short-lived worker process (`run_query`) whose resident memory
   is watched and which is killed at the cap or just after the time limit, so one query can
   neither hold the dashboard's process nor take the machine's memory.

Why a worker process: DuckDB's memory_limit covers its buffer manager (joins, aggregates, sorts
spill to disk within it) but not the vectors a query is computing: DuckDB works in vectors of
2,048 rows, and a 2,048-row vector of 1 MB strings is 2 GB whatever the limit (measured with
DuckDB 1.5). Only the operating system can hold such a query to a cap; killing a separate process
is clean. DuckDB's streaming buffer is also set small, else it computes ahead of the reader
(a stream of 100 kB rows buffered the whole result).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


class ReadOnlySqlError(ValueError):
    """The statement would write or change state; nothing was run."""


class QueryTimeout(RuntimeError):
    """The query ran into its time limit and was stopped."""


class QueryMemoryLimit(RuntimeError):
    """The query needed more memory than its cap and was stopped."""


class QueryFailed(RuntimeError):
    """DuckDB refused or failed the query (unknown column, syntax, file access off ...)."""


# --------------------------------------------------------------------------- limits

_UNITS = {
    "": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}


def parse_size(text: str | int | None) -> int | None:
    """'64MB', '4GB', '512MiB', '1000000' (bytes) -> bytes, DuckDB's units (KB = 1000, KiB = 1024);
    None, '' , '0' and 'none' mean no limit (None)."""
    if text is None:
        return None
    if isinstance(text, int):
        return text or None
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("", "0", "none", "off", "unlimited"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]*)", cleaned)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"cannot read {text!r} as a size (e.g. 64MB, 4GB, 512MiB)")
    value = int(float(match.group(1)) * _UNITS[match.group(2)])
    return value or None


def human_size(size: int | None) -> str:
    if size is None:
        return "no limit"
    for unit, factor in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    """What one ad-hoc query may cost. None = no limit."""

    max_rows: int | None = None  # rows returned; more existing -> truncated_by "rows"
    max_bytes: int | None = None  # Arrow bytes of the result; more -> truncated_by "bytes"
    timeout_s: float | None = None  # stopped (QueryTimeout) at this many seconds
    memory_limit: int | None = None  # bytes: hard cap on the worker process; None runs in-process
    threads: int | None = 2
    external_access: bool = False  # files, URLs, extensions

    def describe(self) -> str:
        parts = []
        if self.max_rows is not None:
            parts.append(f"{self.max_rows:,} rows")
        if self.max_bytes is not None:
            parts.append(f"{human_size(self.max_bytes)} of results")
        if self.timeout_s:
            parts.append(f"{self.timeout_s:g} s")
        if self.memory_limit is not None:
            parts.append(f"{human_size(self.memory_limit)} of memory")
        return ", ".join(parts) or "no limits"


# The dashboard's SQL console: shared by every session of one server.
CONSOLE_LIMITS = Limits(max_rows=5_000, max_bytes=64 * 1000**2, timeout_s=10.0, memory_limit=1000**3, threads=2)
# `brw sql` by default; flags lift or change each (--trusted lifts time, memory and file access).
CLI_LIMITS = Limits(
    max_rows=None, max_bytes=256 * 1000**2, timeout_s=60.0, memory_limit=2 * 1000**3,
    threads=min(4, os.cpu_count() or 1),
)

BATCH_ROWS = 128  # Arrow batch size: small, so a batch of wide rows overshoots the byte cap little
DUCKDB_MEMORY_SHARE = 0.6  # of the worker's cap for DuckDB's buffer manager (spills beyond it)
SPILL_FACTOR = 4  # temp files a worker may write: this many times its memory cap
KILL_GRACE_S = 1.0  # the worker interrupts itself at the time limit; killed if still alive after this
POLL_S = 0.02  # how often the worker's memory is looked at


@dataclass
class QueryResult:
    frame: pd.DataFrame
    truncated: bool  # more rows existed than were returned
    truncated_by: str | None = None  # "rows" or "bytes"
    nbytes: int = 0  # Arrow size of what was returned
    elapsed_s: float = 0.0
    peak_rss: int | None = None  # the worker's peak resident memory, bytes
    limits: Limits | None = None

    def note(self) -> str:
        """One line on why the result is cut ('' when it is whole)."""
        if not self.truncated:
            return ""
        shown = f"first {len(self.frame):,} rows shown"
        if self.truncated_by == "bytes" and self.limits and self.limits.max_bytes:
            return f"{shown}: the result reached the {human_size(self.limits.max_bytes)} size cap"
        if self.limits and self.limits.max_rows is not None:
            return f"{shown}: the row limit is {self.limits.max_rows:,}"
        return f"{shown}: more rows exist"


# --------------------------------------------------------------------------- the statement guard

READING_KEYWORDS = frozenset({
    "select", "with", "from", "values", "table", "describe", "desc", "show", "summarize",
    "pivot", "unpivot", "pivot_wider", "pivot_longer", "(",
})
ALLOWED_TEXT = "SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT, and EXPLAIN [ANALYZE] of those"
EXPLAIN_MODIFIERS = frozenset({"analyze", "analyse", "verbose"})
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)


def _tokens(sql: str) -> list[tuple[int, str]]:
    """(offset, text) of every token, comments and whitespace left out."""
    found = duckdb.tokenize(sql)
    out = []
    for i, (start, _kind) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(sql)
        out.append((start, _COMMENT.sub(" ", sql[start:end]).strip()))
    return out


def _statements(conn: duckdb.DuckDBPyConnection, sql: str) -> list:
    try:
        return conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlySqlError(f"SQL does not parse: {str(exc).splitlines()[0]}") from exc


def _refuse(name: str, inside_explain: bool) -> ReadOnlySqlError:
    where = " (inside EXPLAIN, which would run it)" if inside_explain else ""
    return ReadOnlySqlError(
        f"the warehouse is read-only here: {name} statements are refused{where} (allowed: {ALLOWED_TEXT})"
    )


def _explained_candidates(sql: str, tokens: list[tuple[int, str]]) -> list[str]:
    """Where the statement inside `EXPLAIN [ANALYZE] [(options)] statement` may start.

    A parenthesised group after EXPLAIN is either options or a parenthesised query: both readings
    are returned, and the caller requires every reading that parses to be a reading statement."""
    out, i = [], 1
    while i < len(tokens):
        start, text = tokens[i]
        if text.lower() in EXPLAIN_MODIFIERS:
            i += 1
            continue
        if text.startswith("("):
            out.append(sql[start:])
            depth, j = 0, i
            while j < len(tokens):
                depth += tokens[j][1].count("(") - tokens[j][1].count(")")
                j += 1
                if depth <= 0:
                    break
            i = j
            continue
        out.append(sql[start:])
        break
    return out


def _check_statement(conn: duckdb.DuckDBPyConnection, sql: str, kind, inside_explain: bool, depth: int) -> None:
    tokens = _tokens(sql)
    first = tokens[0][1].lower() if tokens else ""
    word = re.match(r"[a-z_]+", first)
    name = word.group(0).upper() if word and word.group(0) != "with" else kind.name
    if not name.isalpha():
        name = "this kind of"
    if kind == duckdb.StatementType.SELECT and (first in READING_KEYWORDS or first.startswith("(")):
        return
    if kind != duckdb.StatementType.EXPLAIN or first != "explain" or depth > 3:
        raise _refuse(name, inside_explain)
    readings = []
    for candidate in _explained_candidates(sql, tokens):
        try:
            statements = conn.extract_statements(candidate)
        except duckdb.Error:
            continue  # not where the statement starts
        if len(statements) == 1:
            readings.append((candidate, statements[0].type))
    if not readings:
        raise ReadOnlySqlError("the statement inside EXPLAIN cannot be read, so it is refused")
    for candidate, inner_kind in readings:
        _check_statement(conn, candidate, inner_kind, True, depth + 1)


def check_read_only(sql: str, conn: duckdb.DuckDBPyConnection | None = None) -> None:
    """Raise ReadOnlySqlError unless `sql` is exactly one reading statement (see the module doc).
    Parses only: nothing runs."""
    owned = conn is None
    parser = duckdb.connect() if owned else conn
    try:
        statements = _statements(parser, sql)
        if not statements:
            raise ReadOnlySqlError("no SQL statement given")
        if len(statements) > 1:
            raise ReadOnlySqlError("one statement at a time, please")
        _check_statement(parser, sql, statements[0].type, False, 0)
    finally:
        if owned:
            parser.close()


# --------------------------------------------------------------------------- connection and fetch


def open_read_only(
    path: str | Path,
    limits: Limits,
    duckdb_memory: int | None = None,
    temp_directory: str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection for ad-hoc SQL: external access as `limits` says, memory and threads
    set, a small streaming buffer, then the configuration locked."""
    config: dict = {"enable_external_access": bool(limits.external_access)}
    if limits.threads:
        config["threads"] = int(limits.threads)
    if duckdb_memory:
        config["memory_limit"] = f"{int(duckdb_memory)}B"
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
        if duckdb_memory:
            config["max_temp_directory_size"] = f"{int(duckdb_memory / DUCKDB_MEMORY_SHARE * SPILL_FACTOR)}B"
    conn = duckdb.connect(str(path), read_only=True, config=config)
    try:
        # a session setting (not accepted in the connect config): without it DuckDB computes
        # ahead of the reader as many vectors as fit ~1 MB of *fixed-size* data, strings uncounted
        conn.execute("SET streaming_buffer_size = '1KB'")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def _fit_bytes(batch: pa.RecordBatch, room: int) -> pa.RecordBatch:
    """The longest head of `batch` whose Arrow size is at most `room` bytes."""
    low, high = 0, batch.num_rows
    while low < high:
        mid = (low + high + 1) // 2
        if batch.slice(0, mid).nbytes <= room:
            low = mid
        else:
            high = mid - 1
    return batch.slice(0, low)


def _is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, (duckdb.OutOfMemoryException, MemoryError)) or str(exc).startswith("Out of Memory Error")


def fetch_bounded(
    conn: duckdb.DuckDBPyConnection, sql: str, limits: Limits, deadline: float | None = None
) -> tuple[pa.Table, str | None]:
    """Check `sql`, run it on `conn` and read its result in Arrow batches until the row limit or
    the byte cap; the time limit (`deadline`, time.monotonic) interrupts the query and is checked
    between batches. Returns the table and why it was cut (None, "rows" or "bytes")."""
    import pyarrow as pa

    check_read_only(sql, conn)
    if deadline is None and limits.timeout_s:
        deadline = time.monotonic() + limits.timeout_s
    timed_out = threading.Event()
    timer = None
    if deadline is not None:
        def _stop() -> None:
            timed_out.set()
            conn.interrupt()

        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _stop)
        timer.daemon = True
        timer.start()

    def _timeout() -> QueryTimeout:
        return QueryTimeout(f"query stopped at the {limits.timeout_s:g} s time limit")

    try:
        reader = conn.execute(sql).to_arrow_reader(BATCH_ROWS)
        batches, rows, size, cut = [], 0, 0, None
        for batch in reader:
            if deadline is not None and time.monotonic() > deadline:
                raise _timeout()
            if not batch.num_rows:
                continue
            if rows and limits.max_rows is not None and rows >= limits.max_rows:
                cut = "rows"  # one more row exists
                break
            if limits.max_rows is not None and rows + batch.num_rows > limits.max_rows:
                batch, cut = batch.slice(0, limits.max_rows - rows), "rows"
            if limits.max_bytes is not None and size + batch.nbytes > limits.max_bytes:
                batch, cut = _fit_bytes(batch, limits.max_bytes - size), "bytes"
            batches.append(batch)
            rows += batch.num_rows
            size += batch.nbytes
            if cut:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
        with contextlib.suppress(Exception):
            reader.close()
        return table, cut
    except QueryTimeout:
        raise
    except Exception as exc:
        if timed_out.is_set() or (deadline is not None and time.monotonic() > deadline):
            raise _timeout() from exc
        if _is_out_of_memory(exc):
            raise QueryMemoryLimit(f"the query needed more memory than allowed ({str(exc).splitlines()[0]})") from exc
        if isinstance(exc, (duckdb.Error, OSError)) or type(exc).__module__.startswith("pyarrow"):
            raise QueryFailed(str(exc).strip()) from exc
        raise
    finally:
        if timer:
            timer.cancel()


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas as DuckDB's .df() would give it (dates as datetime64, decimals as floats),
    without a second copy of the result (converting through DuckDB held ~2x the result)."""
    import pyarrow as pa

    fields = [
        pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema
    ]
    if fields != list(table.schema):
        table = table.cast(pa.schema(fields))
    frame = table.to_pandas(date_as_object=False)
    for i, field in enumerate(table.schema):  # integers with nulls: pandas' nullable Int64 ..., not floats
        if pa.types.is_integer(field.type) and table.column(i).null_count:
            import pandas as pd

            unsigned = "U" if str(field.type).startswith("u") else ""
            nullable = pd.api.types.pandas_dtype(f"{unsigned}Int{field.type.bit_width}")
            frame.isetitem(i, table.column(i).to_pandas(types_mapper={field.type: nullable}.get))
    return frame


def execute_read_only(conn: duckdb.DuckDBPyConnection, sql: str, limits: Limits | None = None) -> QueryResult:
    """Check that `sql` only reads, then run it on `conn` (opened with open_read_only) within
    `limits` (rows, bytes, time), in this process."""
    limits = limits or Limits()
    started = time.monotonic()
    table, cut = fetch_bounded(conn, sql, limits)
    return QueryResult(_to_frame(table), cut is not None, cut, table.nbytes, time.monotonic() - started, None, limits)


# --------------------------------------------------------------------------- the worker


def _rss(pid: int, field: str = "VmRSS") -> int | None:
    """Resident memory of `pid` in bytes (Linux /proc), None where unknown. `VmHWM`: its peak
    since it started its program (getrusage's ru_maxrss would include the peak of the process
    it was forked from)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _worker_main(workdir: str) -> int:
    """The worker process: run one request (request.json) and leave header.json and result.arrow."""
    import resource  # POSIX only, like the worker

    work = Path(workdir)
    request = json.loads((work / "request.json").read_text(encoding="utf-8"))
    with contextlib.suppress(Exception):  # die with the dashboard / `brw sql` (issue 11, item 10)
        from pipelines.processes import die_with_parent

        die_with_parent(request.get("parent_pid"), 9)
    limits = Limits(**request["limits"])
    if request.get("rlimit_as"):  # no /proc to watch: let allocations fail beyond the cap instead
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (request["rlimit_as"], request["rlimit_as"]))
    header: dict = {}
    try:
        deadline = None
        if request.get("deadline_wall"):
            deadline = time.monotonic() + (request["deadline_wall"] - time.time())
        conn = open_read_only(request["warehouse"], limits, request.get("duckdb_memory"), work / "spill")
        try:
            table, cut = fetch_bounded(conn, request["sql"], limits, deadline)
        finally:
            conn.close()
        import pyarrow as pa

        with pa.OSFile(str(work / "result.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        header = {"status": "ok", "truncated_by": cut, "nbytes": table.nbytes}
    except ReadOnlySqlError as exc:
        header = {"status": "refused", "message": str(exc)}
    except QueryTimeout as exc:
        header = {"status": "timeout", "message": str(exc)}
    except QueryMemoryLimit as exc:
        header = {"status": "memory", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises QueryFailed
        header = {"status": "error", "message": str(exc).strip() or type(exc).__name__}
    header["peak_rss"] = _rss(os.getpid(), "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    (work / "header.tmp").write_text(json.dumps(header), encoding="utf-8")
    os.replace(work / "header.tmp", work / "header.json")
    return 0


_WORKER_CODE = "import sys; from pipelines.sql import _worker_main; sys.exit(_worker_main(sys.argv[1]))"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def _run_in_worker(path: Path, sql: str, limits: Limits) -> QueryResult:
    """Run the query in a fresh process capped at limits.memory_limit of resident memory and
    killed just after limits.timeout_s (the worker interrupts itself at the limit)."""
    import pyarrow as pa

    started = time.monotonic()
    cap = limits.memory_limit
    watch = cap is not None and _rss(os.getpid()) is not None
    deadline_wall = time.time() + limits.timeout_s if limits.timeout_s else None
    work = Path(tempfile.mkdtemp(prefix="brw-sql-"))
    proc = None
    try:
        request = {
            "warehouse": str(path.resolve()), "sql": sql, "limits": asdict(limits),
            "deadline_wall": deadline_wall, "parent_pid": os.getpid(),
            "duckdb_memory": max(64 * 1000**2, int(cap * DUCKDB_MEMORY_SHARE)) if cap else None,
            "rlimit_as": (cap + 1000**3) if cap and not watch else None,
        }
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
        with open(work / "worker.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(work)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            )
        stopped, peak = None, 0
        while True:
            try:
                proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            if watch:
                rss = _rss(proc.pid) or 0
                peak = max(peak, rss)
                if rss > cap:
                    stopped = "memory"
            if deadline_wall is not None and time.time() > deadline_wall + KILL_GRACE_S:
                stopped = "timeout"
            if stopped:
                proc.kill()
                proc.wait()
                break
        elapsed = time.monotonic() - started
        if stopped == "memory":
            raise QueryMemoryLimit(
                f"query stopped: it needed more than the {human_size(cap)} memory limit "
                f"(after {elapsed:.1f} s)"
            )
        if stopped == "timeout":
            raise QueryTimeout(f"query stopped at the {limits.timeout_s:g} s time limit")
        header_path = work / "header.json"
        if not header_path.exists():
            log_text = (work / "worker.log").read_text(encoding="utf-8", errors="replace").strip()
            last = log_text.splitlines()[-1] if log_text else f"exit code {proc.returncode}"
            raise QueryFailed(f"the query process ended without a result: {last}")
        header = json.loads(header_path.read_text(encoding="utf-8"))
        status, message = header.get("status"), header.get("message", "")
        if status == "refused":
            raise ReadOnlySqlError(message)
        if status == "timeout":
            raise QueryTimeout(message)
        if status == "memory":
            raise QueryMemoryLimit(
                f"query stopped: it needed more than the {human_size(cap)} memory limit" if cap else message
            )
        if status != "ok":
            raise QueryFailed(message)
        with pa.memory_map(str(work / "result.arrow")) as source:
            table = pa.ipc.open_stream(source).read_all()
        frame = _to_frame(table)
        cut = header.get("truncated_by")
        return QueryResult(
            frame, cut is not None, cut, int(header.get("nbytes") or 0), time.monotonic() - started,
            max(peak, int(header.get("peak_rss") or 0)) or None, limits,
        )
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


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
    (a refusal costs nothing). With a memory limit the query runs in a worker process (see the
    module doc); without one, on a short-lived read-only connection in this process."""
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
        return _run_in_worker(path, sql, limits)
    conn = open_read_only(path, limits)
    try:
        return execute_read_only(conn, sql, limits)
    finally:
        conn.close()
