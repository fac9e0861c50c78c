"""The benefit marts end to end on a small portfolio worked out by hand (SPEC sections 3-4, 7).

tests/data/portfolio: two projects, monthly KPIs, eleven benefits; as of 2026-04-15 the
evaluation month e is 2026-03. Every number below is computed by hand in the comments.
"""

from __future__ import annotations

import shutil

import pytest

from pipelines.cli import main
from tests.conftest import PORTFOLIO
from tests.conftest import fetch_all as rows
from tests.conftest import PORTFOLIO_AS_OF as AS_OF
from tests.vocabulary_helpers import code_of, label_of, labels_of, threshold_text

pytestmark = pytest.mark.slow

# benefit: (status by its key, T3(e), P_e, cumulative realized value, benefit_owner)
EXPECTED_STATUS = {
    # KA 100→124, TI = 20; T3 = mean(1.2, 1.2, 1.2); V = 10 * I; sum I Jun..Mar = 154
    "BA1": ("achieved", 1.2, 1.0, 1540.0, "Ann Archer"),
    # measured B = mean(Jan 50, Mar 54) = 52 (Feb has no data), decrease, TI = 12;
    # s_curve k = 9 of n = 12, x = .75: P = 3(.5625) - 2(.421875) = .84375;
    # R = 7/12, 8/12, 9/12 → T3 = 2/3, attainment .790 → at_risk; V = I * .5 * 5, sum I = 45
    "BA2": ("at_risk", 2 / 3, 0.84375, 112.5, "Bob Baker"),
    # review_until 2025-12-31 < e; its KPI still moves: KC Jan..Mar mean 990, (990 - 900) / 300
    "BA3": ("tracking_ended", 0.3, 1.0, None, "Ann Archer"),
    # R Oct..Mar 1, 1, .9, .8, .7, .6: peak T3 1.0 (Nov), T3(e) = .7 <= .85
    "BA4": ("eroding", 0.7, 1.0, None, "Eve Ellis"),
    # step: P_e = 0; KC sums Jan 1000, Feb 980, Mar 990 → R 0, -.04, -.02, T3 = -.02 >= -.05
    "BB1": ("on_track", -0.02, 0.0, -90.0, "Cat Chen"),
    # KD measured until 2025-11 only: nothing in Jan..Mar
    "BB2": ("stale", None, 0.5, None, "Sam Stale"),
    # dis-benefit: R = 70/60, 72/60, 74/60 → T3 = 1.2 > 1.1; V = -I, sum I Oct..Mar = 311
    "BB3": ("exceeded", 1.2, 1.0, -311.0, "Ivy Irwin"),
    # realization starts 2026-06
    "BB4": ("not_started", 0.0, 0.0, None, "Cat Chen"),
    # baseline window 2020 has no data; the ramp is still defined: linear k = 2 of n = 11
    "BB5": ("no_baseline", None, 2 / 11, None, "Dan Doyle"),
    # R .2, .3, .4 → T3 .3 against P_e 1 → off_track; V = 2 * I, sum I = 100
    "BB6": ("off_track", 0.3, 1.0, 200.0, "Dan Doyle"),
}


@pytest.fixture(scope="module")
def warehouse(portfolio_warehouse):
    return portfolio_warehouse


def test_every_status_is_the_hand_worked_one(warehouse):
    got = {
        b: (status, t3, p, cum, owner)
        for b, status, t3, p, cum, owner in rows(
            warehouse,
            "SELECT benefit_id, status, trailing_realization_pct, planned_pct, cumulative_realized_value, "
            "benefit_owner FROM marts.fct_benefit_status",
        )
    }
    assert set(got) == set(EXPECTED_STATUS)
    for benefit, (key, t3, p, cum, owner) in EXPECTED_STATUS.items():
        g_status, g_t3, g_p, g_cum, g_owner = got[benefit]
        assert (g_status, g_owner) == (code_of(warehouse, key), owner), benefit
        assert g_t3 == pytest.approx(t3) if t3 is not None else g_t3 is None, benefit
        assert g_p == pytest.approx(p), benefit
        assert g_cum == pytest.approx(cum) if cum is not None else g_cum is None, benefit


