"""A PMO's own exports, mapped with a `sources.yml`, load into exactly what the contract files do.

tests/foreign_exports.py rewrites the hand-worked portfolio (tests/data/portfolio) as a workbook
(register, benefits, a wide KPI sheet) and semicolon Latin-1 CSVs with UK dates, G/A/R and
"£1,234.50"; tests/data/foreign_portfolio/sources.yml maps them back (README, "Your own exports").
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines import load
from pipelines.load.contract import LINEAGE_COLUMNS, SOURCES
from pipelines.mapping import load_mapping, validate
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF, REPO_ROOT
from tests.foreign_exports import REGISTER, RESTATEMENTS, write_foreign_exports

AS_OF = date.fromisoformat(PORTFOLIO_AS_OF)
LINEAGE = {name for name, _ in LINEAGE_COLUMNS}
MART_LINEAGE = {"source_file", "source_row_number"}  # where a row came from: differs by design
RUN_TIMES = {"valid_from", "valid_to"}  # when a run saw a version (snapshots): differs by design
MARTS = sorted(p.stem for p in (REPO_ROOT / "dbt_project" / "models" / "marts").glob("*.sql"))

# Restatements (same KPI and date, recorded later) as a contract landing file: the foreign side
# puts them in a second workbook that the kpi_measurements glob also reads.
RESTATED = (
    "kpi_id,measured_on,value,recorded_at\n"
    "KA,2026-03-31,125,2026-04-05T10:30:00Z\n"
    "KC,2026-03-25,510.5,2026-03-28T08:15:00+01:00\n"
    "KC,2026-03-25,505,2026-03-30T16:45:59Z\n"
)


# marts the hand-worked portfolio leaves empty (no KPI's improvement is claimed more than once, no owner checked in)
EMPTY_IN_PORTFOLIO = {"fct_attribution_overlap", "fct_benefit_checkin"}  # nor any owner check-in


def load_everything(source_dir: Path, db: Path, mapping_file: Path | None = None):
    """Every table at ingest level, in SOURCES order, as of the portfolio's date."""
    conn = load.connect(db)
    load.ensure_warehouse(conn)
    mapping = load_mapping(mapping_file) if mapping_file else None
    if mapping is not None:
        validate(conn, mapping, source_dir)
    results = {
        s.name: load.load_source(conn, s, source_dir, "run-1", as_of=AS_OF, mapping=mapping) for s in SOURCES
    }
    return conn, results


def data_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of `[database.]schema.table` other than lineage, in order."""
    *database, schema, name = table.split(".")
    cols = conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = coalesce(?, current_database()) "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database[0] if database else None, schema, name],
    ).fetchall()
    return [c for (c,) in cols if c not in LINEAGE]


def differences(conn: duckdb.DuckDBPyConnection, left: str, right: str, columns: list[str]) -> tuple[list, list]:
    """Rows of `left` not in `right` and the other way round, counting repeats (EXCEPT ALL)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    only_left = conn.execute(f"SELECT {cols} FROM {left} EXCEPT ALL SELECT {cols} FROM {right}").fetchall()
    only_right = conn.execute(f"SELECT {cols} FROM {right} EXCEPT ALL SELECT {cols} FROM {left}").fetchall()
    return only_left, only_right


@pytest.fixture
def contract_dir(tmp_path: Path, request) -> Path:
    """The hand-worked portfolio, optionally with restated measurements added."""
    target = tmp_path / "contract"
    shutil.copytree(PORTFOLIO, target)
    if getattr(request, "param", "") == "restated":
        (target / "kpi_measurements" / "restated.csv").write_text(RESTATED, encoding="utf-8")
    return target


@pytest.mark.parametrize("contract_dir", ["as_is", "restated"], indirect=True)
def test_foreign_exports_load_the_same_raw_rows_as_the_contract_files(contract_dir: Path, tmp_path: Path):
    foreign = tmp_path / "foreign"
    write_foreign_exports(contract_dir, foreign)
    assert (foreign / RESTATEMENTS).exists() == (contract_dir / "kpi_measurements" / "restated.csv").exists()

    theirs, contract_results = load_everything(contract_dir, tmp_path / "contract.duckdb")
    theirs.close()
    conn, results = load_everything(foreign, tmp_path / "foreign.duckdb", foreign / "sources.yml")
    try:
        conn.execute(f"ATTACH '{tmp_path / 'contract.duckdb'}' AS contract (READ_ONLY)")
        for source in SOURCES:
            columns = data_columns(conn, f"raw.{source.name}")
            only_foreign, only_contract = differences(
                conn, f"raw.{source.name}", f"contract.raw.{source.name}", columns
            )
            assert (only_foreign, only_contract) == ([], []), source.name
            assert results[source.name].rows_loaded == contract_results[source.name].rows_loaded, source.name
        # Nothing rejected on either side, and every row read is accounted for.
        assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM contract.audit.quarantine").fetchone()[0] == 0
        audit = {f: (read, loaded) for f, read, loaded in conn.execute(
            "SELECT source_file, rows_read, rows_loaded FROM audit.load_audit"
        ).fetchall()}
        assert audit[f"{REGISTER}#Projects"] == (2, 2)
        assert audit[f"{REGISTER}#Benefits"] == (11, 11)
        assert audit[f"{REGISTER}#KPI readings"] == (60, 60)
        # Measurements come from the wide sheet, cell by cell; restatements from the second workbook.
        files = dict(conn.execute(
            "SELECT _source_file, count(*) FROM raw.kpi_measurements GROUP BY ALL"
        ).fetchall())
        expected = {f"{REGISTER}#KPI readings": 60}
        if (foreign / RESTATEMENTS).exists():
            expected[f"{RESTATEMENTS}#KPI readings"] = 3
        assert files == expected
    finally:
        conn.close()
    # The blank row and the "Total" row of the register, and the benefits' heading and blank
    # rows, are skipped, not read.
    skipped = {f.source_file: f.rows_skipped for r in results.values() for f in r.files}
    assert skipped[f"{REGISTER}#Projects"] == 2
    assert skipped[f"{REGISTER}#Benefits"] == 3


