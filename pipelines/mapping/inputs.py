"""Reading a mapped input (CSV in any delimiter and encoding, a workbook sheet, Parquet) as text.

`read_input` reads one input file into the temp table `_input`: every field as text (`.xlsx`
through python-calamine, numbers and dates as Excel shows them), with the row number the user
sees (`__brw_row`: the Excel row, the CSV line of the record) and the file's modification time
(`__brw_modified`), then the mapping's `derive` columns. `input_files` lists the files a table's
input names (a glob reads every match).
"""

from __future__ import annotations

import codecs
import glob
import os
import tempfile
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.load.readers import csv_row_numbers
from pipelines.load.warehouse import literal, quote
from pipelines.mapping.conversions import WHITESPACE, sql_constant
from pipelines.mapping.model import MAPPING_FILE, Defaults, InputSpec, Mapping, MappingError, TableMapping, mapping_key

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
ROW = "__brw_row"  # row number as the user sees it (Excel row, CSV line of the record)
MODIFIED = "__brw_modified"  # the input file's modification time (ISO 8601, UTC)


def input_files(source_dir: Path, table: str, tm: TableMapping, mapping_name: str = MAPPING_FILE) -> list[Path]:
    """The files the table's input names (sorted); a glob may match none (landing: nothing new)."""
    if tm.absent or tm.input is None:
        return []
    pattern = tm.input.file
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise MappingError(
            f"{mapping_name}: {mapping_key(table, 'input', 'file')}: {pattern!r} must be a path inside the source directory"
        )
    if glob.has_magic(pattern):
        # root_dir: brackets in the source directory's own path are not glob syntax
        matches = [Path(source_dir) / p for p in glob.glob(pattern, root_dir=source_dir, recursive=True)]
        return sorted(p for p in matches if p.is_file())
    path = Path(source_dir) / pattern
    return [path] if path.is_file() else []


def file_label(source_dir: Path, path: Path, tm: TableMapping) -> str:
    """The input as users know it: its path in the source directory, `#sheet` for a workbook."""
    rel = Path(os.path.relpath(path, source_dir)).as_posix()
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return f"{rel}#{_sheet_name(path, tm.input.sheet if tm.input else None)}"
    return rel


def _sheet_name(path: Path, sheet: str | int | None) -> str:
    if isinstance(sheet, str):
        return sheet
    names = _workbook(path).sheet_names
    index = sheet or 0
    return names[index] if 0 <= index < len(names) else f"sheet {index}"


def _workbook(path: Path):
    import python_calamine

    return python_calamine.CalamineWorkbook.from_path(str(path))


