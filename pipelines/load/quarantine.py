"""The quarantine (`audit.quarantine`): bad rows, conflicting duplicates and rejected files.

Bad rows of a batch replace that file's earlier quarantine; KPI measurements with the same
kpi_id, measured_on and recorded_at but different values are all quarantined, earlier-loaded
ones included (`conflicting_duplicates`); a landing file that cannot be read at all gets one
record (`reject_file`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from pipelines.load.contract import Source, SourceContractError
from pipelines.load.validation import record_expr, shown_expr
from pipelines.load.warehouse import literal, quote


def conflicting_duplicates(
    conn: duckdb.DuckDBPyConnection, source: Source, files: list[str], run_id: str, loaded_at: datetime
) -> int:
    """SPEC 2: same key (kpi_id, measured_on, recorded_at) with different values → all quarantined.

    "Values": the source's conflict_columns (a KPI measurement: its value; a check-in: its
    confidence, commentary and author). A key has two values when the least and the greatest of
    its values (structs: null fields included, compared null-safe) differ - one aggregate pass,
    no per-key distinct set. Rows already in raw (from files loaded earlier) that
    conflict with a new row are moved to the quarantine too. Returns the number of such earlier
    rows moved.
    """
    key = ", ".join(quote(k) for k in source.key)
    keys_text = ", ".join(source.key[:-1]) + " and " + source.key[-1] if len(source.key) > 1 else source.key[0]
    compared = source.conflict_columns or ("value",)
    column = compared[0]
    # One compared column is compared as it is (a struct costs more to aggregate).
    values = quote(column) if len(compared) == 1 else (
        "struct_pack(" + ", ".join(f"{quote(c)} := {quote(c)}" for c in compared) + ")")
    others = f"_source_file NOT IN ({', '.join(literal(f) for f in files)})" if files else "TRUE"
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _conflict_keys AS
        WITH candidates AS (
            SELECT {key}, {values} AS _values FROM _checked WHERE _reason IS NULL
            UNION ALL
            SELECT {key}, {values} FROM raw.{source.name}
            WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _checked WHERE _reason IS NULL)
        )
        SELECT {key} FROM candidates GROUP BY {key} HAVING min(_values) IS DISTINCT FROM max(_values)
        """
    )
    what = "value" if compared == ("value",) else "check-in"
    conn.execute(
        f"""
        UPDATE _checked SET
            _reason = 'conflicting_duplicate',
            _column = {literal(column)},
            _detail = 'column {column}: ' || coalesce({shown_expr(source.column(column))}, 'empty')
                      || ' conflicts with another {what} for the same {keys_text}'
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
                   'conflicting_duplicate', {literal(column)},
                   'column {column}: ' || coalesce(CAST({quote(column)} AS VARCHAR), 'empty')
                   || ' conflicts with a {what} loaded later for the same {keys_text}', $run_id, $loaded_at,
                   {literal(source.name)}
            FROM raw.{source.name}
            WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)
            """,
            {"run_id": run_id, "loaded_at": loaded_at},
        )
        conn.execute(
            f"DELETE FROM raw.{source.name} WHERE {others} AND ({key}) IN (SELECT ({key}) FROM _conflict_keys)"
        )
    return moved


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


def reject_file(
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