def test_a_bad_row_in_the_workbook_is_quarantined_with_its_own_record_sheet_and_excel_row(tmp_path: Path):
    foreign = tmp_path / "foreign"
    write_foreign_exports(PORTFOLIO, foreign)
    # The variant: a parked project just above the blank row and the "Total" row, and a status
    # report with an unknown RAG letter at the end of one of the semicolon exports.
    book = load_workbook(foreign / REGISTER)
    ws = book["Projects"]
    header = [c.value for c in ws[3]]
    source_row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "PB")
    bad_row = source_row + 1
    ws.insert_rows(bad_row)
    for k in range(1, len(header) + 1):
        ws.cell(bad_row, k).value = ws.cell(source_row, k).value
        ws.cell(bad_row, k).number_format = ws.cell(source_row, k).number_format
    ws.cell(bad_row, 1).value = "PC"
    ws.cell(bad_row, header.index("Phase") + 1).value = "Parked"
    book.save(foreign / REGISTER)
    status = foreign / "exports" / "status" / "Status PB.csv"
    lines = status.read_bytes().count(b"\n")
    with status.open("a", encoding="latin-1", newline="") as f:
        f.write("PB;30/04/2026;X;G;G;G;Révisé\r\n")

    conn, results = load_everything(foreign, tmp_path / "foreign.duckdb", foreign / "sources.yml")
    try:
        rows = conn.execute(
            "SELECT source, source_file, row_number, reason, column_name, detail, record "
            "FROM audit.quarantine ORDER BY source"
        ).fetchall()
        assert [r[:5] for r in rows] == [
            ("projects", f"{REGISTER}#Projects", bad_row, "bad_enum", "stage"),
            ("status_reports", "exports/status/Status PB.csv", lines + 1, "bad_enum", "overall_rag"),
        ]
        assert "stage ← 'Phase': 'Parked' is not mapped" in rows[0][5]
        record = json.loads(rows[0][6])
        assert record["Project ID"] == "PC" and record["Phase"] == "Parked" and record["Budget (£k)"] == "900"
        assert "overall_rag ← 'Overall': 'X' is not mapped" in rows[1][5]
        assert json.loads(rows[1][6])["Résumé"] == "Révisé"
        # The good rows load as before; the bad ones are read and quarantined, not lost.
        assert conn.execute("SELECT list(project_id ORDER BY project_id) FROM raw.projects").fetchone()[0] == ["PA", "PB"]
        assert results["projects"].rows_read == 3 and results["projects"].rows_quarantined == 1
        assert results["status_reports"].rows_read == 5 and results["status_reports"].rows_loaded == 4
    finally:
        conn.close()


@pytest.mark.slow
def test_brw_run_over_the_foreign_exports_builds_the_same_marts(portfolio_warehouse: Path, tmp_path: Path):
    from pipelines.cli import main

    foreign = tmp_path / "foreign"
    write_foreign_exports(PORTFOLIO, foreign)
    warehouse = tmp_path / "warehouse" / "brw.duckdb"
    assert main(["run", "--source", str(foreign), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF]) == 0

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        conn.execute(f"ATTACH '{portfolio_warehouse}' AS contract (READ_ONLY)")
        assert set(MARTS) >= {"dim_project", "dim_benefit", "fct_benefit_monthly", "fct_benefit_status",
                              "fct_project_health", "fct_portfolio_monthly"}
        for mart in MARTS:
            columns = data_columns(conn, f"marts.{mart}")
            assert columns and columns == data_columns(conn, f"contract.marts.{mart}"), mart
            count = conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
            assert count > 0 or mart in EMPTY_IN_PORTFOLIO, f"marts.{mart} is empty"
            assert count == conn.execute(f"SELECT count(*) FROM contract.marts.{mart}").fetchone()[0], mart
            compared = [c for c in columns if c not in MART_LINEAGE | RUN_TIMES]
            only_foreign, only_contract = differences(conn, f"marts.{mart}", f"contract.marts.{mart}", compared)
            assert (only_foreign, only_contract) == ([], []), mart
        # Lineage points into the user's own files: the workbook's sheet and the row Excel shows.
        ws = load_workbook(foreign / REGISTER)["Benefits"]
        excel_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "BA5")
        assert conn.execute(
            "SELECT benefit_id, source_file, source_row_number FROM marts.fct_invalid_benefits"
        ).fetchall() == [("BA5", f"{REGISTER}#Benefits", excel_row)]
        assert conn.execute(
            "SELECT benefit_id, source_file, source_row_number FROM contract.marts.fct_invalid_benefits"
        ).fetchall() == [("BA5", "benefits.csv", 6)]
        # The quarantine keeps the inputs' own names (nothing was rejected here).
        assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 0
    finally:
        conn.close()
