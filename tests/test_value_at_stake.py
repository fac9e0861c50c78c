"""Value at stake, annual planned value with dis-benefits as costs, and one definition of the
portfolio totals for the dashboard, the board pack and the run summary (issue 14, part 2), on
the hand-worked portfolio (tests/data/portfolio, as of 2026-04-15: evaluation month March 2026).

BB6 (cashable, increase, baseline 100, target 200: TI 100, value 2 a unit, linear from 2025-10
to 2026-01, review until 2028-01): planned P x TI x 2 = 0 + 66.67 + 133.33 + 200 + 200 + 200 =
800 to March, realized 200 (T3 0.3): 600 short to date; April 2026 to January 2028 is 22 months
at P = 1: planned 22 x 200 = 4,400, at the current trend 22 x 0.3 x 200 = 1,320: 3,080 short;
3,680 at stake. BB3 (dis-benefit, TI 60, 1 a unit, so money is negative; linear 2025-10 to
2026-03, review until 2028-03): planned -(0 + 12 + 24 + 36 + 48 + 60) = -180, realized -311:
131 more cost than plan to date; 24 months ahead planned -1,440, at T3 1.2 -1,728: 288; 419 at
stake. Digital's value at stake 3,680 + 419 = 4,099 (BB2 stale but non-financial).
Annual planned value: Digital 18,000 (BB1) + 2,400 (BB6) benefits - 720 (BB3) dis-benefit =
19,680 net (the old headline added the dis-benefit: 21,120); Operations 2,400 + 360 = 2,760.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import fetch_all

pytestmark = pytest.mark.slow

NET = {"Digital": 19_680.0, "Operations": 2_760.0}


def test_value_at_stake_by_hand(portfolio_warehouse):
    rows = {r[0]: r[1:] for r in fetch_all(portfolio_warehouse, """
        SELECT benefit_id, round(shortfall_to_date, 6), round(shortfall_remaining, 6), round(value_at_stake, 6),
               value_at_stake_rank, round(value_at_stake_in_totals, 6)
        FROM reporting.rpt_benefit_board WHERE benefit_id IN ('BB6', 'BB3', 'BB1', 'BB2')""")}
    assert rows["BB6"] == (600.0, 3080.0, 3680.0, 1, 3680.0)
    assert rows["BB3"] == (131.0, 288.0, 419.0, 2, 419.0)
    # BB1 is on track: something short of plan, but not "at stake" (only attention benefits are)
    assert rows["BB1"][3:] == (None, None)
    assert rows["BB2"] == (None, None, None, None, None)  # stale, non-financial: no money
    totals = {r[0]: r[1:] for r in fetch_all(portfolio_warehouse, """
        SELECT portfolio, annual_planned_benefit, annual_planned_disbenefit, annual_planned_net,
               round(value_at_stake, 6), attention_benefits
        FROM reporting.rpt_portfolio_board""")}
    assert totals == {"Digital": (20_400.0, 720.0, 19_680.0, 4_099.0, 3), "Operations": (2_760.0, 0.0, 2_760.0, 0.0, 1)}


def test_portfolio_board_to_date_equals_the_portfolio_trend_now(portfolio_warehouse):
    """rpt_portfolio_board (summed per benefit) and rpt_portfolio_month (the monthly roll-up) agree."""
    assert fetch_all(portfolio_warehouse, """
        SELECT b.portfolio, round(b.cumulative_realized_value, 6), round(m.cumulative_realized_value, 6),
               round(b.cumulative_planned_value, 6), round(m.cumulative_planned_value, 6)
        FROM reporting.rpt_portfolio_board b
        JOIN reporting.rpt_portfolio_month m USING (portfolio, currency, is_reporting_total)
        WHERE m.is_evaluation_month AND NOT b.is_reporting_total ORDER BY 1""") == [
        ("Digital", -201.0, -201.0, 620.0, 620.0), ("Operations", 1652.5, 1652.5, 1407.8125, 1407.8125)]


def test_dashboard_pack_and_cli_show_the_same_annual_planned_net(portfolio_warehouse, monkeypatch, tmp_path):
    """One definition: the overview's headline, the board pack and `brw run`'s summary all show
    the net annual planned value 22,440 (19,680 + 2,760), dis-benefits subtracted."""
    from dashboards.queries import Filters
    from dashboards.queries import benefits as q
    from pipelines.board.pack import board_data, render_board_pack
    from pipelines.cli.summaries import print_benefit_summary
    from pipelines.settings import Settings

    total = sum(NET.values())
    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    head = q.headline(Filters(currency="GBP")).iloc[0]
    assert (head["annual_planned_benefit"], head["annual_planned_disbenefit"], head["annual_planned_net"]) == (
        23_160.0, 720.0, total)
    assert head["value_at_stake"] == pytest.approx(4_099.0)

    conn = duckdb.connect(str(portfolio_warehouse), read_only=True)
    try:
        data = board_data(conn, date(2026, 4, 15))
    finally:
        conn.close()
    [gbp] = data["headline"]
    assert gbp["annual_planned_net"] == total
    doc, _ = render_board_pack(data)
    assert "£22k" in doc.split('id="value"')[0]  # the executive summary's net card
    table = doc.split('<section id="value">')[1].split("</section>")[0]
    assert "£19,680" in table and "£2,760" in table and "£22,440" in table

    out = io.StringIO()
    print_benefit_summary(Settings.resolve(tmp_path, Path(portfolio_warehouse), "2026-04-15"), out)
    assert "GBP: net £22,440 a year (£23,160 benefits − £720 dis-benefits); £4,099 at stake" in out.getvalue()
