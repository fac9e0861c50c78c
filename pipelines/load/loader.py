"""Validated loading of source files into the warehouse's `raw` schema (SPEC sections 2 and 5).

All data work is DuckDB SQL generated from `pipelines.contract`:

1. every file is read by DuckDB's own reader with every field as text (CSV: `read_csv` with
   `store_rejects`, so a row with the wrong number of fields is kept as `malformed_row`;
   Parquet: `read_parquet`, values cast to text so both formats pass the same checks);
2. one SQL statement types every column and gives each row the first rule it breaks
   (`missing_required`, `bad_type`, `bad_enum`, `bad_range`, `target_not_an_improvement`,
   `unknown_reference`), then window functions find `duplicate_key` and, for KPI measurements,
   `conflicting_duplicate` (same kpi_id, measured_on and recorded_at with different values);
3. inside one transaction the good rows replace the raw table (or, for the landing folder, the
   rows of the files being loaded), bad rows replace that file's rows in `audit.quarantine`,
   and `audit.load_audit` gets rows_read = rows_loaded + rows_quarantined per file and run.

A missing required file or column raises `SourceContractError` before anything is written.
In the landing folder a file that cannot be read at all (a header that lacks or repeats a
required column, not UTF-8 text, not Parquet, a link out of the source directory) is rejected on
its own (`rejected_file`, one quarantine record naming file, row and column) and the other files
of the batch load.

Hostile or careless input is contained here, not downstream (issue 11): dates outside the
plausible window are `bad_range`; non-finite numbers (`1e309`) are `bad_type`; timestamps are
parsed row by row as ISO 8601 with `Z` or an offset within +-14:00 (a named zone is `bad_type`);
a CSV that DuckDB's reader cannot take (a stray quote, a field over 2 MB, mixed line endings)
is read again record by record, so one bad line costs one row, not the file.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.contract import LINEAGE_COLUMNS, SOURCES, SOURCES_BY_NAME, Column, Source
from pipelines.settings import DateWindow, links_out_allowed


DEFAULT_MEMORY_LIMIT = "3GB"


class SourceContractError(Exception):
    """A source file cannot be loaded at all (missing file, missing column, unreadable)."""

    def __init__(self, message: str, column: str | None = None, row_number: int | None = None):
        super().__init__(message)
        self.column = column
        self.row_number = row_number


@dataclass
class FileLoad:
    source_file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rows_skipped: int = 0  # mapped inputs: blank rows and rows the mapping's filter leaves out (not read)


@dataclass
class LoadResult:
    source: str
    files: list[FileLoad] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # landing files already loaded
    rejected_files: dict[str, str] = field(default_factory=dict)  # landing file -> why it was not read
    moved_to_quarantine: int = 0  # earlier-loaded rows found conflicting with a new file
    table_rows: int = 0  # rows in the raw table after the load

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.reasons.items():
                total[reason] = total.get(reason, 0) + n
        return dict(sorted(total.items()))


# --------------------------------------------------------------------------- warehouse DDL

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.quarantine (
    source_file VARCHAR NOT NULL,
    row_number BIGINT,
    record VARCHAR,
    reason VARCHAR NOT NULL,
    column_name VARCHAR,
    detail VARCHAR,
    run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.load_audit (
    source_file VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS audit.loaded_files (
    source_file VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
"""


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def raw_table_ddl(source: Source) -> str:
    cols = [f"{quote(c.name)} {c.sql_type}" for c in source.columns]
    cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS raw.{source.name} (\n    " + ",\n    ".join(cols) + "\n)"


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    # DuckDB takes 80 % of RAM by default; spill to disk beyond this instead (BRW_MEMORY_LIMIT).
    conn.execute(f"SET memory_limit = {literal(os.environ.get('BRW_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT))}")
    return conn


