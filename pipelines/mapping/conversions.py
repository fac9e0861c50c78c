"""SQL converting a mapped input's text into a contract column's type, with its error message.

Numbers (`number_sql`: currency symbols, thousands separators, (1,234) negatives, %, k/m/bn,
a scale), dates and timestamps (`date_sql`, `timestamp_sql`: ISO 8601, strftime formats, Excel
serial days), booleans and value maps (`value_map_table`), put together per column by
`convert_column` into a `CompiledColumn`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from pipelines.load.contract import Column
from pipelines.load.warehouse import literal
from pipelines.mapping.model import ColumnSpec, Mapping, MappingError, NumberFormat


def sql_constant(value: Any) -> str:
    """A mapping's constant as SQL: text, true/false for booleans, NULL for none."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return literal(str(value))


WHITESPACE = "[\\s\u00a0\u202f]"
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
    s = f"regexp_replace({v}, '{WHITESPACE}|{_CURRENCY}', '', 'g')"
    s = f"regexp_replace({s}, '^\\((.*)\\)$', '-\\1')"
    exponent = [f"CASE WHEN suffix({v}, '%') THEN -2 ELSE 0 END"]
    s = f"rtrim({s}, '%')"
    if fmt.suffixes:
        suf = f"lower(regexp_extract({s}, '(?i)(k|mn|m|bn|b)$', 1))"
        exponent.append(f"CASE {suf} WHEN 'k' THEN 3 WHEN 'm' THEN 6 WHEN 'mn' THEN 6 WHEN 'b' THEN 9 WHEN 'bn' THEN 9 ELSE 0 END")
        s = f"regexp_replace({s}, '(?i)(k|mn|m|bn|b)$', '')"
    if thousands:
        s = f"replace({s}, {sql_constant(thousands)}, '')"
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
            parts.append(f"CAST(try_strptime({v}, {sql_constant(fmt)}) AS DATE)")
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


def timestamp_sql(v: str, formats: list[str]) -> str:
    parts = [f"brw_parse_timestamp({v})"]
    for fmt in formats:
        if fmt.lower() == "excel":
            parts.append(f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({_excel_serial(v)} * 86400e6) AS BIGINT))")
        elif "%z" in fmt or "%Z" in fmt:
            parts.append(f"CAST(timezone('UTC', try_strptime({v}, {sql_constant(fmt)})) AS TIMESTAMP)")
        else:
            parts.append(f"CAST(try_strptime({v}, {sql_constant(fmt)}) AS TIMESTAMP)")
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


@dataclass
class CompiledColumn:
    name: str
    label: str  # `stage ← 'Phase'`: how messages name it
    target: str  # "text": staged as raw__x (the contract parses it); "typed": staged as t__x
    value_sql: str
    error_sql: str | None  # message when the value cannot be converted (NULL: fine)
    reason: str = "bad_type"


_NULL = "__brw_null__"  # a value map's target "null" (e.g. "TBC": ~), told apart from "not in the map"


def value_map_table(conn: duckdb.DuckDBPyConnection, table: str, col: Column, spec: ColumnSpec, where: str) -> str:
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


def convert_column(col: Column, spec: ColumnSpec, v: str, mapped: str | None, shown: str, where: str, mapping: Mapping,
             default_decimal: str, conn: duckdb.DuckDBPyConnection) -> CompiledColumn:
    """SQL turning the input text `v` (and its value-map hit `mapped`) into the contract column,
    and the message when it cannot."""
    listed = ""
    if spec.values is not None:
        listed = ", ".join(str(k) for k in list(spec.values)[:8]) + (", …" if len(spec.values) > 8 else "")
    if spec.default is not None:
        _check_target(col, spec.default, f"{where}.default")
    default = sql_constant(spec.default if not isinstance(spec.default, bool) else str(spec.default).lower()) \
        if spec.default is not None else None
    shown_value = f"'''' || {v} || ''''"

    if col.type in ("text", "enum"):
        if col.type == "enum" and (mapped is not None or default is not None):
            case = "upper" if col.upper else "lower"
            allowed = ", ".join(sql_constant(x) for x in col.values)
            valid = f"CASE WHEN {case}({v}) IN ({allowed}) THEN {case}({v}) END"
            value = f"nullif(coalesce({mapped or 'NULL'}, {valid}, {default or 'NULL'}), {sql_constant(_NULL)})"
            hint = f"mapped: {listed}; add it under values" if listed else "add it under values"
            error = (f"CASE WHEN {v} IS NOT NULL AND {mapped or 'NULL'} IS NULL AND {valid} IS NULL "
                     f"AND {default or 'NULL'} IS NULL THEN {shown_value} || ' is not mapped ({hint})' END")
            return CompiledColumn(col.name, shown, "text", value, error, "bad_enum")
        if mapped is not None:
            value = f"nullif(coalesce({mapped}, {default or v}), {sql_constant(_NULL)})"
            return CompiledColumn(col.name, shown, "text", value, None)
        return CompiledColumn(col.name, shown, "text", v, None)

    if mapped is not None:  # a value map before conversion: e.g. "TBC" → null, "Y" → true
        v = f"nullif(coalesce({mapped}, {default or v}), {sql_constant(_NULL)})"
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
        whens = " ".join(f"WHEN {sql_constant(k)} THEN {'TRUE' if b else 'FALSE'}" for k, b in _BOOLEAN_WORDS.items())
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
        conn.execute(f"SELECT try_strptime('2024-01-01', {sql_constant(fmt)})")
    except duckdb.Error as exc:
        raise MappingError(f"{where}: {fmt!r} is not a valid strftime format ({str(exc).splitlines()[0]})") from None
    if "%" not in fmt:
        raise MappingError(f"{where}: {fmt!r} is not a strftime format (e.g. %d/%m/%Y)")
