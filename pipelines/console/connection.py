"""The read-only connection for ad-hoc SQL and the bounded read of one result (issue 11, item 7).

`open_read_only`: read-only, external access off (no file, no URL, no extension:
read_csv('/etc/passwd'), glob('/*'), COPY ... TO fail), DuckDB's memory_limit and threads set,
the warehouse's schemas on the search path (pipelines.console.catalog), then the configuration
locked, so even a statement that slipped through the guard cannot change a setting
(`SET memory_limit` raises).

`fetch_bounded`: the result is streamed in Arrow record batches and reading stops at a row limit
or a byte cap (`truncated_by` says which); a time limit interrupts the query and is checked
between batches. DuckDB's streaming buffer is set small, else it computes ahead of the reader
(a stream of 100 kB rows buffered the whole result).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.console.catalog import rewrite_catalog_statement, search_path
from pipelines.console.errors import QueryFailed, QueryMemoryLimit, QueryTimeout
from pipelines.console.limits import DUCKDB_MEMORY_SHARE, SPILL_FACTOR, Limits, QueryResult
from pipelines.console.statements import check_read_only

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

BATCH_ROWS = 128  # Arrow batch size: small, so a batch of wide rows overshoots the byte cap little


def open_read_only(
    path: str | Path,
    limits: Limits,
    duckdb_memory: int | None = None,
    temp_directory: str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection for ad-hoc SQL: external access as `limits` says, memory and threads
    set, a small streaming buffer, the warehouse's schemas on the search path, then the
    configuration locked."""
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
        schemas = search_path(conn)
        if schemas:  # unqualified names find the marts first (pipelines.console.catalog)
            conn.execute(f"SET search_path = '{schemas}'")
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
    answered = rewrite_catalog_statement(conn, sql)  # SHOW TABLES, DESCRIBE: with descriptions
    if answered != sql:
        check_read_only(answered, conn)
        sql = answered
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


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
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
    elapsed = time.monotonic() - started
    return QueryResult(arrow_to_frame(table), cut is not None, cut, table.nbytes, elapsed, None, limits)
