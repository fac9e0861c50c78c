"""Foreign exports in: a `sources.yml` maps an organisation's own files onto the source contract.

A PMO analyst writes the mapping once, without Python (README, "Your own exports"). For each
contract table (SPEC section 2) it names the input (a CSV in any delimiter and encoding, an
`.xlsx` sheet, Parquet; a glob reads every match), and for each contract column an input column,
a constant or a DuckDB SQL expression, with value maps for enums, date formats and number
parsing. A wide KPI sheet (one column per KPI) is unpivoted into one measurement per cell.

How it runs: the input is read with every field as text into a temporary table (`.xlsx` through
python-calamine, with the row numbers Excel shows), and one generated SQL statement turns it
into the contract's stage table, with an error message per column where a value cannot be
converted (`stage ← 'Phase': 'Parked' is not mapped`). From there the contract's own checks,
quarantine, reconciliation and transactions apply unchanged (`pipelines.ingest`). A quarantined
row keeps its original record, file (with `#sheet`) and row number.

The mapping is validated before anything is loaded (`validate`): an unknown key, an unknown
input column, an expression DuckDB cannot bind or a required contract column left unmapped is
a `MappingError` naming the mapping key and the file.
"""

from __future__ import annotations

import codecs
import difflib
import glob
import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.contract import SOURCES_BY_NAME, Column, Source
from pipelines.ingest import (
    PARSE_MACROS,
    SourceContractError,
    csv_row_numbers,
    literal,
    pretyped_name,
    quote,
    raw_name,
)

MAPPING_FILE = "sources.yml"
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
ROW = "__brw_row"  # row number as the user sees it (Excel row, CSV line of the record)
MODIFIED = "__brw_modified"  # the input file's modification time (ISO 8601, UTC)


class MappingError(SourceContractError):
    """The mapping cannot be used: names the mapping file, the key and (where known) the input file."""


# --------------------------------------------------------------------------- the mapping file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberFormat(_Strict):
    decimal: Literal[".", ","] | None = None  # default: the input's decimal, else "."
    thousands: Literal[",", ".", " ", "'", ""] | None = None  # default: "," (or "." when decimal is ",")
    suffixes: bool = False  # read k / m / mn / bn (thousand, million, billion): "£1,234k"
    scale: float = 1.0  # multiply: 1000000 for a column in $M


class InputSpec(_Strict):
    file: str  # relative to the source directory; a glob reads every match
    sheet: str | int | None = None  # .xlsx: name, or 0-based index (default: the first sheet)
    header_row: int = Field(1, ge=1)  # the header's row number as Excel or an editor shows it
    delimiter: str | None = None  # CSV (default ",")
    encoding: str | None = None  # CSV: any Python codec name (default utf-8)
    decimal: Literal[".", ","] | None = None  # CSV decimal mark, for every number column
    quote: str = '"'
    decode_html: bool = False  # &amp; &lt; &gt; &quot; &#39; &nbsp; in any field become the characters
    collapse_spaces: bool = False  # runs of spaces (tabs, line breaks) inside any field become one space

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1 and v != "\\t":
            raise ValueError("a delimiter is one character (\\t for a tab)")
        return "\t" if v == "\\t" else v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"{v!r} is not a known encoding (e.g. utf-8, latin-1, cp1252, utf-16)") from None
        return v


class ColumnSpec(_Strict):
    column: str | None = None  # an input column, by its header
    value: str | int | float | bool | None = None  # a constant
    expr: str | None = None  # a DuckDB SQL expression over input columns (all text: cast as needed)
    file_modified: bool = False  # the input file's modification time (for recorded_at)
    values: dict[str, str | bool | None] | None = None  # value map: input word → contract word
    default: str | bool | None = None  # for input values the map does not name
    date: str | list[str] | None = None  # strftime formats tried after ISO 8601; "excel" = serial days
    timestamp: str | list[str] | None = None  # strftime formats for a timestamp (UTC unless %z)
    number: NumberFormat | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("column", "value", "expr") if getattr(self, k) is not None]
        given += ["file_modified"] if self.file_modified else []
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, value, expr or file_modified"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class Unpivot(_Strict):
    columns: list[str] | None = None  # the columns holding values (one per KPI)
    exclude: list[str] | None = None  # or: every column except these
    names_to: str = "column_name"  # new column: the header a value came from
    values_to: str = "cell_value"  # new column: the value

    @model_validator(mode="after")
    def _one_way(self) -> Unpivot:
        if (self.columns is None) == (self.exclude is None):
            raise ValueError("give either columns (the value columns) or exclude (the other columns)")
        return self


