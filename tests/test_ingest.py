"""Ingestion rules of SPEC sections 2 and 5 on the tiny hand-made source directory.

Every bad row in tests/data/tiny is planted on purpose; the expected quarantine below is worked
out by reading the files (row numbers as a spreadsheet shows them: the header is row 1).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import load
from pipelines.load.contract import REASONS, SOURCES, SOURCES_BY_NAME
from pipelines.load import SourceContractError, connect, load_source, loader

EXPECTED_QUARANTINE = {
    ("projects.csv", 4, "bad_enum", "stage"),
    ("projects.csv", 5, "missing_required", "actual_close_date"),
    ("projects.csv", 6, "bad_range", "budget_at_completion"),
    ("projects.csv", 7, "bad_type", "start_date"),
    ("projects.csv", 8, "duplicate_key", "project_id"),
    ("projects.csv", 9, "missing_required", "project_id"),
    ("projects.csv", 10, "malformed_row", None),
    ("projects.csv", 11, "bad_enum", "currency"),
    ("kpi_definitions.csv", 5, "bad_enum", "aggregation"),
    ("kpi_measurements/2024-H1.csv", 8, "unknown_reference", "kpi_id"),
    ("kpi_measurements/2024-H1.csv", 9, "bad_type", "value"),
    ("kpi_measurements/2024-H1.csv", 10, "bad_type", "recorded_at"),
    ("kpi_measurements/2024-H1.csv", 11, "conflicting_duplicate", "value"),
    ("kpi_measurements/2024-H1.csv", 12, "conflicting_duplicate", "value"),
    ("kpi_measurements/2024-H1.csv", 15, "missing_required", "measured_on"),
    ("benefits.csv", 4, "unknown_reference", "project_id"),
    ("benefits.csv", 5, "target_not_an_improvement", "target_value"),
    ("benefits.csv", 6, "missing_required", "value_per_unit"),
    ("benefits.csv", 7, "bad_range", "attribution_pct"),
    ("benefits.csv", 8, "bad_type", "is_disbenefit"),
    ("benefits.csv", 10, "missing_required", "baseline_end"),
    ("benefit_plan.csv", 5, "bad_range", "period_month"),
    ("benefit_plan.csv", 6, "unknown_reference", "benefit_id"),
    ("benefit_plan.csv", 7, "bad_range", "planned_pct"),
    ("financials.csv", 4, "duplicate_key", "project_id"),
    ("financials.csv", 5, "unknown_reference", "project_id"),
    ("financials.csv", 6, "missing_required", "earned_value"),
    ("milestones.csv", 4, "bad_type", "is_key"),
    ("status_reports.csv", 4, "bad_enum", "overall_rag"),
    ("raid_log.csv", 4, "bad_range", "closed_on"),
    ("change_requests.csv", 4, "bad_type", "schedule_impact_days"),
}

EXPECTED_RAW_ROWS = {
    "projects": 2,
    "kpi_definitions": 3,
    "kpi_measurements": 9,  # 8 good rows of 2024-H1.csv (one exact duplicate pair) + 1 restatement
    "benefits": 3,
    "benefit_plan": 3,
    "financials": 2,
    "milestones": 2,
    "status_reports": 2,
    "raid_log": 2,
    "change_requests": 2,
    "fx_rates": 0,  # optional and absent here (tests/test_fx.py plants its bad rows)
    "benefit_checkins": 0,  # optional landing folder, absent here (tests/test_checkins.py writes some)
}


def load_all(conn: duckdb.DuckDBPyConnection, source_dir: Path, run_id: str) -> dict[str, load.LoadResult]:
    return {s.name: load_source(conn, s, source_dir, run_id) for s in SOURCES}


def raw_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {s.name: conn.execute(f"SELECT count(*) FROM raw.{s.name}").fetchone()[0] for s in SOURCES}


def quarantine(conn: duckdb.DuckDBPyConnection) -> set[tuple]:
    return set(conn.execute("SELECT source_file, row_number, reason, column_name FROM audit.quarantine").fetchall())


def data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.fixture
def loaded(tiny_source: Path, warehouse_path: Path):
    conn = connect(warehouse_path)
    results = load_all(conn, tiny_source, "run-1")
    yield conn, results, tiny_source
    conn.close()


def test_every_bad_row_is_quarantined_with_file_row_column_and_reason(loaded):
    conn, _, _ = loaded
    assert quarantine(conn) == EXPECTED_QUARANTINE
    assert raw_counts(conn) == EXPECTED_RAW_ROWS


def test_every_reason_code_is_exercised(loaded):
    conn, _, _ = loaded
    reasons = {r for (r,) in conn.execute("SELECT DISTINCT reason FROM audit.quarantine").fetchall()}
    assert reasons == set(REASONS)


def test_quarantine_keeps_the_raw_record_and_a_message_naming_the_column(loaded):
    conn, _, _ = loaded
    record, detail = conn.execute(
        "SELECT record, detail FROM audit.quarantine WHERE source_file = 'projects.csv' AND row_number = 4"
    ).fetchone()
    assert '"stage":"finished"' in record and '"project_id":"P3"' in record
    assert detail == "column stage: 'finished' is not one of proposed, active, closed, cancelled"
    record, detail = conn.execute(
        "SELECT record, detail FROM audit.quarantine WHERE reason = 'malformed_row'"
    ).fetchone()
    assert "Too Many Fields" in record and "Found: 15" in detail


def test_load_audit_reconciles_with_the_files(loaded):
    conn, results, source_dir = loaded
    audit = conn.execute(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM audit.load_audit WHERE run_id = 'run-1'"
    ).fetchall()
    assert len(audit) == 11  # 9 files + 2 landing files
    for source_file, read, loaded_rows, quarantined in audit:
        assert read == loaded_rows + quarantined, source_file
        assert read == data_rows(source_dir / source_file), source_file
        in_quarantine = conn.execute(
            "SELECT count(*) FROM audit.quarantine WHERE source_file = ?", [source_file]
        ).fetchone()[0]
        assert quarantined == in_quarantine, source_file
    assert results["projects"].reasons == {
        "bad_enum": 2, "bad_range": 1, "bad_type": 1, "duplicate_key": 1, "malformed_row": 1, "missing_required": 2,
    }


def test_second_run_over_the_same_files_adds_nothing(loaded):
    conn, _, source_dir = loaded
    before_raw, before_q = raw_counts(conn), quarantine(conn)
    results = load_all(conn, source_dir, "run-2")
    assert raw_counts(conn) == before_raw
    assert quarantine(conn) == before_q
    assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == len(EXPECTED_QUARANTINE)
    # landing files already loaded are not read again
    assert results["kpi_measurements"].files == []
    assert sorted(results["kpi_measurements"].skipped_files) == [
        "kpi_measurements/2024-H1-restated.csv", "kpi_measurements/2024-H1.csv",
    ]


def test_restated_measurements_keep_both_versions_in_raw(loaded):
    conn, _, _ = loaded
    rows = conn.execute(
        "SELECT value, recorded_at::VARCHAR FROM raw.kpi_measurements "
        "WHERE kpi_id = 'K1' AND measured_on = DATE '2024-01-03' ORDER BY recorded_at"
    ).fetchall()
    # +01:00 offset normalised to UTC
    assert rows == [(110.0, "2024-01-03 18:00:00"), (115.0, "2024-03-01 09:00:00")]


def test_exact_duplicates_load_and_conflicting_duplicates_do_not(loaded):
    conn, _, _ = loaded
    assert conn.execute(
        "SELECT count(*) FROM raw.kpi_measurements WHERE kpi_id = 'K3' AND measured_on = DATE '2024-02-29'"
    ).fetchone()[0] == 2  # the current view (stg_kpi_measurements) keeps one
    assert conn.execute(
        "SELECT count(*) FROM raw.kpi_measurements WHERE kpi_id = 'K2' AND measured_on = DATE '2024-01-19'"
    ).fetchone()[0] == 0


def test_a_later_file_conflicting_with_a_loaded_row_quarantines_both(loaded):
    conn, _, source_dir = loaded
    (source_dir / "kpi_measurements" / "2024-late.csv").write_text(
        "kpi_id,measured_on,value,recorded_at\nK1,2024-01-02,999,2024-01-02T18:00:00Z\nK1,2024-03-01,130,2024-03-01T18:00:00Z\n"
    )
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-2")
    assert result.moved_to_quarantine == 1
    assert [(f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("kpi_measurements/2024-late.csv", 2, 1, 1)
    ]
    conflicts = conn.execute(
        "SELECT source_file, row_number FROM audit.quarantine WHERE reason = 'conflicting_duplicate' "
        "AND record LIKE '%2024-01-02%' ORDER BY source_file"
    ).fetchall()
    assert conflicts == [("kpi_measurements/2024-H1.csv", 2), ("kpi_measurements/2024-late.csv", 2)]
    assert conn.execute(
        "SELECT count(*) FROM raw.kpi_measurements WHERE kpi_id = 'K1' AND measured_on = DATE '2024-01-02'"
    ).fetchone()[0] == 0


def test_a_changed_landing_file_replaces_its_rows(loaded):
    conn, _, source_dir = loaded
    path = source_dir / "kpi_measurements" / "2024-H1-restated.csv"
    path.write_text(path.read_text() + "K2,2024-01-26,10.5,2024-01-27T08:00:00Z\n")
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-2")
    assert [(f.source_file, f.rows_read, f.rows_loaded) for f in result.files] == [
        ("kpi_measurements/2024-H1-restated.csv", 2, 2)
    ]
    assert conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0] == 10


def test_parquet_measurements_pass_the_same_checks(loaded):
    conn, _, source_dir = loaded
    table = pa.table(
        {
            "kpi_id": ["K1", "K1", "K404"],
            "measured_on": pa.array([__import__("datetime").date(2024, 3, d) for d in (4, 5, 6)], pa.date32()),
            "value": [140.0, 150.0, 1.0],
            "recorded_at": pa.array(
                [__import__("datetime").datetime(2024, 3, d, 18) for d in (4, 5, 6)], pa.timestamp("us")
            ),
        }
    )
    pq.write_table(table, source_dir / "kpi_measurements" / "2024-03.parquet")
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-2")
    assert result.rows_read == 3 and result.rows_loaded == 2
    assert conn.execute(
        "SELECT row_number, reason FROM audit.quarantine WHERE source_file = 'kpi_measurements/2024-03.parquet'"
    ).fetchall() == [(3, "unknown_reference")]
    assert conn.execute(
        "SELECT value, recorded_at::VARCHAR FROM raw.kpi_measurements WHERE measured_on = DATE '2024-03-05'"
    ).fetchall() == [(150.0, "2024-03-05 18:00:00")]


def test_parquet_files_alike_are_read_together_and_a_damaged_one_is_rejected_alone(loaded, monkeypatch):
    """A batch of landing Parquet files: the files with the same schema are read by one
    read_parquet, the one storing `value` as text by its own. One of the alike files has a
    readable schema but damaged data pages: the group's read fails, each of its files is read
    alone, and the damaged one is rejected with its name while the rest of the batch loads,
    every row with its own file and row number."""
    import datetime as dt

    conn, _, source_dir = loaded
    folder = source_dir / "kpi_measurements"

    def month(first: dt.date, days: int, value=float) -> pa.Table:
        return pa.table({
            "kpi_id": ["K1"] * days,
            "measured_on": pa.array([first + dt.timedelta(days=d) for d in range(days)], pa.date32()),
            "value": [value(100 + d) for d in range(days)],
            "recorded_at": pa.array([dt.datetime(first.year, first.month, 28, 18)] * days, pa.timestamp("us")),
        })

    pq.write_table(month(dt.date(2024, 4, 1), 3), folder / "2024-04.parquet")
    pq.write_table(month(dt.date(2024, 5, 1), 2), folder / "2024-05.parquet")
    pq.write_table(month(dt.date(2024, 6, 1), 2, value=str), folder / "2024-06.parquet")
    pq.write_table(month(dt.date(2024, 7, 1), 500), folder / "2024-07.parquet", compression="snappy")
    damaged = bytearray((folder / "2024-07.parquet").read_bytes())
    damaged[4:2000] = b"\xff" * 1996  # the data pages; the footer (the schema) stays readable
    (folder / "2024-07.parquet").write_bytes(bytes(damaged))

    statements = []
    execute = duckdb.DuckDBPyConnection.execute

    class Counting:
        def __getattr__(self, name):
            return getattr(conn, name)

        def execute(self, query, *args):
            statements.append(str(query))
            return execute(conn, query, *args)

    result = load_source(Counting(), SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-2")

    assert {(f.source_file, f.rows_read, f.rows_loaded) for f in result.files} == {
        ("kpi_measurements/2024-04.parquet", 3, 3),
        ("kpi_measurements/2024-05.parquet", 2, 2),
        ("kpi_measurements/2024-06.parquet", 2, 2),
        ("kpi_measurements/2024-07.parquet", 0, 0),  # rejected whole
    }
    assert "kpi_measurements/2024-07.parquet: cannot be read as Parquet" in result.rejected_files[
        "kpi_measurements/2024-07.parquet"]
    assert conn.execute(
        "SELECT _source_file, _row_number, measured_on::VARCHAR, value FROM raw.kpi_measurements "
        "WHERE measured_on >= DATE '2024-04-01' ORDER BY measured_on"
    ).fetchall() == [
        ("kpi_measurements/2024-04.parquet", 1, "2024-04-01", 100.0),
        ("kpi_measurements/2024-04.parquet", 2, "2024-04-02", 101.0),
        ("kpi_measurements/2024-04.parquet", 3, "2024-04-03", 102.0),
        ("kpi_measurements/2024-05.parquet", 1, "2024-05-01", 100.0),
        ("kpi_measurements/2024-05.parquet", 2, "2024-05-02", 101.0),
        ("kpi_measurements/2024-06.parquet", 1, "2024-06-01", 100.0),
        ("kpi_measurements/2024-06.parquet", 2, "2024-06-02", 101.0),
    ]
    assert ("kpi_measurements/2024-07.parquet", None, "rejected_file", None) in quarantine(conn)
    # one read of 2024-04, -05 and -07 (it fails), 2024-06 alone, then -04, -05 and -07 one by one
    reads = [q for q in statements if q.startswith("INSERT INTO _stage")]
    assert len(reads) == 5
    assert sum(all(f"2024-0{m}.parquet" in q for m in (4, 5, 7)) for q in reads) == 1
    assert not any("2024-06.parquet" in q and "2024-04.parquet" in q for q in reads)


def test_missing_column_fails_with_file_and_column_and_keeps_loaded_data(loaded):
    conn, _, source_dir = loaded
    path = source_dir / "projects.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    idx = header.index("sponsor")
    path.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != idx) for line in lines) + "\n")
    before_raw, before_q = raw_counts(conn), quarantine(conn)
    with pytest.raises(SourceContractError, match=r"^projects\.csv: header lacks required column sponsor"):
        load_source(conn, SOURCES_BY_NAME["projects"], source_dir, "run-2")
    assert raw_counts(conn) == before_raw and quarantine(conn) == before_q
    assert conn.execute("SELECT count(*) FROM audit.load_audit WHERE run_id = 'run-2'").fetchone()[0] == 0


def test_missing_required_file_or_folder_fails_naming_it(loaded):
    conn, _, source_dir = loaded
    (source_dir / "financials.csv").unlink()
    with pytest.raises(SourceContractError, match=r"^financials\.csv: required file is missing"):
        load_source(conn, SOURCES_BY_NAME["financials"], source_dir, "run-2")
    assert conn.execute("SELECT count(*) FROM raw.financials").fetchone()[0] == 2
    for f in (source_dir / "kpi_measurements").iterdir():
        f.unlink()
    (source_dir / "kpi_measurements").rmdir()
    with pytest.raises(SourceContractError, match=r"^kpi_measurements/: required landing folder is missing"):
        load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-2")


def test_optional_benefit_plan_may_be_absent(loaded):
    conn, _, source_dir = loaded
    (source_dir / "benefit_plan.csv").unlink()
    result = load_source(conn, SOURCES_BY_NAME["benefit_plan"], source_dir, "run-2")
    assert result.files == [] and result.table_rows == 0
    assert conn.execute("SELECT count(*) FROM audit.quarantine WHERE source_file = 'benefit_plan.csv'").fetchone()[0] == 0


def test_a_failure_half_way_leaves_the_previous_load_intact(loaded, monkeypatch):
    conn, _, source_dir = loaded
    before_raw, before_q = raw_counts(conn), quarantine(conn)
    before_projects = conn.execute("SELECT * EXCLUDE (_run_id, _loaded_at) FROM raw.projects ORDER BY 1").fetchall()
    path = source_dir / "projects.csv"
    path.write_text(path.read_text().replace("Client Portal", "Client Portal Renamed"))

    def boom(*_args, **_kwargs):
        raise OSError("disk full (simulated) after the raw rows were replaced")

    monkeypatch.setattr(loader, "write_quarantine", boom)
    with pytest.raises(OSError, match="simulated"):
        load_source(conn, SOURCES_BY_NAME["projects"], source_dir, "run-2")
    assert raw_counts(conn) == before_raw and quarantine(conn) == before_q
    assert conn.execute("SELECT * EXCLUDE (_run_id, _loaded_at) FROM raw.projects ORDER BY 1").fetchall() == before_projects
    assert conn.execute("SELECT count(*) FROM audit.load_audit WHERE run_id = 'run-2'").fetchone()[0] == 0


def test_rows_after_a_malformed_line_keep_their_file_row_numbers(tmp_path: Path, warehouse_path: Path):
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    (source_dir / "kpi_definitions.csv").write_text(
        "kpi_id,kpi_name,unit,aggregation,frequency,data_owner,source_system\n"
        "K1,A,count,sum,daily,X,Y\n"
        "K2,B,count\n"
        "K3,C,count,sum,daily,X,Y,extra\n"
        "K4,D,count,average,daily,X,Y\n"
        "K5,E,count,sum,weekly,X,Y\n"
    )
    conn = connect(warehouse_path)
    load_source(conn, SOURCES_BY_NAME["kpi_definitions"], source_dir, "run-1")
    assert sorted(conn.execute("SELECT row_number, reason FROM audit.quarantine").fetchall()) == [
        (3, "malformed_row"), (4, "malformed_row"), (5, "bad_enum"),
    ]
    assert conn.execute("SELECT kpi_id, _row_number FROM raw.kpi_definitions ORDER BY 1").fetchall() == [
        ("K1", 2), ("K5", 6),
    ]
    conn.close()


def test_values_are_trimmed_and_enums_normalised(loaded):
    conn, _, _ = loaded
    assert conn.execute("SELECT currency FROM raw.projects WHERE project_id = 'P2'").fetchone() == ("EUR",)
    assert conn.execute("SELECT programme FROM raw.projects WHERE project_id = 'P2'").fetchone() == (None,)