def test_status_row_details(warehouse):
    detail = {
        r[0]: r[1:]
        for r in rows(
            warehouse,
            "SELECT benefit_id, as_of_date::VARCHAR, evaluation_month::VARCHAR, months_since_close, "
            "last_measured_on::VARCHAR, annual_planned_value, forecast_realization_at_target, plan_attainment "
            "FROM marts.fct_benefit_status",
        )
    }
    # closed 2025-06-20, as of 2026-04-15: 10 months; the April measurement (999) is after e
    assert detail["BA1"][:5] == ("2026-04-15", "2026-03-01", 10, "2026-03-31", 2400.0)
    # OLS over the last 6 months with data (index 4..9: .8, 1, 1.1, 1.2, 1.2, 1.2):
    # slope = 1.35 / 17.5 = .0771429, at the target (index 6): 1.0833333 - .5 * .0771429
    assert detail["BA1"][5] == pytest.approx(1.0447619, abs=1e-6)
    assert detail["BA1"][6] == pytest.approx(1.2)
    assert detail["BA2"][4] == 360.0  # TI 12 * .5 * 5 * 12
    assert detail["BB3"][4] == 720.0  # dis-benefit: 60 * 1 * 1 * 12 (SPEC formula, unsigned)
    assert detail["BB2"][2:4] == (None, "2025-11-30")
    assert detail["BB1"][6] is None  # P_e = 0: no attainment ratio
    assert detail["BB5"][5] is None  # no baseline, no forecast


def test_target_below_a_measured_baseline_is_listed_not_dropped(warehouse):
    assert rows(warehouse, "SELECT benefit_id, baseline_value, target_improvement, reason FROM marts.fct_invalid_benefits") == [
        ("BA5", 52.0, -8.0, "target_not_an_improvement")
    ]
    assert rows(warehouse, "SELECT count(*) FROM marts.dim_benefit WHERE benefit_id = 'BA5'") == [(0,)]
    assert rows(warehouse, "SELECT count(*) FROM marts.dim_benefit") == [(10,)]


def test_monthly_fact_covers_realization_to_evaluation_month_with_gaps_null(warehouse):
    # BA2: baseline window Jan-Mar 2025, realization Jun 2025 → from Jan 2025 (window start)
    # BA1: 12 months before realization (Jun 2024) to e (Mar 2026) = 22 months
    assert rows(warehouse, """
        SELECT benefit_id, min(period_month)::VARCHAR, max(period_month)::VARCHAR, count(*)
        FROM marts.fct_benefit_monthly WHERE benefit_id IN ('BA1', 'BA2') GROUP BY 1 ORDER BY 1
    """) == [("BA1", "2024-06-01", "2026-03-01", 22), ("BA2", "2024-06-01", "2026-03-01", 22)]
    # KB has no February 2025: nulls, not zeros; before realization no money
    assert rows(warehouse, """
        SELECT has_data, actual_value, improvement, realization_pct, monetized_value, cumulative_realized_value
        FROM marts.fct_benefit_monthly WHERE benefit_id = 'BA2' AND period_month = DATE '2025-02-01'
    """) == [(False, None, None, None, None, None)]
    # BB2 (linear, r = 2025-09, n = 12, B = 10, TI = 10): the planned value keeps ramping through
    # the months without data, PV = 10 + 10 * k / 12
    got = rows(warehouse, """
        SELECT period_month::VARCHAR, has_data, planned_value FROM marts.fct_benefit_monthly
        WHERE benefit_id = 'BB2' AND period_month >= DATE '2025-11-01' ORDER BY 1
    """)
    assert [(m, d) for m, d, _ in got] == [
        ("2025-11-01", True), ("2025-12-01", False), ("2026-01-01", False), ("2026-02-01", False), ("2026-03-01", False),
    ]
    assert [pv for _, _, pv in got] == pytest.approx([10 + 10 * k / 12 for k in (2, 3, 4, 5, 6)])
    # BB6: no money before realization (Oct 2025), then V = 2 * I
    assert rows(warehouse, """
        SELECT period_month::VARCHAR, monetized_value, cumulative_realized_value FROM marts.fct_benefit_monthly
        WHERE benefit_id = 'BB6' AND period_month BETWEEN DATE '2025-09-01' AND DATE '2025-12-01' ORDER BY 1
    """) == [("2025-09-01", None, None), ("2025-10-01", 0.0, 0.0), ("2025-11-01", 0.0, 0.0), ("2025-12-01", 20.0, 20.0)]