def ensure_warehouse(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and tables (idempotent)."""
    conn.execute(AUDIT_DDL)
    # Warehouses from before mapped sources: one input file may now feed two tables, so each
    # quarantined row also names its table (filled from the load audit for older rows).
    conn.execute("ALTER TABLE audit.quarantine ADD COLUMN IF NOT EXISTS source VARCHAR")
    if conn.execute("SELECT count(*) FROM audit.quarantine WHERE source IS NULL").fetchone()[0]:
        conn.execute(
            """UPDATE audit.quarantine q SET source = a.source FROM (
                   SELECT source_file, any_value(source) AS source FROM audit.load_audit GROUP BY source_file
               ) a WHERE q.source IS NULL AND a.source_file = q.source_file"""
        )
    for source in SOURCES:
        conn.execute(raw_table_ddl(source))


# --------------------------------------------------------------------------- typing and rules

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_DECIMAL_RE = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_INTEGER_RE = r"[+-]?\d+"
# ISO 8601: a date, or a date and time with an optional `Z` or numeric offset (no named zones).
_TIME_RE = r"[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_TIMESTAMP_RE = _DATE_RE + r"(?:" + _TIME_RE + r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
_LOCAL_RE = "^" + _DATE_RE + r"(?:" + _TIME_RE + r")?"
_OFFSET_RE = _TIME_RE + r"([+-])(\d{2}):?(\d{2})?$"
MAX_OFFSET_MINUTES = 14 * 60  # ISO 8601 offsets run from -12:00 to +14:00

# Parsing helpers as connection-local macros, so the checking SQL stays readable. Every row is
# parsed on its own by string functions and arithmetic: no cast through TIMESTAMPTZ, whose
# named-zone handling could leak from one row into the next.
PARSE_MACROS = f"""
CREATE OR REPLACE TEMP MACRO brw_offset_minutes(sign, hh, mm) AS (
    CASE
        WHEN sign = '' THEN 0
        WHEN coalesce(CAST(nullif(mm, '') AS INTEGER), 0) > 59
          OR CAST(hh AS INTEGER) * 60 + coalesce(CAST(nullif(mm, '') AS INTEGER), 0) > {MAX_OFFSET_MINUTES} THEN NULL
        ELSE (CASE sign WHEN '-' THEN -1 ELSE 1 END)
             * (CAST(hh AS INTEGER) * 60 + coalesce(CAST(nullif(mm, '') AS INTEGER), 0))
    END
);
CREATE OR REPLACE TEMP MACRO brw_parse_timestamp(t) AS (
    CASE WHEN regexp_full_match(t, '{_TIMESTAMP_RE}') THEN
        TRY_CAST(upper(regexp_extract(t, '{_LOCAL_RE}', 0)) AS TIMESTAMP)
        - to_minutes(brw_offset_minutes(
            regexp_extract(t, '{_OFFSET_RE}', 1), regexp_extract(t, '{_OFFSET_RE}', 2),
            regexp_extract(t, '{_OFFSET_RE}', 3)))
    END
);
CREATE OR REPLACE TEMP MACRO brw_parse_double(t) AS (
    CASE WHEN regexp_full_match(t, '{_DECIMAL_RE}') AND isfinite(TRY_CAST(t AS DOUBLE)) THEN TRY_CAST(t AS DOUBLE) END
);
"""


def raw_name(column: str) -> str:
    return quote("raw__" + column)


def pretyped_name(column: str) -> str:
    """Stage column for a value that arrived already typed (Parquet): no text round trip."""
    return quote("t__" + column)


# Contract types that a typed (Parquet) column can arrive in directly.
PRETYPED = {"date", "month", "timestamp", "decimal", "integer", "boolean"}


def parse_expr(col: Column) -> str:
    """SQL turning the trimmed text of `col` into its typed value (NULL when it does not parse)."""
    r = raw_name(col.name)
    if col.type == "text":
        return r
    if col.type == "enum":
        return f"upper({r})" if col.upper else f"lower({r})"
    if col.type in ("date", "month"):
        return f"CASE WHEN regexp_full_match({r}, '{_DATE_RE}') THEN TRY_CAST({r} AS DATE) END"
    if col.type == "timestamp":
        return f"brw_parse_timestamp({r})"
    if col.type == "decimal":  # 1e309 parses as infinity: not a number here
        return f"brw_parse_double({r})"
    if col.type == "integer":
        return f"CASE WHEN regexp_full_match({r}, '{_INTEGER_RE}') THEN TRY_CAST({r} AS BIGINT) END"
    if col.type == "boolean":
        return f"CASE lower({r}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
    raise ValueError(f"unknown column type {col.type!r}")


def typed_expr(col: Column) -> str:
    """The typed value: as it arrived (Parquet), else parsed from text (CSV). NaN/inf are not numbers."""
    if col.type not in PRETYPED:
        return parse_expr(col)
    t = pretyped_name(col.name)
    if col.type == "decimal":
        t = f"CASE WHEN isfinite({t}) THEN {t} END"
    return f"coalesce({t}, {parse_expr(col)})"


def present_expr(col: Column) -> str:
    """SQL: the field has a value (as text or typed)."""
    if col.type in PRETYPED:
        return f"({raw_name(col.name)} IS NOT NULL OR {pretyped_name(col.name)} IS NOT NULL)"
    return f"{raw_name(col.name)} IS NOT NULL"


def shown_expr(col: Column) -> str:
    """SQL: the field as text, as it arrived."""
    if col.type in PRETYPED:
        return f"coalesce({raw_name(col.name)}, CAST({pretyped_name(col.name)} AS VARCHAR))"
    return raw_name(col.name)


def record_expr(source: Source) -> str:
    """SQL: the row as JSON text, its fields as read (trimmed), for the quarantine."""
    fields = ", ".join(f"{quote(c.name)} := {shown_expr(c)}" for c in source.columns)
    return f"CAST(to_json(struct_pack({fields})) AS VARCHAR)"


_TYPE_WORDS = {
    "date": "a date (YYYY-MM-DD)",
    "month": "a date (YYYY-MM-DD)",
    "timestamp": "an ISO 8601 timestamp (YYYY-MM-DD, optional time, Z or an offset within +-14:00)",
    "decimal": "a finite decimal number (point as decimal separator)",
    "integer": "a whole number",
    "boolean": "true or false",
}


def _shown(source: Source, column: str) -> str:
    """SQL for the offending value as it arrived, quoted for a message."""
    return f"'''' || {shown_expr(source.column(column))} || ''''"


def window_rules(source: Source, window: DateWindow) -> list[tuple[str, str, str, str]]:
    """`bad_range` for every date outside the plausible window (SPEC section 2)."""
    rules = []
    for col in source.columns:
        if col.type not in ("date", "month", "timestamp"):
            continue
        sql_type = "TIMESTAMP" if col.type == "timestamp" else "DATE"
        latest = f"{window.latest.isoformat()} 23:59:59.999999" if col.type == "timestamp" else window.latest.isoformat()
        cond = (
            f"{quote(col.name)} < {sql_type} {literal(window.earliest.isoformat())} "
            f"OR {quote(col.name)} > {sql_type} {literal(latest)}"
        )
        message = (
            f"{_shown(source, col.name)} || ' is outside the plausible window {window.describe()} "
            "(BRW_EARLIEST_DATE to as of + BRW_YEARS_AHEAD years)'"
        )
        rules.append(("bad_range", col.name, f"coalesce({cond}, FALSE)", message))
    return rules


def row_rules(source: Source, window: DateWindow | None = None) -> list[tuple[str, str, str, str]]:
    """(reason, column, SQL condition, SQL message) in precedence order: first match wins."""
    rules: list[tuple[str, str, str, str]] = []
    for col in source.columns:
        if col.required:
            rules.append(("missing_required", col.name, f"NOT {present_expr(col)}", "'is required but empty'"))
    for rule in source.rules:
        if rule.reason == "missing_required":
            rules.append((rule.reason, rule.column, f"coalesce({rule.condition}, FALSE)", literal(rule.message)))
    for col in source.columns:
        if col.type in _TYPE_WORDS:
            cond = f"{present_expr(col)} AND {quote(col.name)} IS NULL"
            rules.append(("bad_type", col.name, cond, f"{_shown(source, col.name)} || ' is not {_TYPE_WORDS[col.type]}'"))
    for col in source.columns:
        if col.type == "enum":
            allowed = ", ".join(literal(v) for v in col.values)
            cond = f"{quote(col.name)} IS NOT NULL AND {quote(col.name)} NOT IN ({allowed})"
            shown = "an ISO 4217 currency code" if len(col.values) > 10 else "one of " + ", ".join(col.values)
            rules.append(("bad_enum", col.name, cond, f"{_shown(source, col.name)} || ' is not {shown}'"))
    if window is not None:
        rules += window_rules(source, window)
    for rule in source.rules:
        if rule.reason != "missing_required":
            rules.append((rule.reason, rule.column, f"coalesce({rule.condition}, FALSE)", literal(rule.message)))
    for ref in source.references:
        target = SOURCES_BY_NAME[ref.source]
        cond = (
            f"{quote(ref.column)} IS NOT NULL AND {quote(ref.column)} NOT IN "
            f"(SELECT {quote(ref.target_column)} FROM raw.{target.name})"
        )
        msg = f"{_shown(source, ref.column)} || ' is not a {ref.target_column} loaded from {target.path}'"
        rules.append(("unknown_reference", ref.column, cond, msg))
    return rules


def _case(rules: list[tuple[str, str, str, str]], pick: Callable[[tuple[str, str, str, str]], str]) -> str:
    if not rules:
        return "NULL"
    whens = "\n        ".join(f"WHEN {cond} THEN {pick(rule)}" for rule in rules for cond in [rule[2]])
    return f"CASE\n        {whens}\n    END"


@dataclass
class MappedStage:
    """What a mapped source adds to the checks (pipelines.mapping): the input's record, a
    conversion error per mapped column (checked first), and how messages name each column."""

    columns: list[str]  # the mapped contract columns: each has an e__<column> message in `_stage`
    reasons: dict[str, str]  # column -> reason of its conversion error (bad_enum, bad_type)
    labels: dict[str, str]  # column -> `stage ← 'Phase'`

    @property
    def stage_columns(self) -> list[str]:
        return ["_record_key", "_record_value", *(f"e__{c}" for c in self.columns)]

    def rules(self) -> list[tuple[str, str, str, str]]:
        return [(self.reasons[c], c, f"e__{c} IS NOT NULL", f"e__{c}") for c in self.columns]


def check_sql(source: Source, window: DateWindow | None = None, mapped: MappedStage | None = None) -> str:
    """SQL that types `_stage` and gives each row its first broken rule, as temp table `_checked`.

    Needs the PARSE_MACROS on the connection."""
    raw_cols = ",\n        ".join(stage_columns(source) + (mapped.stage_columns if mapped else []))
    typed = ",\n        ".join(f"{typed_expr(c)} AS {quote(c.name)}" for c in source.columns)
    rules = (mapped.rules() if mapped else []) + row_rules(source, window)
    labels = mapped.labels if mapped else {}
    reason = _case(rules, lambda r: literal(r[0]))
    column = _case(rules, lambda r: literal(r[1]))
    detail = _case(rules, lambda r: f"{literal('column ' + labels.get(r[1], r[1]) + ': ')} || {r[3]}")
    return f"""
CREATE OR REPLACE TEMP TABLE _checked AS
WITH typed AS (
    SELECT
        _source_file,
        _row_number,
        {raw_cols},
        {typed}
    FROM _stage
)
SELECT
    *,
    {reason} AS _reason,
    {column} AS _column,
    {detail} AS _detail
FROM typed
"""


def duplicate_key_sql(source: Source) -> str:
    """Among rows that passed the row rules, later rows repeating a key are `duplicate_key`."""
    key = ", ".join(quote(k) for k in source.key)
    return f"""
UPDATE _checked SET
    _reason = 'duplicate_key',
    _column = {literal(source.key[0])},
    _detail = 'key ({", ".join(source.key)}) repeats row ' || d.first_row
FROM (
    SELECT _source_file AS f, _row_number AS r,
           row_number() OVER w AS n, first_value(_row_number) OVER w AS first_row
    FROM _checked
    WHERE _reason IS NULL
    WINDOW w AS (PARTITION BY {key} ORDER BY _source_file, _row_number)
) AS d
WHERE d.f = _checked._source_file AND d.r = _checked._row_number AND d.n > 1
"""


# --------------------------------------------------------------------------- staging files


def _read_options() -> str:
    return (
        "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
        "store_rejects = true, rejects_table = '_rejects', rejects_scan = '_rejects_scan'"
    )


def _normalise(name: str) -> str:
    return name.strip().lower()


_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_NUMBER_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}


def pretyped_value(col: Column, duck_type: str, src: str) -> str | None:
    """SQL taking a typed (Parquet) field as the contract type, or None when it must go via text."""
    t = duck_type.upper()
    if col.type in ("date", "month") and t == "DATE":
        return src
    if col.type == "timestamp" and t.startswith("TIMESTAMP"):
        return f"timezone('UTC', {src})" if "TIME ZONE" in t else f"CAST({src} AS TIMESTAMP)"
    if col.type == "decimal" and (t in _NUMBER_TYPES or t.startswith("DECIMAL")):
        return f"CAST({src} AS DOUBLE)"
    if col.type == "integer" and t in _INTEGER_TYPES:
        return f"CAST({src} AS BIGINT)"
    if col.type == "boolean" and t == "BOOLEAN":
        return src
    return None


MAX_LINE_BYTES = 2_000_000  # a record longer than this is malformed (DuckDB's own line limit)
SHOWN_CHARS = 2_000  # a quarantined line is kept up to this many characters
_MAX_JOINED_LINES = 50  # a quoted field may span lines: at most this many


def _shown_line(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}… [{len(text.encode('utf-8', 'replace')):,} bytes in all]"


def read_csv_header(path: Path, source_file: str) -> list[str]:
    """The header row of a CSV file, read on its own (so a bad header is named as such)."""
    with path.open("rb") as handle:
        first = handle.readline(MAX_LINE_BYTES + 1).split(b"\r")[0]  # CRLF, or CR-only line ends
    if not first.strip():
        raise SourceContractError(f"{source_file}: row 1: the file is empty (no header row)", row_number=1)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceContractError(
            f"{source_file}: row 1 (header) is not UTF-8 text (byte 0x{first[exc.start]:02X} at position "
            f"{exc.start + 1}); save the file as UTF-8 CSV",
            row_number=1,
        ) from None
    try:
        return next(csv.reader([text.rstrip("\r\n")], strict=True))
    except (csv.Error, StopIteration):
        raise SourceContractError(f"{source_file}: row 1 (header) is not a comma-separated header", row_number=1) from None


def check_header(source: Source, header: list[str], source_file: str) -> None:
    """A required column missing or any contract column named twice fails the file, by name."""
    normal = [_normalise(h) for h in header]
    for col in source.columns:
        positions = [i + 1 for i, h in enumerate(normal) if h == col.name]
        if len(positions) > 1:
            raise SourceContractError(
                f"{source_file}: row 1 (header) names column {col.name} {len(positions)} times "
                f"(columns {', '.join(map(str, positions[:-1]))} and {positions[-1]}); keep one",
                column=col.name, row_number=1,
            )
    missing = [c for c in source.required_columns if c not in normal]
    if missing:
        which = "columns" if len(missing) > 1 else "column"
        hint = ""
        if len(header) == 1:
            for sep in (";", "\t", "|"):
                if sep in header[0]:
                    hint = f"; the file looks separated by {sep!r}, source files are comma-separated (SPEC section 2)"
                    break
        raise SourceContractError(
            f"{source_file}: header lacks required {which} {', '.join(missing)} "
            f"(header has: {', '.join(header) or 'nothing'}){hint}",
            column=missing[0], row_number=1,
        )


def _read_csv_duckdb(conn: duckdb.DuckDBPyConnection, path: Path, width: int) -> bool:
    """DuckDB's reader into `_read` and `_rejects`: the fast path. False when it cannot take the
    file as it is (it fails, or an unterminated quote swallowed the lines after it)."""
    conn.execute("DROP TABLE IF EXISTS _read")
    conn.execute("DROP TABLE IF EXISTS _rejects")
    conn.execute("DROP TABLE IF EXISTS _rejects_scan")
    try:
        conn.execute(f"CREATE TEMP TABLE _read AS SELECT * FROM read_csv({literal(str(path))}, {_read_options()})")
        if len(conn.execute("DESCRIBE _read").fetchall()) != width:
            return False
        swallowed = conn.execute("SELECT count(*) FROM _rejects WHERE error_type = 'UNQUOTED VALUE'").fetchone()[0]
        return not swallowed
    except duckdb.Error:
        return False


def parse_csv_records(path: Path, header: list[str]) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str, str]]]:
    """The careful path: every line parsed on its own (a quoted field may join up to 50 lines).

    Returns (good records as (row number, fields), bad lines as (row number, line, message)).
    Row numbers count records as a spreadsheet does: the header is row 1.
    """
    data = path.read_bytes()
    lines = data.split(b"\n") if b"\n" in data else data.split(b"\r")
    if lines and not lines[-1].strip():
        lines.pop()
    width = len(header)
    good: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str, str]] = []
    csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_LINE_BYTES))
    i, row = 1, 1
    while i < len(lines):
        raw = lines[i].rstrip(b"\r")
        line_no = i + 1
        i += 1
        if not raw.strip():
            continue  # a blank line is no record
        row += 1
        if len(raw) > MAX_LINE_BYTES:
            text = raw[:SHOWN_CHARS * 4].decode("utf-8", "replace")
            bad.append((row, _shown_line(text) + f"… [{len(raw):,} bytes in all]",
                        f"line {line_no}: {len(raw):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit of one row"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append((row, raw.decode("utf-8", "replace"),
                        f"line {line_no}: not UTF-8 text (byte 0x{raw[exc.start]:02X} at position {exc.start + 1})"))
            continue
        fields, used, problem = _parse_record(text, lines, i, width)
        if fields is None:
            bad.append((row, _shown_line(text), f"line {line_no}: {problem}"))
            continue
        i += used
        if len(fields) != width:
            bad.append((row, _shown_line(text), f"line {line_no}: expected {width} fields as in the header, found {len(fields)}"))
            continue
        good.append((row, fields))
    return good, bad


def _parse_record(text: str, lines: list[bytes], nxt: int, width: int) -> tuple[list[str] | None, int, str]:
    """Fields of the record starting with `text`; (None, 0, why) when it is not valid CSV.
    `used`: how many following lines a quoted field took."""
    try:
        rows = list(csv.reader([text], strict=True))
        if len(rows) == 1:
            return rows[0], 0, ""
        problem = "not a single CSV record"
    except csv.Error as exc:
        problem = f"not valid CSV ({exc}): a stray or unbalanced quote"
    joined, size = text, len(text)
    for extra in range(1, _MAX_JOINED_LINES + 1):
        if nxt + extra - 1 >= len(lines):
            break
        more = lines[nxt + extra - 1].rstrip(b"\r").decode("utf-8", "replace")
        joined += "\n" + more
        size += len(more)
        if size > MAX_LINE_BYTES:
            break
        try:
            rows = list(csv.reader(joined.splitlines(keepends=True), strict=True))
        except csv.Error:
            continue
        if len(rows) == 1 and len(rows[0]) == width:
            return rows[0], extra, ""
    return None, 0, problem


def _read_csv_careful(conn: duckdb.DuckDBPyConnection, path: Path, header: list[str], source_file: str) -> int:
    """`_read` (with its row numbers in `__brw_row`) from parse_csv_records; bad lines go to
    `_malformed`. Returns the number of bad lines."""
    good, bad = parse_csv_records(path, header)
    names, seen = [], set()
    for k, name in enumerate(header):
        name = name or f"column{k + 1}"
        while name in seen or name == "__brw_row":
            name += "_"
        seen.add(name)
        names.append(name)
    columns = {name: pa.array([fields[k] for _, fields in good], pa.string()) for k, name in enumerate(names)}
    columns["__brw_row"] = pa.array([r for r, _ in good], pa.int64())
    conn.execute("DROP TABLE IF EXISTS _read")
    conn.register("_careful_read", pa.table(columns))
    try:
        conn.execute("CREATE TEMP TABLE _read AS SELECT * FROM _careful_read")
    finally:
        conn.unregister("_careful_read")
    if bad:
        conn.register("_careful_bad", pa.table({
            "row_number": pa.array([r for r, _, _ in bad], pa.int64()),
            "line": pa.array([line for _, line, _ in bad], pa.string()),
            "detail": pa.array([d for _, _, d in bad], pa.string()),
        }))
        try:
            conn.execute(
                f"INSERT INTO _malformed SELECT {literal(source_file)}, row_number, "
                "to_json({'csv_line': line})::VARCHAR, detail FROM _careful_bad"
            )
        finally:
            conn.unregister("_careful_bad")
    return len(bad)


def stage_file(conn: duckdb.DuckDBPyConnection, source: Source, path: Path, source_file: str) -> int:
    """Read one file into `_stage` (appending). Returns the number of malformed rows staged.

    CSV fields are staged as trimmed text; Parquet fields that already have the contract's type
    are staged typed (no text round trip), the others as text. Raises SourceContractError naming
    the file and column when a required column is missing or named twice, or the file cannot be
    read at all. A CSV that DuckDB's reader cannot take whole is read record by record instead.
    """
    is_parquet = path.suffix.lower() == ".parquet"
    careful = False
    malformed = 0
    if is_parquet:
        reader = f"read_parquet({literal(str(path))}, file_row_number = true)"
        try:
            described = conn.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0][:300]
            raise SourceContractError(f"{source_file}: cannot be read as Parquet ({first})") from exc
        header = [row[0] for row in described if row[0] != "file_row_number"]
        check_header(source, header, source_file)
    else:
        header = read_csv_header(path, source_file)
        check_header(source, header, source_file)
        if not _read_csv_duckdb(conn, path, len(header)):
            careful = True
            malformed = _read_csv_careful(conn, path, header, source_file)
        reader = "_read"
        described = conn.execute("DESCRIBE SELECT * FROM _read").fetchall()

    types = {row[0]: row[1] for row in described}
    present = {}
    for name in (row[0] for row in described):
        if name not in ("file_row_number", "__brw_row"):
            present.setdefault(_normalise(name), name)

    targets, values = [], []
    for col in source.columns:
        if col.name not in present:
            continue
        src = f"r.{quote(present[col.name])}"
        typed = pretyped_value(col, types[present[col.name]], src) if is_parquet and col.type in PRETYPED else None
        if typed is not None:
            targets.append(pretyped_name(col.name))
            values.append(typed)
        else:
            targets.append(raw_name(col.name))
            values.append(f"nullif(trim(CAST({src} AS VARCHAR)), '')")

    if is_parquet:
        row_number = "r.file_row_number + 1"
    elif careful:
        row_number = "r.__brw_row"
    else:
        row_number, malformed = csv_row_numbers(conn, "_read", "_rejects", source_file, alias="r.")
    columns = ", ".join(["_source_file", "_row_number", *targets])
    conn.execute(
        f"INSERT INTO _stage ({columns}) SELECT {literal(source_file)}, {row_number}, {', '.join(values)} "
        f"FROM {reader} AS r"
    )
    conn.execute("DROP TABLE IF EXISTS _read")
    return malformed


def csv_row_numbers(
    conn: duckdb.DuckDBPyConnection, read: str, rejects: str, source_file: str, header_row: int = 1,
    alias: str = "",
) -> tuple[str, int]:
    """(SQL numbering the rows of the CSV read into `read`, the number of rejected lines).

    Row numbers as a spreadsheet shows them: the header is row `header_row` (the lines above it
    were skipped). Lines DuckDB's reader rejected (`rejects`: wrong number of fields) keep their
    line numbers, and the rows after them shift; they are staged in `_malformed`, one per line
    (a short line gives one reject per missing column)."""
    # rowid of a temporary table starts at a large offset: count from the first row instead.
    base = conn.execute(f"SELECT coalesce(min(rowid), 0) FROM {read}").fetchone()[0]
    ordinal = f"({alias}rowid - {base})"
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _rejected_lines AS SELECT line, arg_min(csv_line, column_idx) AS csv_line, "
        f"arg_min(error_message, column_idx) AS error_message FROM {rejects} GROUP BY line"
    )
    malformed = conn.execute("SELECT count(*) FROM _rejected_lines").fetchone()[0]
    if not malformed:
        return f"{ordinal} + {header_row + 1}", 0
    skipped = header_row - 1
    conn.execute(
        f"""INSERT INTO _malformed
        SELECT {literal(source_file)}, line + {skipped},
               to_json({{'csv_line': CASE WHEN length(csv_line) > {SHOWN_CHARS}
                   THEN left(csv_line, {SHOWN_CHARS}) || '… [' || strlen(csv_line) || ' bytes in all]'
                   ELSE csv_line END}})::VARCHAR,
               'line ' || (line + {skipped}) || ': ' || error_message
        FROM _rejected_lines"""
    )
    shift = (f"(SELECT count(*) FROM (SELECT line - row_number() OVER (ORDER BY line) - {header_row} AS g "
             f"FROM _rejected_lines) AS j WHERE j.g <= {ordinal})")
    return f"{ordinal} + {header_row + 1} + {shift}", malformed


def stage_columns(source: Source) -> list[str]:
    cols = [raw_name(c.name) for c in source.columns]
    return cols + [pretyped_name(c.name) for c in source.columns if c.type in PRETYPED]


def _create_stage(conn: duckdb.DuckDBPyConnection, source: Source, mapped: MappedStage | None = None) -> None:
    cols = [f"{raw_name(c.name)} VARCHAR" for c in source.columns]
    cols += [f"{pretyped_name(c.name)} {c.sql_type}" for c in source.columns if c.type in PRETYPED]
    cols += [f"{quote(c)} VARCHAR" for c in (mapped.stage_columns if mapped else [])]
    if mapped:  # the input's records, one per row read (an unpivoted row is many stage rows)
        conn.execute("CREATE OR REPLACE TEMP TABLE _records (source_file VARCHAR, row_number BIGINT, record VARCHAR)")
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage (_source_file VARCHAR, _row_number BIGINT, {', '.join(cols)})"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _malformed (source_file VARCHAR, row_number BIGINT, record VARCHAR, detail VARCHAR)"
    )


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".parquet"))


def landing_signatures(folder: Path) -> dict[str, list[int]]:
    """{file name: [size, mtime_ns]} of the landing files (empty when there is no folder): what
    the sensor watches and what `brw run` fingerprints."""
    if not folder.is_dir():
        return {}
    out = {}
    for path in landing_files(folder):
        stat = path.stat()
        out[path.name] = [stat.st_size, stat.st_mtime_ns]
    return out


# --------------------------------------------------------------------------- loading


def _conflicting_duplicates(
    conn: duckdb.DuckDBPyConnection, source: Source, files: list[str], run_id: str, loaded_at: datetime
) -> int:
    """SPEC 2: same (kpi_id, measured_on, recorded_at) with different values → all quarantined.

    Rows already in raw (from files loaded earlier) that conflict with a new row are moved to the
    quarantine too. Returns the number of such earlier rows moved.
    """
    key = ", ".join(quote(k) for k in source.key)
    others = f"_source_file NOT IN ({', '.join(literal(f) for f in files)})" if files else "TRUE"
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _conflict_keys AS
        WITH candidates AS (
            SELECT {key}, value FROM _checked WHERE _reason IS NULL
            UNION ALL
            SELECT {key}, value FROM raw.{source.name}
            WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _checked WHERE _reason IS NULL)
        )
        SELECT {key} FROM candidates GROUP BY {key} HAVING min(value) <> max(value)
        """
    )
    conn.execute(
        f"""
        UPDATE _checked SET
            _reason = 'conflicting_duplicate',
            _column = 'value',
            _detail = 'column value: ' || {shown_expr(source.column('value'))} || ' conflicts with another value for the same '
                      || 'kpi_id, measured_on and recorded_at'
        WHERE _reason IS NULL AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)
        """
    )
    moved = conn.execute(
        f"SELECT count(*) FROM raw.{source.name} WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)"
    ).fetchone()[0]
    if moved:
        cols = ", ".join(f"{quote(c.name)} := CAST({quote(c.name)} AS VARCHAR)" for c in source.columns)
        conn.execute(
            f"""
            INSERT INTO audit.quarantine
            SELECT _source_file, _row_number, CAST(to_json(struct_pack({cols})) AS VARCHAR),
                   'conflicting_duplicate', 'value',
                   'column value: ' || CAST(value AS VARCHAR) || ' conflicts with a value loaded later '
                   || 'for the same kpi_id, measured_on and recorded_at', $run_id, $loaded_at, {literal(source.name)}
            FROM raw.{source.name}
            WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)
            """,
            {"run_id": run_id, "loaded_at": loaded_at},
        )
        conn.execute(
            f"DELETE FROM raw.{source.name} WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)"
        )
    return moved


