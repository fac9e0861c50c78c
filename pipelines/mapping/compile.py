"""A table's mapping compiled against an input's header into the SQL that fills the stage.

`compile_table` checks the mapping against the header (unknown columns, with a `did you mean`;
expressions DuckDB cannot bind) and generates one statement turning `_input` into the
contract's stage rows, with a message per column where a value cannot be converted
(`stage ← 'Phase': 'Parked' is not mapped`); a wide KPI sheet is unpivoted. `validate` runs
that check for every input before anything is loaded; `stage_input` is what `load_source` calls
per mapped file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.load.contract import SOURCES_BY_NAME, Source
from pipelines.load.validation import PARSE_MACROS, MappedStage, pretyped_name, raw_name
from pipelines.load.warehouse import quote
from pipelines.mapping.conversions import CompiledColumn, convert_column, sql_constant, value_map_table
from pipelines.mapping.inputs import MODIFIED, ROW, input_files, read_input
from pipelines.mapping.model import MAPPING_FILE, ColumnSpec, Mapping, MappingError, TableMapping, mapping_key


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
    key = lambda *parts: f"{mname}: {mapping_key(source.name, *parts)}"  # noqa: E731
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
            text = sql_constant(spec.value)
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
        table = value_map_table(conn, source.name, col, spec, where) if spec.values is not None else None
        converted = convert_column(col, spec, v, m, column_label(col.name, spec), where, mapping, default_decimal, conn)
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
        conn.execute(f"SELECT * FROM ({select.replace('__BRW_FILE__', sql_constant(label))}) LIMIT 0".replace("FROM _input", f"FROM {probe_input}"))
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


def stage_sql(compiled: CompiledTable, label: str) -> str:
    return compiled.select_sql.replace("__BRW_FILE__", sql_constant(label))


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
                f"{mname}: {mapping_key(name, 'input', 'file')}: {tm.input.file!r} matches no file in {source_dir}"
            )
            continue
        labels = []
        for path in files:
            try:
                label, header, _ = read_input(conn, source_dir, name, tm, mapping, path, header_only=True)
                compile_table(conn, source, tm, mapping, label, header)
                labels.append(label)
            except MappingError as exc:
                problems.append(str(exc) if str(exc).startswith(mname) else f"{mname}: {mapping_key(name, 'input')}: {exc}")
        out.append(TableCheck(name, labels))
    if problems:
        raise MappingError("\n".join(dict.fromkeys(problems)))
    return out


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


def mapped_stage(source: Source, tm: TableMapping) -> MappedStage:
    """The checks' view of a mapped table (pipelines.load.validation.MappedStage)."""
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
    conn.execute(f"INSERT INTO _records {compiled.records_sql.replace('__BRW_FILE__', sql_constant(label))}")
    skipped = conn.execute(compiled.skipped_sql).fetchone()[0]
    conn.execute("DROP TABLE IF EXISTS _input")
    return skipped
