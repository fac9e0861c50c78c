"""examples/us-federal-it: a real public export (1,547 US federal IT projects, 2013 IT Dashboard)
mapped onto the source contract by its sources.yml (README of that folder).

The fast tests load the two mapped tables at ingest level and check hand-worked rows; the slow
test runs `brw run` over a copy of the example and checks the delivery-health marts against an
independent computation from the CSV itself (SPEC section 6: with no financials, RAID or
decisions, derived RAG rests on the key-milestone slippage alone: > 60 days red, > 14 amber).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import load
from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.mapping import load_mapping, validate
from tests.conftest import REPO_ROOT, fetch_all

EXAMPLE = REPO_ROOT / "examples" / "us-federal-it"
CSV = "us_it_dashboard_projects_2013.csv"
PUBLIC = REPO_ROOT.parent / "shared" / "data" / "public" / CSV
CSV_SHA256 = "f0b7bb87b998d6a8b37326c6897747fdbb1280d320f86867b0b972baa91db5dd"
AS_OF = "2012-08-31"  # the latest record update in the file (README of the example)
ABSENT = ["kpi_definitions", "kpi_measurements", "benefits", "benefit_plan", "financials",
          "status_reports", "raid_log", "change_requests"]


def _load(source_dir: Path, as_of: date = date.fromisoformat(AS_OF)):
    """Load projects and milestones through the example's mapping into a fresh warehouse."""
    mapping = load_mapping(source_dir / "sources.yml")
    conn = load.connect(source_dir.parent / "ingest.duckdb")
    checks = validate(conn, mapping, source_dir)
    results = {
        name: load.load_source(conn, SOURCES_BY_NAME[name], source_dir, "run1", mapping=mapping, as_of=as_of)
        for name in ("projects", "milestones")
    }
    return conn, checks, results


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = tmp_path_factory.mktemp("us_federal")
    source = base / "source"
    shutil.copytree(EXAMPLE, source)
    conn, checks, results = _load(source)
    yield conn, checks, results
    conn.close()


def test_the_csv_is_the_public_file_byte_for_byte():
    data = (EXAMPLE / CSV).read_bytes()
    assert hashlib.sha256(data).hexdigest() == CSV_SHA256
    if PUBLIC.exists():
        assert data == PUBLIC.read_bytes()
    assert data.count(b"\n") == 1548  # header + 1,547 projects
    assert b"&amp;" in data  # published with HTML entities: the mapping decodes them


def test_mapping_validates_and_declares_the_missing_tables_absent(loaded):
    _, checks, _ = loaded
    by_table = {c.table: c for c in checks}
    assert by_table["projects"].files == [CSV] and by_table["milestones"].files == [CSV]
    assert sorted(t for t, c in by_table.items() if c.absent) == sorted(ABSENT)


def test_every_row_is_loaded_or_quarantined(loaded):
    conn, _, results = loaded
    for name in ("projects", "milestones"):
        (f,) = results[name].files
        assert (f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined) == (CSV, 1547, 1547, 0), name
        assert f.rows_skipped == 0
    audit = conn.execute(
        "SELECT source, rows_read, rows_loaded, rows_quarantined FROM audit.load_audit ORDER BY source"
    ).fetchall()
    assert audit == [("milestones", 1547, 1547, 0), ("projects", 1547, 1547, 0)]
    assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM raw.projects").fetchone()[0] == 1547
    assert conn.execute("SELECT count(*) FROM raw.milestones").fetchone()[0] == 1547