def _write(
    conn: duckdb.DuckDBPyConnection, source: Source, files: list[str], run_id: str, loaded_at: datetime,
    reloaded: list[str] | None = None, mapped: bool = False,
) -> None:
    """Replace the raw rows and the quarantine of `files` with the checked batch; audit it.

    `reloaded`: the landing files loaded before (their old rows go); a new file has no rows in
    raw, so a daily drop skips the scan of the whole measurement table."""
    cols = ", ".join(quote(c.name) for c in source.columns)
    if source.landing_folder:
        if reloaded:
            names = ", ".join(literal(f) for f in reloaded)
            conn.execute(f"DELETE FROM raw.{source.name} WHERE _source_file IN ({names})")
    else:
        conn.execute(f"DELETE FROM raw.{source.name}")
    conn.execute(
        f"INSERT INTO raw.{source.name} ({cols}, _source_file, _row_number, _run_id, _loaded_at) "
        f"SELECT {cols}, _source_file, _row_number, $run_id, $loaded_at FROM _checked "
        "WHERE _reason IS NULL",  # _checked is already in file and row order
        {"run_id": run_id, "loaded_at": loaded_at},
    )
    write_quarantine(conn, source, files, run_id, loaded_at, mapped)


def write_quarantine(
    conn: duckdb.DuckDBPyConnection, source: Source, files: list[str], run_id: str, loaded_at: datetime,
    mapped: bool = False,
) -> None:
    """Bad rows of `files` replace their earlier quarantine. A mapped row keeps the input's own
    record (its columns as the user's file names them), not the contract's."""
    names = ", ".join(literal(f) for f in files)
    params = {"run_id": run_id, "loaded_at": loaded_at, "source": source.name}
    if not source.landing_folder:  # the whole table is replaced; its input's name may have changed
        conn.execute("DELETE FROM audit.quarantine WHERE source = $source", {"source": source.name})
    conn.execute(f"DELETE FROM audit.quarantine WHERE source = $source AND source_file IN ({names})",
                 {"source": source.name})
    record = (
        "CASE WHEN _record_key IS NULL THEN r.record "
        "ELSE CAST(json_merge_patch(r.record, json_object(_record_key, _record_value)) AS VARCHAR) END"
        if mapped else record_expr(source)
    )
    records = " LEFT JOIN _records AS r ON r.source_file = _source_file AND r.row_number = _row_number" if mapped else ""
    conn.execute(
        f"""
        INSERT INTO audit.quarantine
        SELECT _source_file, _row_number, {record}, _reason, _column, _detail, $run_id, $loaded_at, $source
        FROM _checked{records} WHERE _reason IS NOT NULL
        UNION ALL
        SELECT source_file, row_number, record, 'malformed_row', NULL, detail, $run_id, $loaded_at, $source
        FROM _malformed
        ORDER BY 1, 2
        """,
        params,
    )


