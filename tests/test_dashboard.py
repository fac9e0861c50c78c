"""The Streamlit app (AppTest) on the hand-worked portfolio: shown values checked against the
marts and against the numbers worked out in tests/test_benefit_marts.py."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP, fetch_all, open_page
from tests.vocabulary_helpers import labels_of

pytestmark = pytest.mark.slow


@pytest.fixture
def app(portfolio_warehouse, monkeypatch):
    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    return at


def marts(warehouse, sql):
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchone()
    finally:
        conn.close()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_headline_matches_the_marts(app, portfolio_warehouse):
    shown = metrics(app)
    planned, realized = marts(portfolio_warehouse, """
        SELECT sum(b.annual_planned_value), sum(s.cumulative_realized_value)
        FROM marts.fct_benefit_status s JOIN marts.dim_benefit b USING (benefit_id) WHERE b.currency = 'GBP'
    """)
    assert (planned, realized) == (23_880.0, 1_451.5)  # 2400 + 360 + 18000 + 720 + 2400; 1540 + 112.5 - 90 - 311 + 200
    # issue 14: the dis-benefit BB3 (720) is a cost: 18000 + 2400 + 2400 + 360 - 720 (tests/test_value_at_stake.py)
    assert shown["Net annual planned value"] == "£22k"
    assert shown["Realized to date"] == "£1,452"
    # value at stake of the attention benefits: BB6 3,680 + BB3 419 (BA4, BB2 non-financial)
    assert shown["Value at stake"] == "£4,099"
    assert shown["Benefits needing attention"] == "4 of 10"
    attention = app.dataframe[-1].value
    # each id links to its detail page (issue 14 click-through)
    assert list(attention["benefit_id"]) == [f"/benefit?benefit_id={b}" for b in ("BB6", "BA4", "BB2", "BB3")]
    assert attention["project_id"].str.startswith("/delivery-health?project_id=P").all()
    assert attention.set_index("benefit_id").loc["/benefit?benefit_id=BB2", "benefit_owner"] == "Sam Stale"
    # readers see the vocabulary's labels, worst status first (marts.dim_benefit_status board order)
    labels = marts(portfolio_warehouse, """SELECT list(status_label ORDER BY board_order)
        FROM marts.dim_benefit_status WHERE needs_attention""")[0]
    assert list(attention["status_label"]) == labels == labels_of(
        portfolio_warehouse, "off_track", "eroding", "stale", "exceeded"
    )


def test_portfolio_filter_applies_and_is_kept_across_pages(app):
    app.multiselect(key="f_portfolio").set_value(["Operations"]).run()
    assert metrics(app)["Benefits needing attention"] == "1 of 4"  # BA4 eroding of BA1-BA4
    open_page(app, "benefit")
    assert app.multiselect(key="f_portfolio").value == ["Operations"]
    assert all(option.startswith("BA") for option in app.selectbox(key="benefit_pick").options)


def test_benefit_detail_shows_the_hand_worked_numbers(app):
    open_page(app, "benefit")
    app.selectbox(key="benefit_pick").set_value("BA1").run()
    shown = metrics(app)
    assert shown["Trailing realization"] == "120%"
    assert shown["Planned by now"] == "100%"
    assert shown["Realized to date"] == "£1,540"
    assert shown["Forecast at target"] == "104%"  # 1.0447619
    monthly = app.dataframe[-1].value
    assert len(monthly) == 22 and monthly["period_month"].min().isoformat()[:10] == "2024-06-01"


def test_data_quality_page(app, portfolio_warehouse):
    open_page(app, "data-quality")
    shown = metrics(app)
    files, read = marts(portfolio_warehouse, "SELECT count(DISTINCT source_file), sum(rows_read) FROM audit.load_audit")
    assert shown["Source files"] == f"{files}" == "10"
    assert shown["Rows read"] == f"{read:,}"
    assert shown["Rows quarantined"] == "0"
    assert shown["Late KPIs"] == "1 of 7"  # KD: last measured 2025-11-30


def test_sql_console_refuses_a_write_and_runs_a_select(app):
    open_page(app, "sql")
    app.text_area(key="sql_text").set_value("DELETE FROM marts.dim_project").run()
    app.button(key="sql_run").click().run()
    assert app.error[0].value.startswith("Refused: the warehouse is read-only here: DELETE")
    app.text_area(key="sql_text").set_value("SELECT project_id FROM marts.dim_project ORDER BY 1").run()
    app.button(key="sql_run").click().run()
    assert app.success[0].value.startswith("2 rows")
    results = [d.value for d in app.dataframe if "project_id" in d.value.columns]
    assert list(results[0]["project_id"]) == ["PA", "PB"]


def test_every_page_says_run_the_pipeline_first_on_an_empty_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("BRW_WAREHOUSE", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for url in ("", "benefit", "after-closure", "delivery-health", "data-quality", "sql"):
        if url:
            open_page(at, url)
        assert not at.exception, url
        assert "run the pipeline first" in at.info[0].value, url


def test_trend_of_every_owner_is_the_portfolio_trend(portfolio_warehouse, monkeypatch):
    """Unfiltered, the trend is reporting.rpt_portfolio_month; with an owner filter it sums the
    chosen benefits' monthly history: choosing every owner gives the same figures."""
    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    from dashboards.queries import Filters
    from dashboards.queries import benefits as q

    owners = tuple(r[0] for r in fetch_all(portfolio_warehouse,
                                           "SELECT DISTINCT benefit_owner FROM reporting.rpt_benefit_board"))
    board = q.realization_trend(Filters(currency="GBP"))
    summed = q.realization_trend(Filters(owners=owners, currency="GBP"))
    assert len(board) == len(summed) > 0
    pd.testing.assert_frame_equal(board.reset_index(drop=True), summed.reset_index(drop=True), check_dtype=False)
    march = board[board["period_month"] == pd.Timestamp("2026-03-01")].set_index("portfolio")
    assert march.loc["Digital", "cumulative_realized_value"] == pytest.approx(-90 - 311 + 200)