def test_portfolio_totals_at_the_evaluation_month(warehouse):
    got = rows(warehouse, """
        SELECT portfolio, currency, benefits_tracked, annual_planned_value, realized_value, cumulative_realized_value
        FROM marts.fct_portfolio_monthly WHERE period_month = DATE '2026-03-01' ORDER BY 1
    """)
    # Digital: BB1, BB2, BB3, BB5, BB6 tracked; annual 18000 + 720 + 2400;
    # March money BB1 -30, BB3 -74, BB6 +80; cumulative -90 - 311 + 200
    # Operations: BA1, BA2, BA4 tracked (BA3 past review); annual 2400 + 360;
    # March money 240 + 22.5; cumulative 1540 + 112.5
    assert got == [
        ("Digital", "GBP", 5, 21120.0, -24.0, -201.0),
        ("Operations", "GBP", 3, 2760.0, 262.5, 1652.5),
    ]


def test_moved_goalposts_are_kept_by_the_snapshot(warehouse, tmp_path):
    """A second run after BA1's target and BB6's target date changed: both count one rebaseline."""
    copy = tmp_path / "brw.duckdb"
    shutil.copy(warehouse, copy)  # tables only, so the copy is a complete warehouse
    source = tmp_path / "source"
    shutil.copytree(PORTFOLIO, source)
    benefits = source / "benefits.csv"
    text = benefits.read_text()
    text = text.replace("BA1,PA,More invoices per FTE,cashable,false,KA,increase,100,,,120,", "BA1,PA,More invoices per FTE,cashable,false,KA,increase,100,,,130,")
    text = text.replace("100,,,200,2025-10-01,2026-01-31,linear", "100,,,200,2025-10-01,2026-06-30,linear")
    benefits.write_text(text)
    assert main(["run", "--source", str(source), "--warehouse", str(copy), "--as-of", AS_OF]) == 0
    got = dict(rows(copy, "SELECT benefit_id, times_rebaselined FROM marts.dim_benefit WHERE times_rebaselined > 0"))
    assert got == {"BA1": 1, "BB6": 1}
    assert rows(copy, "SELECT count(*) FROM marts.dim_benefit WHERE last_rebaselined_at IS NULL") == [(8,)]
    history = rows(copy, """
        SELECT version_number, target_value, is_current FROM marts.fct_benefit_versions
        WHERE benefit_id = 'BA1' ORDER BY valid_from
    """)
    assert history == [(1, 120.0, False), (2, 130.0, True)]
    # the new target is what the status uses now: TI = 30, T3 = 24 / 30
    assert rows(copy, "SELECT round(trailing_realization_pct, 6) FROM marts.fct_benefit_status WHERE benefit_id = 'BA1'") == [(0.8,)]


def test_run_summary_lists_statuses_and_portfolio_values(warehouse, capsys):
    from pipelines.cli.summaries import print_benefit_summary
    from pipelines.settings import Settings

    print_benefit_summary(Settings.resolve(warehouse=warehouse))
    out = capsys.readouterr().out
    assert "Benefits by status at March 2026 (evaluation month, 10 benefits):" in out
    # the vocabulary's labels, in board order (one benefit each; no benefit is within tolerance)
    board = ["off_track", "eroding", "stale", "exceeded", "at_risk", "on_track", "achieved", "not_started",
             "tracking_ended", "no_baseline"]
    assert "  " + ", ".join(f"{label} 1" for label in labels_of(warehouse, *board)) + "\n" in out
    months = threshold_text(warehouse, "stale_after_months")
    assert f"{label_of(warehouse, 'stale')} (no measurement for {months} months), by owner: Sam Stale 1" in out
    assert "1 benefit(s) with a target that is no improvement" in out
    assert "Operations" in out and "1,652 of" in out


# The pinned vocabulary: the statuses a board reads, worst first, as dbt_project.yml var
# benefit_statuses defines them. Renaming a status (its code or its label) or changing its
# colour is an edit there and here; the behaviour tests name statuses by key and follow
# (tests/vocabulary_helpers.py).
# key (SPEC rule name): (code stored in fct_benefit_status.status, label, colour, tone)
VOCABULARY = {
    "off_track": ("off_track", "Off track", "#cf222e", "red"),
    "eroding": ("eroding", "Eroding", "#e16f24", "amber"),
    "stale": ("stale", "Stale", "#8250df", "red"),
    "exceeded": ("exceeded", "Exceeded", "#a40e26", "amber"),
    "at_risk": ("at_risk", "At risk", "#d4a72c", "amber"),
    "on_track": ("on_track", "On track", "#2da44e", "green"),
    "achieved": ("achieved", "Achieved", "#1a7f37", "green"),
    "within_tolerance": ("within_tolerance", "Within tolerance", "#57ab5a", "green"),
    "not_started": ("not_started", "Not started", "#8c959f", "grey"),
    "tracking_ended": ("tracking_ended", "Tracking ended", "#6e7781", "grey"),
    "no_baseline": ("no_baseline", "No baseline", "#424a53", "grey"),
}