def _file_counts(conn: duckdb.DuckDBPyConnection, files: list[str]) -> list[FileLoad]:
    rows = conn.execute(
        """
        WITH outcome AS (
            SELECT _source_file AS f, coalesce(_reason, '') AS reason FROM _checked
            UNION ALL
            SELECT source_file, 'malformed_row' FROM _malformed
        )
        SELECT f, reason, count(*) FROM outcome GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    loads = {f: FileLoad(f) for f in files}
    for f, reason, n in rows:
        load = loads[f]
        load.rows_read += n
        if reason:
            load.rows_quarantined += n
            load.reasons[reason] = n
        else:
            load.rows_loaded += n
    return [loads[f] for f in files]


LINK_OUT = "refused:link-out"  # the content hash of a landing file that is a link out: none


def inside_source_dir(path: Path, source_dir: Path, shown: str) -> None:
    """Refuse a file (or folder) that resolves outside the source directory (SPEC section 2):
    a link out could publish any file of the machine. BRW_ALLOW_LINKS_OUT=1 lifts it."""
    if links_out_allowed():
        return
    resolved = path.resolve()
    if not resolved.is_relative_to(source_dir.resolve()):
        raise SourceContractError(
            f"{shown}: is a link to a file outside the source directory; refused "
            "(copy the file in, or set BRW_ALLOW_LINKS_OUT=1 for a trusted set-up)"
        )


def _reject_file(
    conn: duckdb.DuckDBPyConnection, source: Source, rel: str, error: SourceContractError, run_id: str,
    loaded_at: datetime,
) -> None:
    """A landing file that cannot be read at all: one quarantine record for the file."""
    detail = str(error)
    if detail.startswith(rel + ": "):
        detail = detail[len(rel) + 2:]
    conn.execute("DELETE FROM audit.quarantine WHERE source = ? AND source_file = ?", [source.name, rel])
    conn.execute(
        "INSERT INTO audit.quarantine VALUES (?, ?, NULL, 'rejected_file', ?, ?, ?, ?, ?)",
        [rel, error.row_number, error.column, detail, run_id, loaded_at, source.name],
    )


def _new_or_changed(
    conn: duckdb.DuckDBPyConnection, files: Iterable[Path], source_dir: Path, label: Callable[[Path], str],
    salt: str, only_files: Iterable[str] | None, result: LoadResult, rejected: dict[str, SourceContractError],
    log: Callable[[str], None],
) -> tuple[list[tuple[Path, str, str]], dict[str, str]]:
    """The landing files to load, as (file, label, content digest): new or changed since loaded;
    and what was loaded before ({label: digest}).

    `only_files`: just these (by file name or path in the source directory, as the sensor names
    them). A link out of the source directory is rejected unread (digest LINK_OUT: the target is
    never opened); a file whose digest (content hash + `salt`) was loaded before is skipped."""
    known = dict(conn.execute("SELECT source_file, content_hash FROM audit.loaded_files").fetchall())
    wanted = set(only_files) if only_files else None
    todo: list[tuple[Path, str, str]] = []
    for file in files:
        rel = Path(os.path.relpath(file, source_dir)).as_posix()
        if wanted is not None and not {rel, file.name} & wanted:
            continue
        try:
            inside_source_dir(file, source_dir, rel)
        except SourceContractError as exc:
            rejected[rel] = exc
            todo.append((file, rel, LINK_OUT))
            continue
        name, digest = label(file), file_hash(file) + salt
        if known.get(name) == digest:
            result.skipped_files.append(name)
        else:
            todo.append((file, name, digest))
    if result.skipped_files:
        log(f"{result.source}: {len(result.skipped_files)} files already loaded, {len(todo)} new or changed")
    return todo, known


def _clear_source(conn: duckdb.DuckDBPyConnection, source: Source) -> None:
    """An absent optional file (or a table the mapping declares absent): the table is empty."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM raw.{source.name}")
        conn.execute("DELETE FROM audit.quarantine WHERE source = ?", [source.name])
        if source.landing_folder:  # its files are read again when the table comes back
            conn.execute("DELETE FROM audit.loaded_files")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def load_source(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    source_dir: Path,
    run_id: str,
    loaded_at: datetime | None = None,
    log: Callable[[str], None] = lambda _msg: None,
    only_files: Iterable[str] | None = None,
    as_of: date | None = None,
    window: DateWindow | None = None,
    mapping=None,
) -> LoadResult:
    """Validate and load one source (a file, or the landing folder's new and changed files).

    `only_files` (landing folder only): consider just these file names, e.g. the files a sensor
    saw complete; other new files wait for a later run. `window`: the plausible dates (default:
    the window of `as_of`, default today, from the BRW_EARLIEST_DATE / BRW_YEARS_AHEAD settings).
    `mapping` (a `pipelines.mapping.Mapping`): when it maps this source, its inputs are read
    through it instead of the contract file (README, "Your own exports").
    """
    source_dir = Path(source_dir)
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    window = window or DateWindow.for_as_of(as_of or date.today())
    ensure_warehouse(conn)
    conn.execute(PARSE_MACROS)
    result = LoadResult(source.name)
    path = source_dir / source.path
    rejected: dict[str, SourceContractError] = {}
    table_map = mapping.table(source.name) if mapping is not None else None
    mapped = None

    if table_map is not None:
        from pipelines import mapping as mapping_mod

        if table_map.absent:
            log(f"{source.name}: declared absent in {mapping.path.name if mapping.path else 'the mapping'}; "
                f"raw.{source.name} left empty")
            _clear_source(conn, source)
            return result
        inputs = mapping_mod.input_files(source_dir, source.name, table_map)
        if not inputs and not source.landing_folder:
            raise SourceContractError(
                f"{table_map.input.file}: the input of tables.{source.name} in the mapping matches no file in {source_dir}"
            )
        mapped = mapping_mod.mapped_stage(source, table_map)

        def label(file: Path) -> str:
            return mapping_mod.file_label(source_dir, file, table_map)

        if source.landing_folder:
            # A changed mapping reads its files again: the remembered hash includes its digest.
            todo, known = _new_or_changed(conn, inputs, source_dir, label, f":{mapping.table_digest(source.name)}",
                                   only_files, result, rejected, log)
        else:
            for file in inputs:
                inside_source_dir(file, source_dir, Path(os.path.relpath(file, source_dir)).as_posix())
            todo = [(file, label(file), "") for file in inputs]
    elif source.landing_folder:
        if not path.is_dir():
            raise SourceContractError(f"{source.path}/: required landing folder is missing in {source_dir}")
        inside_source_dir(path, source_dir, f"{source.path}/")
        todo, known = _new_or_changed(conn, landing_files(path), source_dir, lambda f: f"{source.path}/{f.name}", "",
                               only_files, result, rejected, log)
    else:
        if not path.is_file():
            if source.required:
                raise SourceContractError(f"{source.path}: required file is missing in {source_dir}")
            log(f"{source.path}: optional file absent; raw.{source.name} left empty")
            _clear_source(conn, source)
            result.table_rows = 0
            return result
        inside_source_dir(path, source_dir, source.path)
        todo = [(path, source.path, "")]

    if not todo:
        result.table_rows = conn.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
        return result

    # Reading happens in temporary tables before the transaction: a reader error (the fast CSV
    # path giving up) must not abort the transaction that writes the warehouse.
    _create_stage(conn, source, mapped)
    skipped: dict[str, int] = {}
    for file, rel, _digest in todo:
        if rel in rejected:
            continue
        try:
            if mapped is not None:
                skipped[rel] = mapping_mod.stage_input(conn, source, table_map, mapping, source_dir, file)
                log(f"{rel}: read through the mapping ({skipped[rel]:,} blank or filtered rows skipped)")
            else:
                stage_file(conn, source, file, rel)
        except SourceContractError as exc:
            if not source.landing_folder:
                raise  # a single file that cannot be read fails the source
            rejected[rel] = exc  # this file only: the rest of the batch loads
            conn.execute(f"DELETE FROM _stage WHERE _source_file = {literal(rel)}")
            conn.execute(f"DELETE FROM _malformed WHERE source_file = {literal(rel)}")
    files = [rel for _, rel, _ in todo if rel not in rejected]

    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(check_sql(source, window, mapped))
        if source.landing_folder:
            # Exact duplicates count once (they load; the current view keeps one of them).
            result.moved_to_quarantine = _conflicting_duplicates(conn, source, files, run_id, loaded_at)
        else:
            conn.execute(duplicate_key_sql(source))
        result.files = _file_counts(conn, files)
        for f in result.files:
            f.rows_skipped = skipped.get(f.source_file, 0)
        reloaded = [rel for _, rel, _ in todo if rel in known and rel not in rejected] if source.landing_folder else None
        if source.landing_folder:
            # A file loaded before and now rejected loses its old rows too: its content changed.
            gone = [rel for rel in rejected if rel in known]
            if gone:
                conn.execute(
                    f"DELETE FROM raw.{source.name} WHERE _source_file IN ({', '.join(literal(f) for f in gone)})"
                )
        if files:
            _write(conn, source, files, run_id, loaded_at, reloaded, mapped=mapped is not None)
        for rel, exc in rejected.items():
            _reject_file(conn, source, rel, exc, run_id, loaded_at)
            result.rejected_files[rel] = str(exc)
            result.files.append(FileLoad(rel, reasons={"rejected_file": 1}))
            log(f"rejected: {exc}")
        conn.executemany(  # never empty: `todo` has at least one file
            "INSERT INTO audit.load_audit VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (f.source_file, source.name, run_id, f.rows_read, f.rows_loaded, f.rows_quarantined, loaded_at)
                for f in result.files
            ],
        )
        if source.landing_folder:
            # Rejected files are remembered too: they are not read again until they change. A link
            # out of the source directory is never opened, so it has no hash to remember.
            remembered = [(rel, digest, file.stat().st_size, run_id, loaded_at)
                          for file, rel, digest in todo if digest != LINK_OUT]
            if remembered:
                conn.executemany("INSERT OR REPLACE INTO audit.loaded_files VALUES (?, ?, ?, ?, ?)", remembered)
            linked_out = [rel for _, rel, digest in todo if digest == LINK_OUT]
            if linked_out:  # a file loaded before and now a link out: forget its old content
                conn.execute(
                    f"DELETE FROM audit.loaded_files WHERE source_file IN ({', '.join(literal(f) for f in linked_out)})"
                )
        result.table_rows = conn.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result


def quarantine_samples(
    conn: duckdb.DuckDBPyConnection, files: Iterable[str], limit: int = 5, source: str | None = None
) -> list[str]:
    names = list(files)
    if not names:
        return []
    only = f"source = {literal(source)} AND " if source else ""
    rows = conn.execute(
        f"""SELECT source_file, row_number, detail FROM audit.quarantine
        WHERE {only}source_file IN ({', '.join(literal(f) for f in names)})
        ORDER BY source_file, row_number LIMIT {int(limit)}"""
    ).fetchall()
    return [f"{f} row {r}: {d}" for f, r, d in rows]