def test_projects_hand_checked(loaded):
    conn, _, _ = loaded

    def project(pid: str) -> dict:
        cur = conn.execute("SELECT * FROM raw.projects WHERE project_id = ?", [pid])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()))

    # Row 3: PlannedCost 1.8205 ($M), start 2011-04-01 + 182 days, no delay, updated 426 days
    # after start (2012-05-31): finished by its last update, so closed on its planned end.
    p = project("005-000001822-661")
    assert p["project_name"] == "ePermits O&M FY11 Part 1."
    assert p["portfolio"] == p["business_unit"] == "Department of Agriculture"
    assert p["programme"] == "APHIS Electronic Permits System (ePermits)"
    assert p["budget_at_completion"] == pytest.approx(1_820_500) and p["currency"] == "USD"
    assert (p["start_date"], p["planned_end_date"]) == (date(2011, 4, 1), date(2011, 9, 30))
    assert (p["stage"], p["actual_close_date"]) == ("closed", date(2011, 9, 30))
    assert p["sponsor"] == p["project_manager"] == "(not in the IT Dashboard export)"
    assert p["contract_value"] is None

    # HTML entities decoded: "FY11-Q1 O&amp;M" in "USDA Identity &amp; Access Management".
    p = project("005-000002224-1754")
    assert (p["project_name"], p["programme"]) == ("FY11-Q1 O&M", "USDA Identity & Access Management")
    # Stray spaces: " Cargo Iteration"; "Human Resources Line of Business:  Service Center".
    assert project("024-000005052-47")["project_name"] == "Cargo Iteration"
    assert project("005-999991841-1769")["programme"] == "Human Resources Line of Business: Service Center"
    for column in ("project_name", "programme", "portfolio"):
        bad = conn.execute(
            f"SELECT count(*) FROM raw.projects WHERE {column} LIKE '%&amp;%' OR {column} LIKE '%  %' "
            f"OR {column} <> trim({column})"
        ).fetchone()[0]
        assert bad == 0, column

    # The oldest start (1992-12-21) is inside the plausible window (BRW_EARLIEST_DATE 1990-01-01);
    # 7,953 planned days end 2014-09-30; still open at its last update (2012-08-16): active.
    p = project("007-000001372-2654")
    assert (p["start_date"], p["planned_end_date"], p["stage"]) == (date(1992, 12, 21), date(2014, 9, 30), "active")
    assert p["actual_close_date"] is None

    assert dict(conn.execute("SELECT stage, count(*) FROM raw.projects GROUP BY stage").fetchall()) == {
        "active": 1047, "closed": 500,
    }
    assert conn.execute(
        "SELECT count(DISTINCT portfolio), count(DISTINCT programme), min(start_date) FROM raw.projects"
    ).fetchone() == (26, 437, date(1992, 12, 21))


def test_milestones_hand_checked(loaded):
    conn, _, _ = loaded

    def milestone(pid: str) -> tuple:
        return conn.execute(
            "SELECT milestone_name, is_key, baseline_date, forecast_date, actual_date FROM raw.milestones "
            "WHERE milestone_id = ? AND project_id = ?", [pid + "-completion", pid]
        ).fetchone()

    # GOES-R Core Ground Segment: 2007-03-19 + 2,022 planned days = 2012-09-30; Project_delay
    # 8,492 days forecasts 2035-12-31 (a forecast after as_of stays a forecast); not finished.
    assert milestone("006-000321500-1277") == (
        "Planned completion", True, date(2012, 9, 30), date(2035, 12, 31), None,
    )
    # "Entered in error" (published as such): 2011-11-01 + 332 = 2012-09-28, delay -302 days:
    # 2011-12-01, before its last update (2012-02-23), so that is also its actual date.
    assert milestone("007-000001699-2661") == (
        "Planned completion", True, date(2012, 9, 28), date(2011, 12, 1), date(2011, 12, 1),
    )
    # Slippage = forecast - baseline = Project_delay, for every project.
    csv_delays = _csv_delays()
    slips = dict(conn.execute(
        "SELECT project_id, date_diff('day', baseline_date, forecast_date) FROM raw.milestones"
    ).fetchall())
    assert slips == csv_delays
    # Closed projects carry the same actual date on their milestone.
    assert conn.execute(
        """SELECT count(*) FROM raw.projects p JOIN raw.milestones m USING (project_id)
        WHERE p.actual_close_date IS DISTINCT FROM m.actual_date"""
    ).fetchone()[0] == 0


def _csv_delays() -> dict[str, int]:
    """Project_delay per project id, read with the csv module (independent of the mapping)."""
    with (EXAMPLE / CSV).open(encoding="utf-8", newline="") as handle:
        return {
            f"{r['Unique_Investment_Identifier'].strip()}-{r['Project_ID'].strip()}": round(float(r["Project_delay"]))
            for r in csv.DictReader(handle)
        }


