"""Delivery health (SPEC section 6) end to end on tests/data/portfolio, worked out by hand.

As of 2026-04-15 (evaluation month 2026-03). Rows dated after the as-of date (PB's April
financials, April report, a change decided on 2026-04-20, RB5, CB5) must not count.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import fetch_all as rows
from tests.vocabulary_helpers import code_of, label_of, pb_red_reasons

pytestmark = pytest.mark.slow


def health(path, project_id):
    conn = duckdb.connect(str(path), read_only=True)
    try:
        cursor = conn.execute("SELECT * FROM marts.fct_project_health WHERE project_id = ?", [project_id])
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone()))
    finally:
        conn.close()


def test_watermelon_client_project(portfolio_warehouse):
    pb = health(portfolio_warehouse, "PB")
    # March financials (April is after the evaluation month): EV 360k, AC 450k, PV 450k
    assert pb["latest_financial_month"].isoformat() == "2026-03-01"
    assert pb["cpi"] == pytest.approx(0.8) and pb["spi"] == pytest.approx(0.8)
    assert (pb["cost_variance"], pb["schedule_variance"], pb["variance_at_completion"]) == (-90_000, -90_000, -250_000)
    # margin: planned 1.2M - 900k = 300k; forecast 1.2M + 50k billable - 1.15M EAC = 100k
    assert (pb["planned_margin"], pb["forecast_margin"], pb["margin_leakage"]) == (300_000, 100_000, 200_000)
    # CRs raised by as_of: CB1-CB4; CB4 decided after as_of → pending; approved 50k + 80k
    assert (pb["change_requests"], pb["pending_change_requests"]) == (4, 2)
    assert (pb["approved_change_cost"], pb["unbilled_approved_change_cost"]) == (130_000, 80_000)
    assert pb["median_days_to_decide"] == 12  # median of 10 and 14 days
    # key milestones: MB1 20 days late, MB2 forecast 77 days late (MB3 is not key)
    assert (pb["key_milestones"], pb["max_key_slippage_days"]) == (2, 77)
    # RAID at as_of: RB1 critical issue open 73 days, no mitigation; RB2 mitigated; RB3 decision
    # open 26 days; RB4 decided in 20 days; RB5 raised after as_of
    assert (pb["open_raid_items"], pb["documented_not_mitigated"], pb["critical_documented_not_mitigated"]) == (3, 1, 1)
    assert (pb["overdue_decisions"], pb["median_decision_latency_days"]) == (1, 20)
    assert (pb["reported_rag"], pb["derived_rag"], pb["is_watermelon"]) == ("green", "red", True)
    # "CPI 0.8 < 0.85; SPI 0.8 < 0.85; key milestone 77 days late (> 60); 1 critical risk/issue open
    # > 30 days without mitigation", each threshold as marts.dim_status_threshold has it
    assert pb["derived_rag_reasons"] == pb_red_reasons(portfolio_warehouse)
    # reported green at the end of Feb and Mar with red measures: 2 months
    assert pb["watermelon_months"] == 2
    # benefits reported green while BB2 is stale and BB6 off_track (the codes the warehouse stores)
    flagged = f"BB2 {code_of(portfolio_warehouse, 'stale')}, BB6 {code_of(portfolio_warehouse, 'off_track')}"
    assert (pb["is_benefits_watermelon"], pb["flagged_benefit_list"]) == (True, flagged)


def test_closed_project_on_budget_is_green_but_its_benefits_are_not(portfolio_warehouse):
    pa = health(portfolio_warehouse, "PA")
    assert pa["cpi"] == pytest.approx(400 / 410) and pa["spi"] == 1.0
    assert pa["margin_leakage"] is None and pa["planned_margin"] is None  # not a client project
    assert (pa["max_key_slippage_days"], pa["open_raid_items"], pa["change_requests"]) == (-10, 0, 0)
    assert (pa["derived_rag"], pa["derived_rag_reasons"], pa["is_watermelon"]) == ("green", None, False)
    # the last report (at close) said benefits green; BA4 has eroded since
    flagged = f"BA4 {code_of(portfolio_warehouse, 'eroding')}"
    assert (pa["is_benefits_watermelon"], pa["flagged_benefit_list"]) == (True, flagged)


def test_monthly_history_shows_when_the_watermelon_started(portfolio_warehouse):
    got = rows(portfolio_warehouse, """
        SELECT period_month::VARCHAR, reported_rag, derived_rag, is_watermelon, watermelon_streak_months
        FROM marts.fct_project_health_monthly
        WHERE project_id = 'PB' AND period_month >= DATE '2025-12-01' ORDER BY 1
    """)
    assert got == [
        # MB2's forecast (77 days late) is the only one the sources have: it counts in every month
        ("2025-12-01", None, "red", False, 0),  # no report yet: not a watermelon
        ("2026-01-01", None, "red", False, 0),
        ("2026-02-01", "green", "red", True, 1),  # first green report with red measures
        ("2026-03-01", "green", "red", True, 2),
    ]
    assert rows(portfolio_warehouse, "SELECT min(period_month)::VARCHAR, count(*) FROM marts.fct_project_health_monthly WHERE project_id = 'PB'") == [
        ("2025-03-01", 13)
    ]


def test_run_summary_names_the_watermelons_and_their_reasons(portfolio_warehouse, capsys):
    from pipelines.cli.summaries import print_delivery_summary
    from pipelines.settings import Settings

    print_delivery_summary(Settings.resolve(warehouse=portfolio_warehouse))
    out = capsys.readouterr().out
    assert "Delivery health (derived RAG): red 1, green 1" in out
    assert f"  PB Digital Front Door — 2 month(s): {pb_red_reasons(portfolio_warehouse)}\n" in out
    assert f"  PA Billing Automation: BA4 {label_of(portfolio_warehouse, 'eroding')}\n" in out
    assert "  PB Digital Front Door: £200,000 (unbilled approved changes £80,000)" in out
