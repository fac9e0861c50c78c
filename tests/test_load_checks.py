"""The one-pass row checks and the conflicting-duplicate test of pipelines.load (issue 16).

`check_sql` evaluates each rule once per row and picks reason, column and detail of the first
broken rule by its number; `conflicting_duplicates` tells two values of a key apart by comparing
the least and the greatest (null-safe, null fields of a check-in included) instead of counting
distinct values. These pin the behaviour both must keep.
"""

from __future__ import annotations

from pathlib import Path
from datetime import datetime

from pipelines.load import connect, load_source
from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.load.quarantine import conflicting_duplicates
from pipelines.load.warehouse import ensure_warehouse


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


DEFINITIONS = (
    "kpi_id,kpi_name,unit,aggregation,frequency,data_owner,source_system\n"
    "K1,One,n,sum,daily,Ann,erp\n"
    "K2,Two,n,avg,monthly,Bob,erp\n"
)


def _load(source_dir: Path, warehouse: Path):
    conn = connect(warehouse)
    load_source(conn, SOURCES_BY_NAME["kpi_definitions"], source_dir, "run-1")
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-1")
    return conn, result


def test_a_row_breaking_several_rules_gets_the_first_with_its_own_column_and_message(tmp_path: Path):
    src = tmp_path / "src"
    _write(src / "kpi_definitions.csv", DEFINITIONS)
    _write(src / "kpi_measurements" / "a.csv", (
        "kpi_id,measured_on,value,recorded_at\n"
        "K1,2024-01-01,1,2024-01-02T00:00:00Z\n"        # row 2: good
        "KX,,abc,2024-01-02\n"                           # row 3: missing measured_on first (also bad value, unknown kpi)
        "KX,2024-01-01,abc,2024-01-02\n"                 # row 4: bad_type value before unknown_reference
        "KX,2024-01-01,5,2024-01-02\n"                   # row 5: unknown_reference only
        "K2,1890-01-01,5,nonsense\n"                     # row 6: bad_type recorded_at before bad_range measured_on
        "K2,1890-01-01,5,2024-01-02\n"                   # row 7: bad_range measured_on
        "K2,2024-02-01,7,2024-02-02\n"                   # row 8: good
    ))
    conn, result = _load(src, tmp_path / "wh.duckdb")
    rows = conn.execute(
        "SELECT row_number, reason, column_name, detail FROM audit.quarantine ORDER BY row_number"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (3, "missing_required", "measured_on"),
        (4, "bad_type", "value"),
        (5, "unknown_reference", "kpi_id"),
        (6, "bad_type", "recorded_at"),
        (7, "bad_range", "measured_on"),
    ]
    details = {r[0]: r[3] for r in rows}
    assert details[3] == "column measured_on: is required but empty"
    assert details[4] == "column value: 'abc' is not a finite decimal number (point as decimal separator)"
    assert details[5] == "column kpi_id: 'KX' is not a kpi_id loaded from kpi_definitions.csv"
    assert details[7].startswith("column measured_on: '1890-01-01' is outside the plausible window")
    assert conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0] == 2
    (load,) = result.files
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (7, 2, 5)
    conn.close()


def test_conflicting_duplicates_differ_in_value_exact_duplicates_do_not(tmp_path: Path):
    src = tmp_path / "src"
    _write(src / "kpi_definitions.csv", DEFINITIONS)
    _write(src / "kpi_measurements" / "a.csv", (
        "kpi_id,measured_on,value,recorded_at\n"
        "K1,2024-01-01,1,2024-01-02\n"
        "K1,2024-01-01,1,2024-01-02\n"        # exact duplicate: loads
        "K1,2024-01-02,1,2024-01-03\n"        # rows 4 and 5: a conflict, both quarantined
        "K1,2024-01-02,2,2024-01-03\n"
        "K1,2024-01-02,3,2024-01-04\n"        # another recorded_at: a restatement, loads
        "K2,2024-01-02,-0.0,2024-01-03\n"
        "K2,2024-01-02,0,2024-01-03\n"        # -0 and 0 are the same value
    ))
    conn, _ = _load(src, tmp_path / "wh.duckdb")
    quarantined = conn.execute(
        "SELECT row_number, reason FROM audit.quarantine ORDER BY row_number"
    ).fetchall()
    assert quarantined == [(4, "conflicting_duplicate"), (5, "conflicting_duplicate")]
    assert conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0] == 5
    conn.close()


def test_check_ins_conflict_on_a_null_field_too(tmp_path: Path):
    """A check-in compares confidence, commentary (nullable) and author: null against text is a
    conflict, null against null an exact duplicate."""
    conn = connect(tmp_path / "wh.duckdb")
    ensure_warehouse(conn)
    conn.execute(
        """CREATE TEMP TABLE _checked AS SELECT * FROM (VALUES
            ('f.csv', 1, 'B1', DATE '2024-01-01', 'on_track', NULL,      'Ann', TIMESTAMP '2024-01-05 10:00:00'),
            ('f.csv', 2, 'B1', DATE '2024-01-01', 'on_track', NULL,      'Ann', TIMESTAMP '2024-01-05 10:00:00'),
            ('f.csv', 3, 'B2', DATE '2024-01-01', 'on_track', NULL,      'Ann', TIMESTAMP '2024-01-05 10:00:00'),
            ('f.csv', 4, 'B2', DATE '2024-01-01', 'on_track', 'said so', 'Ann', TIMESTAMP '2024-01-05 10:00:00'),
            ('f.csv', 5, 'B3', DATE '2024-01-01', 'at_risk',  'late',    'Ann', TIMESTAMP '2024-01-05 10:00:00'),
            ('f.csv', 6, 'B3', DATE '2024-01-01', 'at_risk',  'late',    'Bob', TIMESTAMP '2024-01-05 10:00:00')
        ) AS t(_source_file, _row_number, benefit_id, period_month, confidence, commentary, recorded_by, recorded_at)"""
    )
    conn.execute("ALTER TABLE _checked ADD COLUMN raw__confidence VARCHAR")
    for column in ("_reason", "_column", "_detail"):
        conn.execute(f"ALTER TABLE _checked ADD COLUMN {column} VARCHAR")
    moved = conflicting_duplicates(conn, SOURCES_BY_NAME["benefit_checkins"], ["f.csv"], "run-1", datetime(2024, 1, 6))
    flagged = conn.execute(
        "SELECT _row_number FROM _checked WHERE _reason = 'conflicting_duplicate' ORDER BY 1"
    ).fetchall()
    assert flagged == [(3,), (4,), (5,), (6,)]
    assert moved == 0
    conn.close()
