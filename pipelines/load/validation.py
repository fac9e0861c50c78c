"""The contract's row checks as SQL (SPEC sections 2 and 5).

One statement (`check_sql`, one pass: each rule's condition is evaluated once per row) types
every staged column and gives each row the first rule it breaks (`missing_required`,
`bad_type`, `bad_enum`, `bad_range`, `target_not_an_improvement`, `unknown_reference`); `duplicate_key_sql` then marks later rows repeating a key. Timestamps are
parsed row by row by the connection-local macros of `PARSE_MACROS` (ISO 8601 with `Z` or an
offset within +-14:00; a named zone is `bad_type`), non-finite numbers (`1e309`) are `bad_type`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.load.contract import SOURCES_BY_NAME, Column, Source
from pipelines.load.warehouse import literal, quote
from pipelines.settings import DateWindow


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


def _first_broken(rules: list[tuple[str, str, str, str]]) -> str:
    """SQL: the 1-based index of the first rule a row breaks (NULL: none). Each condition is
    evaluated once per row, here; reason, column and detail are then picked by the index."""
    if not rules:
        return "CAST(NULL AS INTEGER)"
    whens = "\n        ".join(f"WHEN {rule[2]} THEN {i}" for i, rule in enumerate(rules, 1))
    return f"CASE\n        {whens}\n    END"


def _pick(rules: list[tuple[str, str, str, str]], pick: Callable[[tuple[str, str, str, str]], str]) -> str:
    """SQL: `pick(rule)` of the rule numbered `_rule` (NULL when no rule is broken)."""
    if not rules:
        return "CAST(NULL AS VARCHAR)"
    whens = "\n        ".join(f"WHEN {i} THEN {pick(rule)}" for i, rule in enumerate(rules, 1))
    return f"CASE _rule\n        {whens}\n    END"


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
    reason = _pick(rules, lambda r: literal(r[0]))
    column = _pick(rules, lambda r: literal(r[1]))
    detail = _pick(rules, lambda r: f"{literal('column ' + labels.get(r[1], r[1]) + ': ')} || {r[3]}")
    # One pass over the staged rows: every rule's condition is evaluated once per row (into
    # _rule), the messages only for the rows that broke a rule.
    return f"""
CREATE OR REPLACE TEMP TABLE _checked AS
WITH typed AS (
    SELECT
        _source_file,
        _row_number,
        {raw_cols},
        {typed}
    FROM _stage
),
ruled AS (
    SELECT
        *,
        {_first_broken(rules)} AS _rule
    FROM typed
)
SELECT
    * EXCLUDE (_rule),
    {reason} AS _reason,
    {column} AS _column,
    {detail} AS _detail
FROM ruled
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


def stage_columns(source: Source) -> list[str]:
    cols = [raw_name(c.name) for c in source.columns]
    return cols + [pretyped_name(c.name) for c in source.columns if c.type in PRETYPED]
