"""Benefit owner check-ins: the writer (pipelines.checkins), their ingestion through the landing
folders, the schema evolution of older raw tables, the check-in sensor, and end to end the
owner's confidence beside the measured status (marts.fct_benefit_checkin, rpt_benefit_board)."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from pipelines.checkins import CheckInError, write_checkin, write_measurement
from pipelines.load import connect, load_source
from pipelines.load.contract import SOURCES, SOURCES_BY_NAME
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF
from tests.conftest import fetch_all as query

NOW = datetime(2024, 7, 2, 9, 30, 15, 123456, tzinfo=timezone.utc)
CHECKINS = SOURCES_BY_NAME["benefit_checkins"]
MEASUREMENTS = SOURCES_BY_NAME["kpi_measurements"]
HOSTILE_COMMENTARY = 'Fine, mostly: "supplier" issues,\nsecond line; third, with ""quotes"" and a, comma\n=1+1'


def checkin(source: Path, **given) -> Path:
    args = dict(benefit_id="B1", period_month="2024-06-01", confidence="on_track", commentary="ok",
                recorded_by="jo.jones@example.org", now=NOW)
    return write_checkin(source, **{**args, **given})


def measurement(source: Path, **given) -> Path:
    args = dict(kpi_id="K1", measured_on="2024-06-30", value=3100.5, evidence="Monthly count, page 2",
                recorded_by="jo.jones@example.org", now=NOW)
    return write_measurement(source, **{**args, **given})


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- the writer


def test_a_checkin_is_a_new_contract_file_that_round_trips(tmp_path):
    path = checkin(tmp_path, commentary=HOSTILE_COMMENTARY, confidence="On track")
    assert path.parent == tmp_path / "benefit_checkins"
    assert path.name.startswith("checkin-20240702T093015Z-jo-jones-") and path.suffix == ".csv"
    assert rows_of(path) == [{
        "benefit_id": "B1", "period_month": "2024-06-01", "confidence": "on_track", "commentary": HOSTILE_COMMENTARY,
        "recorded_by": "jo.jones@example.org", "recorded_at": "2024-07-02T09:30:15.123456Z",
    }]
    assert list(rows_of(path)[0]) == [c.name for c in CHECKINS.columns]  # the contract's header
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_a_measurement_is_a_new_landing_file_with_who_and_evidence(tmp_path):
    path = measurement(tmp_path, value="12.50", evidence="Line one,\r\nline two")
    assert path.parent == tmp_path / "kpi_measurements" and path.name.startswith("measurement-20240702T093015Z-")
    assert rows_of(path) == [{
        "kpi_id": "K1", "measured_on": "2024-06-30", "value": "12.50", "recorded_at": "2024-07-02T09:30:15.123456Z",
        "recorded_by": "jo.jones@example.org", "evidence": "Line one,\nline two",
    }]


def test_every_call_writes_its_own_file_and_never_replaces_one(tmp_path, monkeypatch):
    first, second = checkin(tmp_path), checkin(tmp_path, confidence="at_risk")
    assert first != second and len(list((tmp_path / "benefit_checkins").iterdir())) == 2
    # the random part of the name collides every time: the writer refuses, the file stays as it was
    before = first.read_bytes()
    monkeypatch.setattr("pipelines.checkins.secrets.token_hex", lambda n: first.stem.rsplit("-", 1)[1][: 2 * n])
    with pytest.raises(CheckInError, match="free file name"):
        checkin(tmp_path, confidence="off_track")
    assert first.read_bytes() == before
    assert sorted(p.suffix for p in (tmp_path / "benefit_checkins").iterdir()) == [".csv", ".csv"]


@pytest.mark.parametrize("given, message", [
    ({"period_month": "2024-06-15"}, "period_month 2024-06-15 is not the first day of a month (for June 2024 give 2024-06-01)"),
    ({"period_month": "2024-08-01"}, "period_month 2024-08-01 is a future month (this month is 2024-07-01)"),
    ({"period_month": "June"}, "period_month 'June' is not a date in the form YYYY-MM-DD"),
    ({"period_month": "1989-12-01"}, "period_month 1989-12-01 is before 1990-01-01, the earliest plausible date"),
    ({"confidence": "green"}, "confidence 'green' is not one of on_track, at_risk, off_track"),
    ({"benefit_id": "  "}, "benefit_id is empty"),
    ({"benefit_id": "B1\nB2"}, "is not an identifier"),
    ({"recorded_by": ""}, "recorded_by is empty"),
    ({"commentary": "x" * 4001}, "the commentary has 4,001 characters; at most 4,000"),
])
def test_a_bad_checkin_is_refused_with_what_to_change(tmp_path, given, message):
    with pytest.raises(CheckInError) as err:
        checkin(tmp_path, **given)
    assert message in str(err.value)
    assert not (tmp_path / "benefit_checkins").exists() or not list((tmp_path / "benefit_checkins").iterdir())


@pytest.mark.parametrize("given, message", [
    ({"value": float("nan")}, "value nan is not a finite number"),
    ({"value": "inf"}, "value 'inf' is not a finite number"),
    ({"value": "1,000"}, "value '1,000' is not a number (use . as the decimal point, no thousands separator)"),
    ({"value": True}, "value True is not a number"),
    ({"measured_on": "2024-07-03"}, "measured_on 2024-07-03 is in the future (today is 2024-07-02)"),
    ({"measured_on": "2024-02-30"}, "measured_on '2024-02-30' is not a date in the form YYYY-MM-DD"),
    ({"kpi_id": ""}, "kpi_id is empty"),
])
def test_a_bad_measurement_is_refused_with_what_to_change(tmp_path, given, message):
    with pytest.raises(CheckInError) as err:
        measurement(tmp_path, **given)
    assert message in str(err.value)


def test_a_source_directory_whose_mapping_reads_the_table_elsewhere_is_refused(tmp_path):
    """sources.yml mapping kpi_measurements: files written to kpi_measurements/ would never load."""
    (tmp_path / "sources.yml").write_text(
        "tables:\n  kpi_measurements:\n    input: {file: 'kpi/*.xlsx', sheet: KPIs}\n"
        "    columns: {kpi_id: KPI, measured_on: Day, value: Value, recorded_at: {file_modified: true}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CheckInError) as err:
        measurement(tmp_path)
    assert "sources.yml maps the table kpi_measurements (reads it from 'kpi/*.xlsx')" in str(err.value)
    assert "Remove tables.kpi_measurements from sources.yml" in str(err.value)
    assert not (tmp_path / "kpi_measurements").exists()
    assert checkin(tmp_path).is_file()  # benefit_checkins is not mapped: its contract folder is read


def test_a_missing_source_directory_is_not_created(tmp_path):
    with pytest.raises(CheckInError, match="does not exist, so nothing is recorded"):
        checkin(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


# --------------------------------------------------------------------------- ingestion


def load_all(conn, source: Path, run_id: str) -> dict:
    return {s.name: load_source(conn, s, source, run_id, as_of=date(2024, 7, 15)) for s in SOURCES}


def test_written_files_load_bad_ones_are_quarantined_and_nothing_loads_twice(tiny_source, warehouse_path):
    good = checkin(tiny_source, commentary=HOSTILE_COMMENTARY)
    unknown = checkin(tiny_source, benefit_id="B404")
    hand = measurement(tiny_source)
    conn = connect(warehouse_path)
    load_all(conn, tiny_source, "run-1")
    assert conn.execute("SELECT benefit_id, period_month, confidence, commentary, recorded_by, recorded_at "
                        "FROM raw.benefit_checkins").fetchall() == [
        ("B1", date(2024, 6, 1), "on_track", HOSTILE_COMMENTARY, "jo.jones@example.org",
         datetime(2024, 7, 2, 9, 30, 15, 123456)),
    ]
    assert conn.execute("SELECT source_file, row_number, reason, column_name, detail FROM audit.quarantine "
                        "WHERE source = 'benefit_checkins'").fetchall() == [
        (f"benefit_checkins/{unknown.name}", 2, "unknown_reference", "benefit_id",
         "column benefit_id: 'B404' is not a benefit_id loaded from benefits.csv"),
    ]
    assert conn.execute("SELECT value, recorded_by, evidence FROM raw.kpi_measurements WHERE _source_file = ?",
                        [f"kpi_measurements/{hand.name}"]).fetchall() == [(3100.5, "jo.jones@example.org",
                                                                          "Monthly count, page 2")]
    # the feed's own files have no such columns: null there
    assert conn.execute("SELECT count(*) FROM raw.kpi_measurements WHERE recorded_by IS NULL").fetchone()[0] == 9
    # the same files again: nothing read, nothing added
    again = load_all(conn, tiny_source, "run-2")
    assert again["benefit_checkins"].files == [] and sorted(again["benefit_checkins"].skipped_files) == sorted(
        f"benefit_checkins/{p.name}" for p in (good, unknown))
    assert conn.execute("SELECT count(*) FROM raw.benefit_checkins").fetchone()[0] == 1
    conn.close()


def test_two_different_checkins_with_the_same_key_are_both_quarantined(tiny_source, warehouse_path):
    """The key is (benefit_id, period_month, recorded_at): the same instant with other words is a
    conflicting_duplicate (SPEC 2), like a KPI value; the later file moves the earlier row too."""
    conn = connect(warehouse_path)
    first = checkin(tiny_source, confidence="on_track")
    load_all(conn, tiny_source, "run-1")
    second = checkin(tiny_source, confidence="off_track")
    load_source(conn, CHECKINS, tiny_source, "run-2", as_of=date(2024, 7, 15))
    assert conn.execute("SELECT count(*) FROM raw.benefit_checkins").fetchone()[0] == 0
    assert sorted(conn.execute("SELECT source_file, reason, column_name, detail FROM audit.quarantine "
                               "WHERE source = 'benefit_checkins'").fetchall()) == sorted([
        (f"benefit_checkins/{first.name}", "conflicting_duplicate", "confidence",
         "column confidence: on_track conflicts with a check-in loaded later for the same benefit_id, period_month "
         "and recorded_at"),
        (f"benefit_checkins/{second.name}", "conflicting_duplicate", "confidence",
         "column confidence: off_track conflicts with another check-in for the same benefit_id, period_month "
         "and recorded_at"),
    ])
    conn.close()


def test_an_absent_checkin_folder_empties_the_table_and_forgets_only_its_files(tiny_source, warehouse_path):
    conn = connect(warehouse_path)
    checkin(tiny_source)
    load_all(conn, tiny_source, "run-1")
    kpi_files = conn.execute("SELECT count(*) FROM audit.loaded_files WHERE source_file LIKE 'kpi_measurements/%'").fetchone()
    shutil.rmtree(tiny_source / "benefit_checkins")
    result = load_source(conn, CHECKINS, tiny_source, "run-2")
    assert result.files == [] and conn.execute("SELECT count(*) FROM raw.benefit_checkins").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM audit.loaded_files WHERE source_file LIKE 'benefit_checkins/%'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM audit.loaded_files WHERE source_file LIKE 'kpi_measurements/%'").fetchone() == kpi_files
    conn.close()


def test_a_raw_table_from_an_older_contract_gains_the_new_columns(tiny_source, warehouse_path):
    """Warehouses from before recorded_by/evidence: ensure_warehouse adds every contract column a
    raw table lacks (null in its old rows), and loading goes on as before."""
    warehouse_path.parent.mkdir(parents=True)
    old = duckdb.connect(str(warehouse_path))
    old.execute("CREATE SCHEMA raw")
    old.execute("""CREATE TABLE raw.kpi_measurements (kpi_id VARCHAR, measured_on DATE, value DOUBLE,
                   recorded_at TIMESTAMP, _source_file VARCHAR, _row_number BIGINT, _run_id VARCHAR, _loaded_at TIMESTAMP)""")
    old.execute("INSERT INTO raw.kpi_measurements VALUES ('K1', DATE '2024-01-01', 7, TIMESTAMP '2024-01-02', "
                "'kpi_measurements/old.csv', 2, 'old-run', TIMESTAMP '2024-01-02')")
    old.close()
    conn = connect(warehouse_path)
    load_source(conn, MEASUREMENTS, tiny_source, "run-1", as_of=date(2024, 7, 15))
    columns = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
                                          "AND table_name = 'kpi_measurements' ORDER BY ordinal_position").fetchall()]
    assert columns[-2:] == ["recorded_by", "evidence"]
    assert conn.execute("SELECT value, recorded_by, evidence FROM raw.kpi_measurements "
                        "WHERE _source_file = 'kpi_measurements/old.csv'").fetchall() == [(7.0, None, None)]
    assert conn.execute("SELECT count(*) FROM raw.benefit_checkins").fetchone() == (0,)  # the new table exists
    conn.close()


# --------------------------------------------------------------------------- the sensor


def test_the_checkin_sensor_requests_a_written_file_for_the_checkin_job(tmp_path, defs):
    from dagster import build_sensor_context, validate_run_config

    from pipelines.defs.ingest.jobs import CHECKIN_JOB, CHECKIN_OP
    from pipelines.defs.ingest.sensors import checkin_landing_sensor, kpi_landing_sensor
    from pipelines.defs.resources import WarehouseResource

    def tick(sensor, cursor):
        context = build_sensor_context(cursor=cursor, resources={
            "warehouse": WarehouseResource(path=str(tmp_path / "unused.duckdb"), source_dir=str(tmp_path))})
        result = sensor(context)
        if not getattr(result, "run_requests", None):
            return [], context.cursor
        [request] = result.run_requests
        return request.run_config["ops"][CHECKIN_OP]["config"]["files"], result.cursor

    path = checkin(tmp_path)
    files, cursor = tick(checkin_landing_sensor, None)
    assert files == []  # first sight
    files, cursor = tick(checkin_landing_sensor, cursor)
    assert files == [f"benefit_checkins/{path.name}"]
    assert tick(kpi_landing_sensor, None)[0] == []  # the KPI sensor does not watch it
    job = defs.resolve_job_def(CHECKIN_JOB)
    validate_run_config(job, {"ops": {CHECKIN_OP: {"config": {"files": files}}}})
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert {"raw/benefit_checkins", "staging/stg_benefit_checkins", "marts/fct_benefit_checkin",
            "reporting/rpt_benefit_board", "reports/board_pack", "publish/warehouse_read_copy"} <= selected
    # a check-in rebuilds neither the measurements nor the statuses it is compared with
    assert not {"raw/kpi_measurements", "staging/stg_kpi_measurements", "marts/fct_benefit_status_monthly"} & selected


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def checked_in(tmp_path_factory):
    """`brw run` over a copy of the hand-worked portfolio (tests/test_benefit_marts.py has its
    statuses at March 2026) with owners' check-ins for March, one for February and one on an
    unknown benefit, and a measurement recorded by hand for KG, made a manual KPI here."""
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("checkins")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    definitions = source / "kpi_definitions.csv"
    definitions.write_text(definitions.read_text().replace("KG,Self-service share,%,last,monthly,Hal Hughes,Web",
                                                           "KG,Self-service share,%,last,monthly,Hal Hughes,MANUAL survey"))
    at = datetime(2026, 4, 3, 10, 0, tzinfo=timezone.utc)
    for benefit_id, confidence, who in [
        ("BB6", "on_track", "dan.doyle@example.org"),   # off_track measured: owner more optimistic
        ("BA1", "at_risk", "ann.archer@example.org"),   # achieved (on_track in owner's words): more pessimistic
        ("BA4", "at_risk", "eve.ellis@example.org"),    # eroding = at_risk: they agree
        ("BB2", "on_track", "sam.stale@example.org"),   # stale = off_track: more optimistic
        ("BB3", "on_track", "ivy.irwin@example.org"),   # exceeded (a dis-benefit) = off_track: more optimistic
        ("BB4", "off_track", "cat.chen@example.org"),   # not_started: not comparable
        ("ZZ9", "on_track", "nobody@example.org"),      # no such benefit: quarantined
    ]:
        write_checkin(source, benefit_id=benefit_id, period_month="2026-03-01", confidence=confidence,
                      commentary=HOSTILE_COMMENTARY if benefit_id == "BB6" else None, recorded_by=who, now=at)
    write_checkin(source, benefit_id="BA2", period_month="2026-02-01", confidence="at_risk", commentary="February",
                  recorded_by="bob.baker@example.org", now=at)
    write_measurement(source, kpi_id="KG", measured_on="2026-04-10", value=55, evidence="Survey of 120 users, April",
                      recorded_by="hal.hughes@example.org", now=datetime(2026, 4, 11, 8, 0, tzinfo=timezone.utc))
    warehouse = base / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF]) == 0
    return source, warehouse


BOARD_SQL = """SELECT benefit_id, status, owner_confidence, owner_disagrees, owner_disagreement, owner_disagreement_note
    FROM reporting.rpt_benefit_board WHERE owner_confidence IS NOT NULL ORDER BY benefit_id"""


def test_the_owner_beside_the_measured_status_by_hand(checked_in):
    _, warehouse = checked_in
    assert query(warehouse, BOARD_SQL) == [
        ("BA1", "achieved", "at_risk", True, "owner_more_pessimistic", "Owner says at risk; measured achieved"),
        ("BA4", "eroding", "at_risk", False, None, None),
        ("BB2", "stale", "on_track", True, "owner_more_optimistic", "Owner says on track; measured stale"),
        ("BB3", "exceeded", "on_track", True, "owner_more_optimistic", "Owner says on track; measured exceeded"),
        ("BB4", "not_started", "off_track", None, None, None),
        ("BB6", "off_track", "on_track", True, "owner_more_optimistic", "Owner says on track; measured off track"),
    ]
    assert query(warehouse, """SELECT owner_confidence_label, owner_commentary, owner_checked_in_by,
        owner_checked_in_at, owner_checkin_month FROM reporting.rpt_benefit_board WHERE benefit_id = 'BB6'""") == [
        ("On track", HOSTILE_COMMENTARY, "dan.doyle@example.org", datetime(2026, 4, 3, 10, 0), date(2026, 3, 1)),
    ]
    # February's check-in is in the mart, not on the board (which shows the evaluation month)
    assert query(warehouse, """SELECT period_month, confidence, commentary
        FROM marts.fct_benefit_checkin WHERE benefit_id = 'BA2'""") == [(date(2026, 2, 1), "at_risk", "February")]
    assert query(warehouse, "SELECT count(*) FROM marts.fct_benefit_checkin") == [(7,)]
    assert query(warehouse, """SELECT reason, column_name FROM audit.quarantine WHERE source = 'benefit_checkins'""") == [
        ("unknown_reference", "benefit_id")]


def test_a_hand_measured_kpi_says_who_recorded_it(checked_in):
    _, warehouse = checked_in
    assert query(warehouse, """SELECT kpi_id, last_manual_measured_on, last_manual_value, last_manual_recorded_by,
        last_manual_evidence FROM marts.dim_kpi WHERE is_manually_measured""") == [
        ("KG", date(2026, 4, 10), 55.0, "hal.hughes@example.org", "Survey of 120 users, April"),
    ]
    # the measurement is after the evaluation month: BB6's March status is the hand-worked one
    assert query(warehouse, "SELECT status FROM marts.fct_benefit_status WHERE benefit_id = 'BB6'") == [("off_track",)]


def test_the_benefit_page_shows_the_check_in_beside_the_status(checked_in, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP, open_page

    _, warehouse = checked_in
    monkeypatch.setenv("BRW_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    open_page(at, "benefit")
    at.selectbox(key="benefit_pick").set_value("BB6").run()
    assert not at.exception
    [flag] = [w.value for w in at.warning if "Owner says" in w.value]
    assert "Owner says on track" in flag and "measured off track" in flag and "owner more optimistic" in flag
    assert "Owner's check-in for March 2026: On track" in flag.replace("\\", "")
    [history] = [d.value for d in at.dataframe if "confidence_label" in d.value.columns]
    assert len(history) == 1 and history["confidence_label"].iloc[0] == "On track"
    # KG is measured by hand: who recorded its latest value, and the evidence
    assert any("KG is measured by hand" in c.value.replace("\\", "") and "hal.hughes" in c.value.replace("\\", "")
               for c in at.caption)


def test_a_later_checkin_supersedes_and_rebuilds_only_what_reads_checkins(checked_in):
    from pipelines.cli import main
    from pipelines.plan import plan_run

    source, warehouse = checked_in
    write_checkin(source, benefit_id="BB6", period_month="2026-03-01", confidence="Off track",
                  commentary="Revised: the survey confirms it.", recorded_by="dan.doyle@example.org",
                  now=datetime(2026, 4, 9, 16, 0, tzinfo=timezone.utc))
    plan = plan_run(warehouse, source, date.fromisoformat(PORTFOLIO_AS_OF))
    assert plan.changed_sources == ["benefit_checkins"]
    assert any("benefit_checkins/ (1 new or changed files)" in reason for reason in plan.reasons), plan.reasons
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF]) == 0
    assert query(warehouse, """SELECT confidence, commentary, superseded_checkins, disagrees, disagreement
        FROM marts.fct_benefit_checkin WHERE benefit_id = 'BB6'""") == [
        ("off_track", "Revised: the survey confirms it.", 1, False, None)]
    assert query(warehouse, "SELECT count(*) FROM raw.benefit_checkins WHERE benefit_id = 'BB6'") == [(2,)]


# --------------------------------------------------------------------------- the check-in page (issue 15)


def test_an_owner_checks_in_on_the_page_and_the_files_wait_for_the_pipeline(checked_in, monkeypatch, tmp_path):
    """Dan Doyle, signed in as the benefit owner of BB5 and BB6, sends March's commentary on BB6
    and a measurement of its hand-measured KPI (KG) from the check-in page: two new landing files
    with his email and the time, on the audit trail; the warehouse is not touched. BB5's KPI
    arrives from a system: no measurement form for it."""
    from streamlit.testing.v1 import AppTest

    from dashboards import audit
    from tests.conftest import APP, open_page
    from tests.test_access import AUTH_SECRETS

    source, warehouse = checked_in
    (tmp_path / "access.yml").write_text(
        "grants:\n  - email: dan.doyle@example.org\n    role: benefit_owner\n    benefit_owner: Dan Doyle\n")
    for name, value in {"BRW_WAREHOUSE": warehouse, "BRW_SOURCE_DIR": source, "BRW_ACCESS": tmp_path / "access.yml",
                        "BRW_ACCESS_LOG": tmp_path / "log"}.items():
        monkeypatch.setenv(name, str(value))
    before = {p.name for p in source.rglob("*.csv")}
    warehouse_bytes = warehouse.read_bytes()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": True, "email": "dan.doyle@example.org", "name": "Dan Doyle"}
    open_page(at.run(), "check-in")
    assert not at.exception
    picker = at.selectbox(key="checkin_benefit")
    assert [o.split(" · ")[0] for o in picker.options] == ["BB5", "BB6"]

    picker.set_value("BB5").run()  # Days to pay (KB) arrives from the ERP: no measurement form
    assert any("arrives from" in i.value and "only a KPI measured by hand" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Record measurement"]

    at.selectbox(key="checkin_benefit").set_value("BB6").run()
    assert at.selectbox(key="checkin_month").value == date(2026, 3, 1)  # the evaluation month first
    at.radio(key="checkin_confidence").set_value("at_risk")
    at.text_area(key="checkin_commentary_text").input("Uptake slower after the app change.\nFix in April.")
    next(b for b in at.button if b.label == "Send check-in").click().run()
    assert not at.exception and any("Check-in for March 2026 written" in s.value for s in at.success)

    at.number_input(key="checkin_value").set_value(61.5)
    at.text_input(key="checkin_evidence").input("Survey of 140 users")
    next(b for b in at.button if b.label == "Record measurement").click().run()
    assert not at.exception and any("Measurement written" in s.value for s in at.success)

    new = sorted(p for p in source.rglob("*.csv") if p.name not in before)
    assert [p.parent.name for p in new] == ["benefit_checkins", "kpi_measurements"]
    [checkin] = rows_of(new[0])
    assert (checkin["benefit_id"], checkin["period_month"], checkin["confidence"], checkin["recorded_by"]) == (
        "BB6", "2026-03-01", "at_risk", "dan.doyle@example.org")
    assert checkin["commentary"] == "Uptake slower after the app change.\nFix in April."
    [value] = rows_of(new[1])
    assert (value["kpi_id"], float(value["value"]), value["evidence"], value["recorded_by"]) == (
        "KG", 61.5, "Survey of 140 users", "dan.doyle@example.org")
    assert value["measured_on"] == date.today().isoformat()
    assert warehouse.read_bytes() == warehouse_bytes  # nothing the owner writes changes the warehouse
    events = audit.read_events(kinds=("check_in",))
    assert sorted(events["email"]) == ["dan.doyle@example.org"] * 2
    assert {'"kind": "commentary"' in d or '"kind": "measurement"' in d for d in events["detail"]} == {True}