def test_the_status_vocabulary_is_one_table(warehouse):
    columns = ["status_key", "status", "status_label", "colour", "tone", "board_order", "needs_attention",
               "closure_attention", "flags_benefits_watermelon", "is_tracked"]
    vocabulary = [
        dict(zip(columns, row))
        for row in rows(warehouse, f"SELECT {', '.join(columns)} FROM marts.dim_benefit_status ORDER BY board_order")
    ]

    def keys(flag, value=True):
        return [v["status_key"] for v in vocabulary if v[flag] is value]

    words = {v["status_key"]: (v["status"], v["status_label"], v["colour"], v["tone"]) for v in vocabulary}
    assert words == VOCABULARY
    assert [v["status_key"] for v in vocabulary] == list(VOCABULARY)  # board order
    assert [v["board_order"] for v in vocabulary] == list(range(1, 12))
    assert len({v["status"] for v in vocabulary}) == len({v["status_label"] for v in vocabulary}) == 11
    assert keys("needs_attention") == ["off_track", "eroding", "stale", "exceeded"]
    assert keys("closure_attention") == ["off_track", "eroding", "exceeded"]
    assert keys("flags_benefits_watermelon") == ["off_track", "eroding", "stale"]  # SPEC section 6
    assert keys("is_tracked", False) == ["tracking_ended"]
    # every status a benefit has is in the vocabulary
    assert rows(warehouse, """
        SELECT count(*) FROM marts.fct_benefit_status s
        LEFT JOIN marts.dim_benefit_status v USING (status) WHERE v.status IS NULL""") == [(0,)]


# The pinned thresholds (dbt_project.yml vars, published by marts.dim_status_threshold): moving
# one is an edit there and here; tests that quote a threshold read it (tests/vocabulary_helpers.py).
THRESHOLDS = {
    "stale_after_months": 3, "disbenefit_exceeded_above": 1.1, "erosion_peak_min": 0.9, "erosion_drop": 0.15,
    "zero_plan_tolerance": -0.05, "on_track_attainment": 0.9, "at_risk_attainment": 0.7,
    "default_review_months": 24, "forecast_window_months": 6, "forecast_min_points": 3,
    "cpi_red_below": 0.85, "cpi_amber_below": 0.95, "spi_red_below": 0.85, "spi_amber_below": 0.95,
    "slippage_red_over_days": 60, "slippage_amber_over_days": 14, "mitigation_overdue_days": 30,
    "decision_overdue_days": 14,
    "freshness_days_daily": 3, "freshness_days_weekly": 10, "freshness_days_monthly": 40,
    # SPEC section 3: a month counts with a measurement in its last N days (monthly: any day)
    "complete_month_last_days_daily": 3, "complete_month_last_days_weekly": 7, "complete_month_last_days_monthly": 31,
}


def test_status_descriptions_quote_the_current_thresholds(warehouse):
    thresholds = dict(rows(warehouse, "SELECT threshold_name, threshold_value FROM marts.dim_status_threshold"))
    assert thresholds == THRESHOLDS
    assert rows(warehouse, "SELECT DISTINCT unit FROM marts.dim_status_threshold ORDER BY 1") == [
        ("days",), ("months",), ("ratio",)
    ]
    descriptions = dict(rows(warehouse, "SELECT status_key, status_description FROM marts.dim_benefit_status"))
    assert "above 1.1 (rule 5)" in descriptions["exceeded"]
    assert "at least 0.7 but below 0.9 (rule 9)" in descriptions["at_risk"]
    assert "{" not in "".join(descriptions.values())


def test_the_marts_explain_themselves_to_sql_users(warehouse):
    """dbt persist_docs: every public table and column carries its description as a comment."""
    assert rows(warehouse, """
        SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND coalesce(comment, '') = ''
    """) == []
    assert rows(warehouse, """
        SELECT table_name, column_name FROM duckdb_columns()
        WHERE schema_name = 'marts' AND coalesce(comment, '') = ''
    """) == []
    assert rows(warehouse, """
        SELECT comment FROM duckdb_columns()
        WHERE schema_name = 'marts' AND table_name = 'fct_benefit_status' AND column_name = 'status'
    """)[0][0].startswith("Objective status (SPEC section 4)")