def test_rows_that_cannot_map_are_quarantined_with_reasons(tmp_path):
    """A tampered copy: each broken value lands in quarantine with its reason and the input named."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(EXAMPLE / "sources.yml", source / "sources.yml")
    with (EXAMPLE / CSV).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    col = {name: k for k, name in enumerate(rows[0])}
    rows[1][col["Planned_Duration"]] = "-30.0"  # line 2: ends before it starts
    rows[2][col["Planned_Duration"]] = "abc"  # line 3: not a number
    rows[3][col["Project_delay"]] = "soon"  # line 4: the project loads, its milestone cannot
    rows[4][col["Start_Date"]] = "1985-01-01"  # line 5: before BRW_EARLIEST_DATE
    rows[5][col["PlannedCost"]] = "-1"  # line 6: a negative budget
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (source / CSV).write_text(buffer.getvalue(), encoding="utf-8")

    conn, _, results = _load(source)
    try:
        counts = {n: (f.rows_read, f.rows_loaded, f.rows_quarantined) for n, r in results.items() for f in r.files}
        assert counts == {"projects": (1547, 1543, 4), "milestones": (1547, 1542, 5)}
        quarantined = conn.execute(
            "SELECT source, row_number, reason, detail FROM audit.quarantine ORDER BY source, row_number"
        ).fetchall()
        got = {(s, n): (reason, detail) for s, n, reason, detail in quarantined}
        assert got[("projects", 2)] == ("bad_range", "column planned_end_date ← 'planned_end': is before start_date")
        assert got[("projects", 3)] == (
            "bad_type", "column planned_end_date ← 'planned_end': 'Start_Date 2011-04-01 + Planned_Duration abc days' "
            "is not a date (YYYY-MM-DD)")
        assert got[("projects", 5)][0] == "bad_range" and "start_date ← 'Start_Date': '1985-01-01'" in got[("projects", 5)][1]
        assert got[("projects", 6)] == ("bad_range", "column budget_at_completion ← 'PlannedCost': must be 0 or more")
        assert got[("milestones", 3)][0] == "bad_type" and "Planned_Duration abc" in got[("milestones", 3)][1]
        assert got[("milestones", 4)] == (
            "bad_type", "column forecast_date ← expr over 'Project_delay': 'Start_Date 2012-04-01 + Planned_Duration 182.0 + "
            "Project_delay soon days' is not a date (YYYY-MM-DD)")
        assert got[("milestones", 5)][0] == "bad_range"
        # The milestones of the quarantined negative-duration and negative-budget projects.
        assert got[("milestones", 2)][0] == got[("milestones", 6)][0] == "unknown_reference"
        # The quarantined record is the input's own, as read.
        (record,) = conn.execute(
            "SELECT record FROM audit.quarantine WHERE source = 'projects' AND row_number = 2"
        ).fetchone()
        assert '"Planned_Duration":"-30.0"' in record.replace(" ", "")
    finally:
        conn.close()


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def federal_run(tmp_path_factory):
    """`brw run` over a copy of the example as of 2012-08-31, once for the module."""
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("us_federal_run")
    source = base / "us-federal-it"
    shutil.copytree(EXAMPLE, source)
    warehouse = base / "warehouse" / "brw.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", AS_OF])
    return code, warehouse, out.getvalue()


def _expected_rag() -> dict[str, int]:
    """Derived RAG computed by hand from the CSV: slippage (= Project_delay) > 60 red, > 14 amber."""
    conn = duckdb.connect()
    try:
        return dict(conn.execute(
            f"""SELECT CASE WHEN d > 60 THEN 'red' WHEN d > 14 THEN 'amber' ELSE 'green' END, count(*)
            FROM (SELECT round(CAST(Project_delay AS DOUBLE)) AS d
                  FROM read_csv('{EXAMPLE / CSV}', header = true, all_varchar = true))
            GROUP BY ALL"""
        ).fetchall())
    finally:
        conn.close()


@pytest.mark.slow
def test_brw_run_builds_delivery_health_for_every_project(federal_run):
    code, warehouse, output = federal_run
    assert code == 0, output[-3000:]
    expected = _expected_rag()
    assert expected == {"red": 459, "amber": 112, "green": 976}

    (n,) = fetch_all(warehouse, "SELECT count(*) FROM marts.fct_project_health")[0]
    assert n == 1547
    rag = dict(fetch_all(warehouse, "SELECT derived_rag, count(*) FROM marts.fct_project_health GROUP BY ALL"))
    assert rag == expected
    # Slippage is Project_delay for every project; nothing else can set the RAG here.
    slips = dict(fetch_all(warehouse, "SELECT project_id, max_key_slippage_days FROM marts.fct_project_health"))
    assert slips == _csv_delays()
    assert fetch_all(warehouse, """SELECT count(cpi), count(spi), count(reported_rag), count(margin_leakage),
        sum(open_raid_items), bool_or(is_watermelon), bool_or(is_benefits_watermelon)
        FROM marts.fct_project_health""")[0] == (0, 0, 0, 0, 0, False, False)
    assert fetch_all(warehouse, """SELECT count(*), count(DISTINCT portfolio), count(DISTINCT programme),
        sum(budget_at_completion) FILTER (WHERE project_id = '005-000001822-661')
        FROM marts.dim_project""")[0] == (1547, 26, 437, pytest.approx(1_820_500))
    assert fetch_all(warehouse, "SELECT count(*) FROM marts.dim_benefit")[0] == (0,)

    # audit.load_audit reconciles: every row read is loaded or quarantined, none quarantined.
    audit = fetch_all(warehouse, """SELECT source, source_file, rows_read, rows_loaded, rows_quarantined
        FROM audit.load_audit ORDER BY source""")
    assert audit == [("milestones", CSV, 1547, 1547, 0), ("projects", CSV, 1547, 1547, 0)]
    assert fetch_all(warehouse, "SELECT count(*) FROM audit.quarantine")[0] == (0,)

    assert "1,547     1,547            0" in output


@pytest.mark.slow
def test_run_summary_shows_the_derived_rag(federal_run):
    code, _, output = federal_run
    assert code == 0
    assert "run summary not shown" not in output
    assert "Delivery health (derived RAG): red 459, amber 112, green 976" in output