def _cell_text(v: Any) -> str | None:
    """An Excel cell as text: dates in ISO 8601, numbers as Excel shows them (15 digits)."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return format(v, ".15g")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    text = str(v).strip()
    return text or None


def _unique_names(header: list[Any]) -> list[str]:
    names, seen = [], set()
    for k, h in enumerate(header):
        name = (_cell_text(h) or f"column{k + 1}").strip()
        base, n = name, 1
        while name.lower() in seen or name.startswith("__brw"):
            n += 1
            name = f"{base}_{n}"
        seen.add(name.lower())
        names.append(name)
    return names


def _read_excel(path: Path, spec: InputSpec, label: str, header_only: bool) -> pa.Table:
    try:
        book = _workbook(path)
    except Exception as exc:  # calamine raises its own error types
        raise MappingError(f"{label}: cannot be read as a workbook ({str(exc).splitlines()[0][:200]})") from None
    sheet = spec.sheet if spec.sheet is not None else 0
    try:
        ws = book.get_sheet_by_name(sheet) if isinstance(sheet, str) else book.get_sheet_by_index(sheet)
    except Exception:
        raise MappingError(
            f"{label}: has no sheet {sheet!r} (sheets: {', '.join(book.sheet_names)})"
        ) from None
    rows = ws.to_python(skip_empty_area=False, nrows=spec.header_row if header_only else None)
    if len(rows) < spec.header_row or not any(_cell_text(c) for c in rows[spec.header_row - 1]):
        raise MappingError(f"{label}: row {spec.header_row} (the header_row) is empty")
    header = rows[spec.header_row - 1]
    while header and _cell_text(header[-1]) is None:
        header = header[:-1]
    names = _unique_names(header)
    body = rows[spec.header_row:]
    columns = {}
    for k, name in enumerate(names):
        cells = [r[k] if k < len(r) else "" for r in body]
        if all(c == "" or type(c) is float for c in cells) and any(type(c) is float for c in cells):
            # A numbers-only column (a KPI's readings): kept as numbers, turned into text by
            # DuckDB (read_input), with the same rule as _cell_text.
            columns[name] = pa.array([None if c == "" else c for c in cells], pa.float64())
        else:
            columns[name] = pa.array([_cell_text(c) for c in cells], pa.string())
    columns[ROW] = pa.array(range(spec.header_row + 1, spec.header_row + 1 + len(body)), pa.int64())
    return pa.table(columns)


def _number_text(sql: str) -> str:
    """SQL: a DOUBLE as Excel shows it (whole numbers without '.0', else 15 significant digits)."""
    return (f"CASE WHEN {sql} = trunc({sql}) AND abs({sql}) < 1e15 THEN CAST(CAST({sql} AS BIGINT) AS VARCHAR) "
            f"ELSE printf('%.15g', {sql}) END")


def _utf8_copy(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a CSV in another encoding (streamed), for DuckDB's reader."""
    handle = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False, prefix="brw-utf8-")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as src, handle:
        while chunk := src.read(1 << 22):
            handle.write(decoder.decode(chunk).encode("utf-8"))
        handle.write(decoder.decode(b"", final=True).encode("utf-8"))
    return Path(handle.name)


def _csv_options(spec: InputSpec, defaults: Defaults) -> tuple[str, str]:
    return (spec.delimiter or defaults.delimiter or ","), (spec.encoding or defaults.encoding or "utf-8")


def _read_csv(conn: duckdb.DuckDBPyConnection, path: Path, spec: InputSpec, defaults: Defaults,
              label: str, header_only: bool) -> tuple[str, int]:
    """Read a CSV into temp table `_input_read`; returns (its name, malformed lines staged)."""
    delimiter, encoding = _csv_options(spec, defaults)
    source = path
    temp: Path | None = None
    if codecs.lookup(encoding).name != "utf-8":
        try:
            temp = source = _utf8_copy(path, encoding)
        except UnicodeDecodeError as exc:
            raise MappingError(f"{label}: is not {encoding} text ({exc.reason} at byte {exc.start + 1})") from None
    options = (
        f"header = true, all_varchar = true, delim = {literal(delimiter)}, quote = {literal(spec.quote)}, "
        f"escape = {literal(spec.quote)}, skip = {spec.header_row - 1}, encoding = 'utf-8', "
        "store_rejects = true, rejects_table = '_input_rejects', rejects_scan = '_input_rejects_scan', "
        "null_padding = false"
    )
    try:
        conn.execute("DROP TABLE IF EXISTS _input_rejects")
        conn.execute("DROP TABLE IF EXISTS _input_rejects_scan")
        limit = " LIMIT 0" if header_only else ""
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _input_read AS SELECT * FROM read_csv({literal(str(source))}, {options}){limit}")
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0][:300]
        raise MappingError(f"{label}: cannot be read as CSV with delimiter {delimiter!r} and encoding {encoding} ({first})") from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    if header_only:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _input_read AS SELECT *, CAST(NULL AS BIGINT) AS {ROW} FROM _input_read")
        return "_input_read", 0
    row_number, malformed = csv_row_numbers(conn, "_input_read", "_input_rejects", label, spec.header_row)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _input_read AS SELECT *, {row_number} AS {ROW} FROM _input_read")
    return "_input_read", malformed


