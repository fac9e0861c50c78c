"""`brw run` over the committed demo portfolio (seeds/) into a temporary warehouse."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from pipelines.demo import STORIES
from tests.conftest import SEEDS
from tests.conftest import fetch_all as query
from tests.test_generate import PROMISED_STATUS

pytestmark = pytest.mark.slow

AS_OF = "2026-11-21"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    """`brw run` over seeds/ on whatever day the tests run: no --as-of, the demo's own date
    (seeds/as_of.yml) applies."""
    warehouse = tmp_path_factory.mktemp("demo") / "brw.duckdb"
    code = main(["run", "--source", str(SEEDS), "--warehouse", str(warehouse)])
    assert code == 0
    return warehouse


def test_the_demo_is_judged_as_of_its_own_date_with_its_feeds_on_time(demo_warehouse):
    assert query(demo_warehouse, "SELECT DISTINCT as_of_date::VARCHAR FROM marts.fct_benefit_status") == [(AS_OF,)]
    # only the orphaned KPI (its feed stopped on 2026-06-30) is late; every evaluation month that
    # has data is complete
    assert query(demo_warehouse, "SELECT kpi_id FROM marts.dim_kpi WHERE is_late") == [("KPI-0004",)]
    assert query(demo_warehouse, """SELECT count(*) FROM marts.dim_kpi
        WHERE evaluation_month_measurements > 0 AND NOT is_evaluation_month_complete""") == [(0,)]



def test_demo_loads_every_file_with_only_the_planted_bad_rows_quarantined(demo_warehouse):
    counts = dict(query(demo_warehouse, """
        SELECT 'projects', count(*) FROM raw.projects UNION ALL
        SELECT 'benefits', count(*) FROM raw.benefits UNION ALL
        SELECT 'kpi_definitions', count(*) FROM raw.kpi_definitions UNION ALL
        SELECT 'kpi_measurements', count(*) FROM raw.kpi_measurements UNION ALL
        SELECT 'current_measurements', count(*) FROM staging.stg_kpi_measurements UNION ALL
        SELECT 'restated', count(*) FILTER (WHERE is_restated) FROM staging.stg_kpi_measurements
    """))
    assert counts["projects"] == 30 and counts["benefits"] == 104 and counts["kpi_definitions"] == 92
    assert counts["kpi_measurements"] == 195_732
    # one exact duplicate pair counts once; restated versions are superseded in the current view
    assert counts["current_measurements"] == 195_732 - 1 - 177
    assert counts["restated"] == 177
    assert sorted(query(demo_warehouse, "SELECT row_number, reason FROM audit.quarantine")) == [
        (4, "unknown_reference"), (8, "bad_type"), (9, "missing_required"),
        (10, "conflicting_duplicate"), (11, "conflicting_duplicate"),
    ]
    assert query(demo_warehouse, "SELECT DISTINCT source_file FROM audit.quarantine") == [
        ("kpi_measurements/late_feed_2026-11.csv",)
    ]
    # every file: 195,737 measurement rows + 1,773 register rows + 170 monthly exchange rates
    # + 6 owner check-ins
    assert query(demo_warehouse, "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM audit.load_audit") == [
        (197_686, 197_681, 5)
    ]


def test_demo_owner_check_ins_beside_the_measured_status(demo_warehouse):
    """seeds/README.md: the watermelon owner says on track while the measures say off track; the
    owner of the benefit achieved early is more cautious; the eroding benefit's revised check-in
    wins and agrees; the orphaned benefit's owner agrees with stale (off track in their words)."""
    assert query(demo_warehouse, """SELECT benefit_id, status, owner_confidence, owner_disagreement, owner_disagreement_note
        FROM reporting.rpt_benefit_board WHERE owner_confidence IS NOT NULL ORDER BY benefit_id""") == [
        ("BEN-0001", "eroding", "at_risk", None, None),
        ("BEN-0004", "stale", "off_track", None, None),
        ("BEN-0007", "achieved", "at_risk", "owner_more_pessimistic", "Owner says at risk; measured achieved"),
        ("BEN-0010", "off_track", "on_track", "owner_more_optimistic", "Owner says on track; measured off track"),
    ]
    assert query(demo_warehouse, """SELECT superseded_checkins, commentary LIKE 'Revised after the October figures:
handling time%"refresher"%' FROM marts.fct_benefit_checkin WHERE benefit_id = 'BEN-0001'""") == [(1, True)]
    assert query(demo_warehouse, "SELECT count(*) FROM marts.fct_benefit_checkin") == [(5,)]
    assert query(demo_warehouse, "SELECT kpi_id FROM marts.dim_kpi WHERE is_manually_measured ORDER BY 1") == [
        ("KPI-0010",), ("KPI-0062",)
    ]


def test_brw_sql_reads_the_demo_and_refuses_a_delete(demo_warehouse, capsys):
    assert main(["sql", "SELECT count(*) AS n FROM raw.projects", "--warehouse", str(demo_warehouse), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "30"]
    assert main(["sql", "DELETE FROM raw.projects", "--warehouse", str(demo_warehouse)]) == 2
    assert "read-only" in capsys.readouterr().err
    assert query(demo_warehouse, "SELECT count(*) FROM raw.projects") == [(30,)]


def test_demo_board_pack_and_alerts_tell_the_planted_stories(demo_warehouse):
    import csv
    import html
    import os
    from pathlib import Path

    reports = Path(os.environ["BRW_REPORTS_DIR"])
    pack = html.unescape((reports / "board_pack_2026-10.html").read_text(encoding="utf-8"))
    for planted in ("watermelon_project", "margin_leak_project", "eroding_benefit", "orphaned_benefit"):
        assert STORIES[planted] in pack, planted
    assert "ERP Finance Migration" in pack and "Northwind Utilities" in pack
    with (reports / f"alerts_{AS_OF}.csv").open(newline="", encoding="utf-8") as f:
        alerts = {(a["kind"], a["id"]) for a in csv.DictReader(f)}
    assert ("watermelon", STORIES["watermelon_project"]) in alerts
    assert ("eroding", STORIES["eroding_benefit"]) in alerts
    assert ("stale", STORIES["orphaned_benefit"]) in alerts


def test_demo_stories_read_back_from_the_warehouse(demo_warehouse):
    """The statuses and delivery findings the planted stories promise, as the marts compute them."""
    status = dict(query(demo_warehouse, "SELECT benefit_id, status FROM marts.fct_benefit_status"))
    assert {name: status.get(STORIES[name]) for name in PROMISED_STATUS} == PROMISED_STATUS

    columns = ["is_watermelon", "is_benefits_watermelon", "cpi", "max_key_slippage_days",
               "critical_documented_not_mitigated", "margin_leakage", "unbilled_approved_change_cost"]
    sql = f"SELECT {', '.join(columns)} FROM marts.fct_project_health WHERE project_id = ?"
    (row,) = query(demo_warehouse, sql, [STORIES["watermelon_project"]])
    watermelon = dict(zip(columns, row))
    assert watermelon["is_watermelon"] and watermelon["is_benefits_watermelon"]
    assert watermelon["cpi"] < 0.85 and watermelon["max_key_slippage_days"] > 60
    assert watermelon["critical_documented_not_mitigated"] >= 1
    (row,) = query(demo_warehouse, sql, [STORIES["margin_leak_project"]])
    leak = dict(zip(columns, row))
    assert leak["margin_leakage"] > 0 and leak["unbilled_approved_change_cost"] > 0