class TableMapping(_Strict):
    input: InputSpec | None = None
    absent: bool = False  # this organisation has no such export: the table loads empty
    filter: str | None = None  # SQL over input columns: rows where it is not true are skipped
    derive: dict[str, str] = {}  # new input columns: name -> SQL over the input (and earlier derives; any type)
    unpivot: Unpivot | None = None
    columns: dict[str, str | ColumnSpec] = {}

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: (ColumnSpec(column=s) if isinstance(s, str) else s) for k, s in v.items()}
        return v

    @model_validator(mode="after")
    def _input_or_absent(self) -> TableMapping:
        if self.absent and (self.input or self.columns):
            raise ValueError("an absent table has no input and no columns")
        if not self.absent and self.input is None:
            raise ValueError("give an input (file, and sheet for a workbook), or absent: true")
        return self

    def spec(self, name: str) -> ColumnSpec:
        s = self.columns[name]
        return s if isinstance(s, ColumnSpec) else ColumnSpec(column=s)


class Defaults(_Strict):
    delimiter: str | None = None
    encoding: str | None = None
    decimal: Literal[".", ","] | None = None
    date: str | list[str] | None = None
    timestamp: str | list[str] | None = None


class Mapping(_Strict):
    version: Literal[1] = 1
    defaults: Defaults = Defaults()
    tables: dict[str, TableMapping]

    # Set after loading (not from the file):
    path: Path | None = None
    digest: str = ""

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableMapping]) -> dict[str, TableMapping]:
        unknown = [k for k in v if k not in SOURCES_BY_NAME]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a table of the source contract "
                f"(tables: {', '.join(SOURCES_BY_NAME)})"
            )
        return v

    def table(self, name: str) -> TableMapping | None:
        return self.tables.get(name)

    def table_digest(self, name: str) -> str:
        """What a landing file's remembered hash adds: a changed mapping reloads the file."""
        tm = self.tables.get(name)
        payload = json.dumps(
            [self.defaults.model_dump(), tm.model_dump() if tm else None], sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def find_mapping(source_dir: Path, explicit: str | Path | None = None) -> Path | None:
    """The mapping file: `explicit` (--mapping / BRW_MAPPING), else `sources.yml` in the source
    directory, else None (the source directory holds contract-format files)."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise MappingError(f"{path}: mapping file not found")
        return path.resolve()
    candidate = Path(source_dir) / MAPPING_FILE
    return candidate.resolve() if candidate.is_file() else None


def mapping_for(source_dir: Path, explicit: str | Path | None = None) -> Mapping | None:
    """The mapping of a source directory (find_mapping, then load_mapping), or None."""
    path = find_mapping(source_dir, explicit)
    return load_mapping(path) if path else None


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("function-", "str", "ColumnSpec", "int", "float", "bool")))


def load_mapping(path: Path) -> Mapping:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise MappingError(f"{path.name}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or "tables" not in data:
        raise MappingError(f"{path.name}: a mapping needs a `tables:` section (see README, 'Your own exports')")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = _where(err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "is not a mapping key here (a typo?)"
            lines.append(f"{path.name}: {where}: {msg}")
        raise MappingError("\n".join(dict.fromkeys(lines))) from None
    mapping.path = path.resolve()
    mapping.digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return mapping


# --------------------------------------------------------------------------- input files


def _key(table: str, *parts: str) -> str:
    return ".".join(["tables", table, *parts])


def input_files(source_dir: Path, table: str, tm: TableMapping, mapping_name: str = MAPPING_FILE) -> list[Path]:
    """The files the table's input names (sorted); a glob may match none (landing: nothing new)."""
    if tm.absent or tm.input is None:
        return []
    pattern = tm.input.file
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise MappingError(
            f"{mapping_name}: {_key(table, 'input', 'file')}: {pattern!r} must be a path inside the source directory"
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
        return f"regexp_replace({sql}, '{_WHITESPACE}+', ' ', 'g')" if spec.collapse_spaces else sql

    fields = [f"{cleaned(n)} AS {quote(n)}" if spec.decode_html or spec.collapse_spaces else quote(n) for n in names]
    select = f"SELECT {', '.join(fields + [ROW])}, '{modified}' AS {MODIFIED} FROM _input_read"
    mname = mapping.path.name if mapping.path else MAPPING_FILE
    for name, expr in tm.derive.items():  # each may use the ones before it
        if name.casefold() in {n.casefold() for n in names}:
            raise MappingError(f"{mname}: {_key(table, 'derive', name)}: {label} already has a column {name!r}")
        select = f"SELECT *, ({expr}) AS {quote(name)} FROM ({select})"
        try:
            conn.execute(f"SELECT * FROM ({select}) LIMIT 0")
        except duckdb.Error as exc:
            raise MappingError(
                f"{mname}: {_key(table, 'derive', name)}: {str(exc).splitlines()[0]} "
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
        sql = f"replace({sql}, {_lit(entity)}, {_lit(char)})"
    return sql


# --------------------------------------------------------------------------- SQL generation


def _lit(value: Any) -> str:
    """A mapping's constant as SQL: text, true/false for booleans, NULL for none."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return literal(str(value))


_WHITESPACE = "[\\s\u00a0\u202f]"
_CURRENCY = "[£$€¥₹]"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
_SERIAL = r"\d{1,6}(\.\d+)?"
_BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False, "1": True, "0": False}


def _power_of_ten(scale: float) -> int | None:
    """k when scale is 10**k (1000, 1e6, 0.01), else None."""
    if scale <= 0:
        return None
    k = round(math.log10(scale))
    return k if 10.0 ** k == scale else None


def number_sql(v: str, fmt: NumberFormat, default_decimal: str) -> str:
    """SQL: text `v` as a DOUBLE (NULL when it is not a number). Spaces and currency symbols go;
    (1,234) is negative; a trailing % divides by 100; k/m/bn multiply when `suffixes`.

    Powers of ten (%, k/m/bn, a scale of 1000 or 1e6) shift the decimal exponent of the text
    before it is parsed once, so '1.001' in £k is exactly 1001 and '57%' exactly 0.57, as if the
    number had been written in full; another scale multiplies the parsed number."""
    decimal = fmt.decimal or default_decimal
    thousands = fmt.thousands if fmt.thousands is not None else ("." if decimal == "," else ",")
    scale_exp = _power_of_ten(fmt.scale)
    s = f"regexp_replace({v}, '{_WHITESPACE}|{_CURRENCY}', '', 'g')"
    s = f"regexp_replace({s}, '^\\((.*)\\)$', '-\\1')"
    exponent = [f"CASE WHEN suffix({v}, '%') THEN -2 ELSE 0 END"]
    s = f"rtrim({s}, '%')"
    if fmt.suffixes:
        suf = f"lower(regexp_extract({s}, '(?i)(k|mn|m|bn|b)$', 1))"
        exponent.append(f"CASE {suf} WHEN 'k' THEN 3 WHEN 'm' THEN 6 WHEN 'mn' THEN 6 WHEN 'b' THEN 9 WHEN 'bn' THEN 9 ELSE 0 END")
        s = f"regexp_replace({s}, '(?i)(k|mn|m|bn|b)$', '')"
    if thousands:
        s = f"replace({s}, {_lit(thousands)}, '')"
    if decimal == ",":
        s = f"replace({s}, ',', '.')"
    if scale_exp is not None:
        exponent.append(str(scale_exp))
        other = ""
    else:
        other = f" * {fmt.scale!r}"
    e = " + ".join(exponent)
    plain_decimal = "[+-]?(\\d+(\\.\\d*)?|\\.\\d+)"
    slow = (f"CASE WHEN regexp_full_match({s}, '{plain_decimal}') THEN TRY_CAST({s} || 'e' || ({e}) AS DOUBLE) "
            f"ELSE brw_parse_double({s}) * pow(10, {e}) END{other}")
    plain = "[+-]?\\d+(\\.\\d+)?" if decimal == "." else "[+-]?\\d+"
    fast = f"CAST({v} AS DOUBLE)" if scale_exp in (None, 0) else f"CAST({v} || 'e{scale_exp}' AS DOUBLE)"
    # Plain numbers (most KPI cells) skip the clean-up.
    return f"CASE WHEN regexp_full_match({v}, '{plain}') THEN {fast}{other} ELSE {slow} END"


def _excel_serial(v: str) -> str:
    """SQL: `v` as a number of days in Excel's calendar (1 = 1900-01-01, up to 9999-12-31), else NULL."""
    return (f"CASE WHEN regexp_full_match({v}, '{_SERIAL}') AND CAST({v} AS DOUBLE) BETWEEN 1 AND 2958465 "
            f"THEN CAST({v} AS DOUBLE) END")


def _formats(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def date_sql(v: str, formats: list[str]) -> str:
    """SQL: text `v` as a DATE: ISO 8601 first (what a date cell of a workbook reads as), then
    each strftime format, then Excel serial days when a format is `excel`."""
    parts = [f"CASE WHEN regexp_full_match({v}, '{_ISO_DATE}') THEN TRY_CAST(left({v}, 10) AS DATE) END"]
    for fmt in formats:
        if fmt.lower() == "excel":
            parts.append(f"DATE '1899-12-30' + CAST(floor({_excel_serial(v)}) AS INTEGER)")
        else:
            parts.append(f"CAST(try_strptime({v}, {_lit(fmt)}) AS DATE)")
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


def timestamp_sql(v: str, formats: list[str]) -> str:
    parts = [f"brw_parse_timestamp({v})"]
    for fmt in formats:
        if fmt.lower() == "excel":
            parts.append(f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({_excel_serial(v)} * 86400e6) AS BIGINT))")
        elif "%z" in fmt or "%Z" in fmt:
            parts.append(f"CAST(timezone('UTC', try_strptime({v}, {_lit(fmt)})) AS TIMESTAMP)")
        else:
            parts.append(f"CAST(try_strptime({v}, {_lit(fmt)}) AS TIMESTAMP)")
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


@dataclass
class CompiledColumn:
    name: str
    label: str  # `stage ← 'Phase'`: how messages name it
    target: str  # "text": staged as raw__x (the contract parses it); "typed": staged as t__x
    value_sql: str
    error_sql: str | None  # message when the value cannot be converted (NULL: fine)
    reason: str = "bad_type"


@dataclass
class CompiledTable:
    """A table's mapping compiled against one input's header."""

    table: str
    label: str
    select_sql: str  # over `_input`: the stage rows (with _record_key / _record_value of an unpivot)
    columns: list[CompiledColumn] = field(default_factory=list)
    skipped_sql: str = "SELECT 0"  # rows the filter (or blankness) skipped
    records_sql: str = ""  # over `_input`: (source_file, row_number, record) of every row kept


def _resolve_column(name: str, available: list[str], where: str, label: str) -> str:
    if name in available:
        return name
    norm = {" ".join(a.split()).casefold(): a for a in available}
    found = norm.get(" ".join(name.split()).casefold())
    if found:
        return found
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else f" (columns: {', '.join(available[:30])})"
    raise MappingError(f"{where}: {name!r} is not a column of {label}{hint}")


def compile_table(conn: duckdb.DuckDBPyConnection, source: Source, tm: TableMapping, mapping: Mapping,
                  label: str, header: list[str]) -> CompiledTable:
    """Check the table's mapping against an input header and generate its SQL (MappingError if not)."""

    mname = mapping.path.name if mapping.path else MAPPING_FILE
    key = lambda *parts: f"{mname}: {_key(source.name, *parts)}"  # noqa: E731
    contract = {c.name: c for c in source.columns}
    unknown = [c for c in tm.columns if c not in contract]
    if unknown:
        raise MappingError(
            f"{key('columns', unknown[0])}: not a column of {source.name} (columns: {', '.join(contract)})"
        )
    missing = [c.name for c in source.columns if c.required and c.name not in tm.columns]
    if missing:
        raise MappingError(
            f"{key('columns')}: required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of "
            f"{source.name} not mapped (map each to an input column, a value or an expr; input {label})"
        )

    derived = list(tm.derive)
    available = list(header) + derived
    types = {row[0]: row[1] for row in conn.execute("DESCRIBE _input").fetchall()}  # derived: any type

    def probe(name: str, columns: list[str]) -> str:
        """An empty table with these columns' types, for checking that SQL binds."""
        fields = [f"CAST(NULL AS {types.get(c, 'VARCHAR')}) AS {quote(c)}" for c in columns]
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {', '.join(fields)}, "
                     f"CAST(NULL AS BIGINT) AS {ROW}, CAST(NULL AS VARCHAR) AS {MODIFIED}")
        return name

    base_cols = [quote(c) for c in header]
    if tm.unpivot:
        u = tm.unpivot
        if u.columns is not None:
            value_cols = [_resolve_column(c, header, key("unpivot", "columns"), label) for c in u.columns]
        else:
            excluded = {_resolve_column(c, header, key("unpivot", "exclude"), label) for c in u.exclude or []}
            value_cols = [c for c in header if c not in excluded]
        if not value_cols:
            raise MappingError(f"{key('unpivot')}: no column left to unpivot in {label}")
        id_cols = [c for c in header if c not in value_cols]
        for new in (u.names_to, u.values_to):
            if new in id_cols:
                raise MappingError(f"{key('unpivot')}: {new!r} is already a column of {label}; choose another name")
        available = id_cols + derived + [u.names_to, u.values_to]

    def check_sql_binds(expression: str, where: str, relation: str) -> None:
        try:
            conn.execute(f"SELECT {expression} FROM {relation} LIMIT 0")
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise MappingError(f"{where}: {first} (input {label}; input columns are text: {', '.join(available[:30])})") from None

    # The rows: filter on the input as read, then (optionally) unpivot. Probes: what the columns
    # see (after an unpivot), the input as read, and a row's other columns (before the unpivot).
    probe_columns = probe("_bind_probe", available)
    probe_input = probe("_bind_input", header + derived) if tm.unpivot else probe_columns
    probe_ids = probe("_bind_ids", id_cols + derived) if tm.unpivot else probe_columns
    blank = " AND ".join(f"{c} IS NULL" for c in base_cols) or "FALSE"
    keep = f"NOT ({blank})"
    if tm.filter:
        check_sql_binds(f"({tm.filter})", key("filter"), probe_input)
        keep += f" AND coalesce(({tm.filter}), FALSE)"
    record_cols = id_cols if tm.unpivot else header
    record = ("to_json(struct_pack(" + ", ".join(f"{quote(c)} := {quote(c)}" for c in record_cols) + "))::VARCHAR"
              if record_cols else "'{}'")
    # Each mapped column in three steps: its input text (once), its value map as a join (a map of
    # hundreds of KPI names costs one hash join, not hundreds of comparisons a row), then the
    # conversion and its message. With an unpivot, columns read from the row's other columns (the
    # date, the recorded time) are converted once per input row, before the unpivot multiplies it.
    before: list[tuple[str, str | None, CompiledColumn]] = []  # (text SQL, value-map table, column)
    after: list[tuple[str, str | None, CompiledColumn]] = []
    default_decimal = (tm.input.decimal if tm.input else None) or mapping.defaults.decimal or "."
    for col in source.columns:
        if col.name not in tm.columns:
            continue
        spec = tm.spec(col.name)
        where = key("columns", col.name)
        per_row = True  # computable before the unpivot
        if spec.column is not None:
            resolved = _resolve_column(spec.column, available, where + ".column", label)
            text = f"nullif(trim(CAST({quote(resolved)} AS VARCHAR)), '')"
            per_row = not tm.unpivot or resolved in id_cols or resolved in derived
        elif spec.value is not None:
            text = _lit(spec.value)
        elif spec.expr is not None:
            check_sql_binds(f"({spec.expr})", where + ".expr", probe_columns)
            text = f"nullif(trim(CAST(({spec.expr}) AS VARCHAR)), '')"
            if tm.unpivot:
                try:
                    conn.execute(f"SELECT ({spec.expr}) FROM {probe_ids} LIMIT 0")
                except duckdb.Error:
                    per_row = False
        else:
            text = MODIFIED
        v = quote(f"__v_{col.name}")
        m = quote(f"__m_{col.name}") if spec.values is not None else None
        table = _value_map_table(conn, source.name, col, spec, where) if spec.values is not None else None
        converted = _convert(col, spec, v, m, column_label(col.name, spec), where, mapping, default_decimal, conn)
        (before if per_row else after).append((text, table, converted))

    rows = f"SELECT * FROM _input WHERE {keep}"
    rows = _convert_step(rows, before)
    record_key = record_value = "NULL"
    if tm.unpivot:
        u = tm.unpivot
        rows = (
            f"SELECT * FROM (UNPIVOT ({rows}) ON {', '.join(quote(c) for c in value_cols)} "
            f"INTO NAME {quote(u.names_to)} VALUE {quote(u.values_to)})"
        )
        rows = _convert_step(rows, after)
        record_key, record_value = quote(u.names_to), quote(u.values_to)
    compiled = [c for _, _, c in before + after]
    outs = [f"{quote('__o_' + c.name)} AS {pretyped_name(c.name) if c.target == 'typed' else raw_name(c.name)}"
            for c in compiled]
    outs += [f"{quote('__e_' + c.name)} AS e__{c.name}" for c in compiled]
    select = (f"SELECT __BRW_FILE__ AS _source_file, {ROW} AS _row_number, {record_key} AS _record_key, "
              f"{record_value} AS _record_value, {', '.join(outs)} FROM ({rows})")
    records = f"SELECT __BRW_FILE__ AS source_file, {ROW} AS row_number, {record} AS record FROM _input WHERE {keep}"
    skipped = f"SELECT count(*) FILTER (WHERE NOT ({keep})) FROM _input"
    compiled_table = CompiledTable(source.name, label, select, compiled, skipped, records)
    # The whole statement must bind (types of expressions, conversions).
    try:
        conn.execute(f"SELECT * FROM ({select.replace('__BRW_FILE__', _lit(label))}) LIMIT 0".replace("FROM _input", f"FROM {probe_input}"))
    except duckdb.Error as exc:
        raise MappingError(f"{mname}: tables.{source.name}: the mapping does not compile against {label}: {str(exc).splitlines()[0]}") from None
    return compiled_table


def _convert_step(rows: str, columns: list) -> str:
    """SQL over `rows` adding, per column, `__o_<c>` (the converted value) and `__e_<c>` (its
    message): texts first, value maps joined, then the conversions."""
    if not columns:
        return rows
    texts = ", ".join(f"{text} AS {quote('__v_' + c.name)}" for text, _, c in columns)
    step = f"SELECT *, {texts} FROM ({rows})"
    joins = [(c, table) for _, table, c in columns if table]
    if joins:
        picks = ", ".join(f"{quote('__j_' + c.name)}.v AS {quote('__m_' + c.name)}" for c, _ in joins)
        ons = " ".join(
            f"LEFT JOIN {table} AS {quote('__j_' + c.name)} ON {quote('__j_' + c.name)}.k = lower(l.{quote('__v_' + c.name)})"
            for c, table in joins
        )
        step = f"SELECT l.*, {picks} FROM ({step}) AS l {ons}"
    outs = ", ".join(
        f"{c.value_sql} AS {quote('__o_' + c.name)}, {c.error_sql or 'NULL'} AS {quote('__e_' + c.name)}" for _, _, c in columns
    )
    return f"SELECT *, {outs} FROM ({step})"


_NULL = "__brw_null__"  # a value map's target "null" (e.g. "TBC": ~), told apart from "not in the map"


def _value_map_table(conn: duckdb.DuckDBPyConnection, table: str, col: Column, spec: ColumnSpec, where: str) -> str:
    """A temp table (k: lower-case input word, v: contract word) for a column's value map."""
    pairs: dict[str, str] = {}
    for word, target in spec.values.items():
        _check_target(col, target, f"{where}.values.{word}")
        k = str(word).strip().lower()
        if k in pairs:
            raise MappingError(f"{where}.values: {word!r} is listed twice (keys are compared ignoring case and spaces)")
        if target is None:
            pairs[k] = _NULL
        elif isinstance(target, bool):
            pairs[k] = "true" if target else "false"
        elif col.type == "enum":
            pairs[k] = str(target).upper() if col.upper else str(target).lower()
        else:
            pairs[k] = str(target)
    name = f"_vmap_{table}_{col.name}"
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {name} (k VARCHAR PRIMARY KEY, v VARCHAR)")
    conn.executemany(f"INSERT INTO {name} VALUES (?, ?)", list(pairs.items()))
    return name


def _convert(col: Column, spec: ColumnSpec, v: str, mapped: str | None, shown: str, where: str, mapping: Mapping,
             default_decimal: str, conn: duckdb.DuckDBPyConnection) -> CompiledColumn:
    """SQL turning the input text `v` (and its value-map hit `mapped`) into the contract column,
    and the message when it cannot."""
    listed = ""
    if spec.values is not None:
        listed = ", ".join(str(k) for k in list(spec.values)[:8]) + (", …" if len(spec.values) > 8 else "")
    if spec.default is not None:
        _check_target(col, spec.default, f"{where}.default")
    default = _lit(spec.default if not isinstance(spec.default, bool) else str(spec.default).lower()) \
        if spec.default is not None else None
    shown_value = f"'''' || {v} || ''''"

    if col.type in ("text", "enum"):
        if col.type == "enum" and (mapped is not None or default is not None):
            case = "upper" if col.upper else "lower"
            allowed = ", ".join(_lit(x) for x in col.values)
            valid = f"CASE WHEN {case}({v}) IN ({allowed}) THEN {case}({v}) END"
            value = f"nullif(coalesce({mapped or 'NULL'}, {valid}, {default or 'NULL'}), {_lit(_NULL)})"
            hint = f"mapped: {listed}; add it under values" if listed else "add it under values"
            error = (f"CASE WHEN {v} IS NOT NULL AND {mapped or 'NULL'} IS NULL AND {valid} IS NULL "
                     f"AND {default or 'NULL'} IS NULL THEN {shown_value} || ' is not mapped ({hint})' END")
            return CompiledColumn(col.name, shown, "text", value, error, "bad_enum")
        if mapped is not None:
            value = f"nullif(coalesce({mapped}, {default or v}), {_lit(_NULL)})"
            return CompiledColumn(col.name, shown, "text", value, None)
        return CompiledColumn(col.name, shown, "text", v, None)

    if mapped is not None:  # a value map before conversion: e.g. "TBC" → null, "Y" → true
        v = f"nullif(coalesce({mapped}, {default or v}), {_lit(_NULL)})"
    if col.type in ("date", "month"):
        formats = _formats(spec.date) or _formats(mapping.defaults.date)
        for fmt in formats:
            _check_format(conn, fmt, f"{where}.date")
        value = date_sql(v, formats)
        words = " or ".join(["YYYY-MM-DD", *[("an Excel serial date" if f.lower() == "excel" else f) for f in formats]])
        error = f"CASE WHEN {v} IS NOT NULL AND {value} IS NULL THEN {shown_value} || ' is not a date ({words})' END"
        return CompiledColumn(col.name, shown, "typed", value, error)
    if col.type == "timestamp":
        formats = _formats(spec.timestamp) or _formats(mapping.defaults.timestamp)
        for fmt in formats:
            _check_format(conn, fmt, f"{where}.timestamp")
        value = timestamp_sql(v, formats)
        words = " or ".join(["ISO 8601", *formats])
        error = f"CASE WHEN {v} IS NOT NULL AND {value} IS NULL THEN {shown_value} || ' is not a timestamp ({words})' END"
        return CompiledColumn(col.name, shown, "typed", value, error)
    if col.type in ("decimal", "integer"):
        fmt = spec.number or NumberFormat()
        number = number_sql(v, fmt, default_decimal)
        hint = "" if fmt.suffixes else "; number.suffixes: true reads k, m and bn"
        if col.type == "integer":
            value = f"CASE WHEN ({number}) = round({number}) THEN CAST({number} AS BIGINT) END"
            what = "a whole number"
        else:
            value = f"CASE WHEN isfinite({number}) THEN {number} END"
            what = "a number"
        error = f"CASE WHEN {v} IS NOT NULL AND {value} IS NULL THEN {shown_value} || ' is not {what}{hint}' END"
        return CompiledColumn(col.name, shown, "typed", value, error)
    if col.type == "boolean":
        whens = " ".join(f"WHEN {_lit(k)} THEN {'TRUE' if b else 'FALSE'}" for k, b in _BOOLEAN_WORDS.items())
        value = f"CASE lower({v}) {whens} END"
        error = f"CASE WHEN {v} IS NOT NULL AND {value} IS NULL THEN {shown_value} || ' is not true or false (map it under values)' END"
        return CompiledColumn(col.name, shown, "typed", value, error)
    raise MappingError(f"{where}: contract type {col.type} cannot be mapped")


def _check_target(col: Column, target: Any, where: str) -> None:
    if target is None:
        return
    if col.type == "enum":
        word = str(target).upper() if col.upper else str(target).lower()
        if word not in col.values:
            allowed = "an ISO 4217 currency code" if len(col.values) > 10 else "one of " + ", ".join(col.values)
            raise MappingError(f"{where}: {target!r} is not {allowed}")
    if col.type == "boolean" and str(target).lower() not in _BOOLEAN_WORDS:
        raise MappingError(f"{where}: {target!r} is not true or false")


def _check_format(conn: duckdb.DuckDBPyConnection, fmt: str, where: str) -> None:
    if fmt.lower() == "excel":
        return
    try:
        conn.execute(f"SELECT try_strptime('2024-01-01', {_lit(fmt)})")
    except duckdb.Error as exc:
        raise MappingError(f"{where}: {fmt!r} is not a valid strftime format ({str(exc).splitlines()[0]})") from None
    if "%" not in fmt:
        raise MappingError(f"{where}: {fmt!r} is not a strftime format (e.g. %d/%m/%Y)")


def stage_sql(compiled: CompiledTable, label: str) -> str:
    return compiled.select_sql.replace("__BRW_FILE__", _lit(label))


# --------------------------------------------------------------------------- validation


@dataclass
class TableCheck:
    table: str
    files: list[str]
    absent: bool = False


def validate(conn: duckdb.DuckDBPyConnection, mapping: Mapping, source_dir: Path,
             tables: list[str] | None = None) -> list[TableCheck]:
    """Check the mapping against the headers of every input it names, before anything is loaded.
    Raises MappingError (all problems found, one per line)."""
    conn.execute(PARSE_MACROS)
    mname = mapping.path.name if mapping.path else MAPPING_FILE
    problems: list[str] = []
    out: list[TableCheck] = []
    for name, tm in mapping.tables.items():
        if tables is not None and name not in tables:
            continue
        source = SOURCES_BY_NAME[name]
        if tm.absent:
            out.append(TableCheck(name, [], absent=True))
            continue
        try:
            files = input_files(source_dir, name, tm, mname)
        except MappingError as exc:
            problems.append(str(exc))
            continue
        if not files and not source.landing_folder:
            problems.append(
                f"{mname}: {_key(name, 'input', 'file')}: {tm.input.file!r} matches no file in {source_dir}"
            )
            continue
        labels = []
        for path in files:
            try:
                label, header, _ = read_input(conn, source_dir, name, tm, mapping, path, header_only=True)
                compile_table(conn, source, tm, mapping, label, header)
                labels.append(label)
            except MappingError as exc:
                problems.append(str(exc) if str(exc).startswith(mname) else f"{mname}: {_key(name, 'input')}: {exc}")
        out.append(TableCheck(name, labels))
    if problems:
        raise MappingError("\n".join(dict.fromkeys(problems)))
    return out


# --------------------------------------------------------------------------- staging for ingest


def column_label(name: str, spec: ColumnSpec) -> str:
    """How a quarantine message names a mapped column: `stage ← 'Phase'`."""
    if spec.column is not None:
        return f"{name} ← {spec.column!r}"
    if spec.value is not None:
        return f"{name} ← constant"
    if spec.expr is not None:
        used = list(dict.fromkeys(re.findall(r'"((?:[^"]|"")+)"', spec.expr)))
        return f"{name} ← expr over {', '.join(repr(u.replace(chr(34) * 2, chr(34))) for u in used)}" if used \
            else f"{name} ← expr"
    return f"{name} ← file modified time"


def mapped_stage(source: Source, tm: TableMapping):
    """The checks' view of a mapped table (pipelines.ingest.MappedStage)."""
    from pipelines.ingest import MappedStage

    columns = [c.name for c in source.columns if c.name in tm.columns]
    return MappedStage(
        columns=columns,
        reasons={c: ("bad_enum" if source.column(c).type == "enum" else "bad_type") for c in columns},
        labels={c: column_label(c, tm.spec(c)) for c in columns},
    )


def stage_input(conn: duckdb.DuckDBPyConnection, source: Source, tm: TableMapping, mapping: Mapping,
                source_dir: Path, path: Path) -> int:
    """Read one input through the mapping into `_stage`. Returns the rows skipped (blank or filtered)."""
    label, header, _ = read_input(conn, source_dir, source.name, tm, mapping, path)
    compiled = compile_table(conn, source, tm, mapping, label, header)
    conn.execute(f"INSERT INTO _stage BY NAME {stage_sql(compiled, label)}")
    # The input's own records, one per row kept (not per unpivoted cell): what the quarantine shows.
    conn.execute(f"INSERT INTO _records {compiled.records_sql.replace('__BRW_FILE__', _lit(label))}")
    skipped = conn.execute(compiled.skipped_sql).fetchone()[0]
    conn.execute("DROP TABLE IF EXISTS _input")
    return skipped


def source_label(source: Source, mapping: Mapping | None) -> str:
    """How a run's lines name a source's input: the contract file, or the mapped input."""
    tm = mapping.table(source.name) if mapping is not None else None
    if tm is None:
        return source.path + ("/" if source.landing_folder else "")
    return f"{source.name} (absent)" if tm.absent else f"{tm.input.file} → {source.name}"


def input_signatures(source_dir: Path, table: str, tm: TableMapping) -> dict[str, list[int]]:
    """{input path in the source directory: [size, mtime_ns]}: what the sensor watches and what
    `brw run` fingerprints for a mapped table."""
    out = {}
    for path in input_files(source_dir, table, tm):
        stat = path.stat()
        out[Path(os.path.relpath(path, source_dir)).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return out