def read_input(conn: duckdb.DuckDBPyConnection, source_dir: Path, table: str, tm: TableMapping,
               mapping: Mapping, path: Path, header_only: bool = False) -> tuple[str, list[str], int]:
    """Read one input file into temp table `_input` (text columns, `__brw_row`, `__brw_modified`).

    Returns (label, input column names, malformed lines). `_malformed` must exist unless header_only."""
    spec = tm.input
    label = file_label(source_dir, path, tm)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        data = _read_excel(path, spec, label, header_only)
        if header_only:
            data = data.slice(0, 0)
        conn.register("_input_arrow", data)
        fields = ", ".join(
            f"{_number_text(quote(f.name))} AS {quote(f.name)}" if pa.types.is_floating(f.type) else quote(f.name)
            for f in data.schema
        )
        try:
            conn.execute(f"CREATE OR REPLACE TEMP TABLE _input_read AS SELECT {fields} FROM _input_arrow")
        finally:
            conn.unregister("_input_arrow")
        malformed = 0
    elif suffix == ".parquet":
        try:
            described = conn.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
        except duckdb.Error as exc:
            raise MappingError(f"{label}: cannot be read as Parquet ({str(exc).splitlines()[0][:200]})") from None
        cols = ", ".join(f"CAST({quote(n)} AS VARCHAR) AS {quote(n)}" for n, *_ in described)
        limit = " LIMIT 0" if header_only else ""
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE _input_read AS SELECT {cols}, file_row_number + 1 AS {ROW} "
            f"FROM read_parquet({literal(str(path))}, file_row_number = true){limit}"
        )
        malformed = 0
    else:
        _, malformed = _read_csv(conn, path, spec, mapping.defaults, label, header_only)
    names = [r[0] for r in conn.execute("DESCRIBE _input_read").fetchall() if r[0] != ROW]
    modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    def cleaned(n: str) -> str:
        sql = _html_decoded(quote(n)) if spec.decode_html else quote(n)
        return f"regexp_replace({sql}, '{WHITESPACE}+', ' ', 'g')" if spec.collapse_spaces else sql

    fields = [f"{cleaned(n)} AS {quote(n)}" if spec.decode_html or spec.collapse_spaces else quote(n) for n in names]
    select = f"SELECT {', '.join(fields + [ROW])}, '{modified}' AS {MODIFIED} FROM _input_read"
    mname = mapping.path.name if mapping.path else MAPPING_FILE
    for name, expr in tm.derive.items():  # each may use the ones before it
        if name.casefold() in {n.casefold() for n in names}:
            raise MappingError(f"{mname}: {mapping_key(table, 'derive', name)}: {label} already has a column {name!r}")
        select = f"SELECT *, ({expr}) AS {quote(name)} FROM ({select})"
        try:
            conn.execute(f"SELECT * FROM ({select}) LIMIT 0")
        except duckdb.Error as exc:
            raise MappingError(
                f"{mname}: {mapping_key(table, 'derive', name)}: {str(exc).splitlines()[0]} "
                f"(input {label}; input columns are text: {', '.join(names[:30])})"
            ) from None
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _input AS {select}")
    conn.execute("DROP TABLE IF EXISTS _input_read")
    return label, names, malformed


_HTML_ENTITIES = (("&quot;", '"'), ("&#39;", "'"), ("&apos;", "'"), ("&lt;", "<"), ("&gt;", ">"),
                  ("&nbsp;", " "), ("&amp;", "&"))


def _html_decoded(sql: str) -> str:
    """SQL decoding the common HTML entities of `sql` (&amp; last, so &amp;lt; stays &lt;)."""
    for entity, char in _HTML_ENTITIES:
        sql = f"replace({sql}, {sql_constant(entity)}, {sql_constant(char)})"
    return sql


def input_signatures(source_dir: Path, table: str, tm: TableMapping) -> dict[str, list[int]]:
    """{input path in the source directory: [size, mtime_ns]}: what the sensor watches and what
    `brw run` fingerprints for a mapped table."""
    out = {}
    for path in input_files(source_dir, table, tm):
        stat = path.stat()
        out[Path(os.path.relpath(path, source_dir)).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return out
