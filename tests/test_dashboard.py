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
    # the target month (Dec 2025) is before the evaluation month (Mar 2026): what was measured then,
    # not the forecast (1.0447619) drawn back into the past. T3(Dec) = (.8 + 1.0 + 1.1) / 3 = .9667
    assert "Forecast at target" not in shown
    assert shown["At target (Dec 2025)"] == "97%"
    monthly = app.dataframe[-1].value
    assert len(monthly) == 22 and monthly["period_month"].min().isoformat()[:10] == "2024-06-01"
    # BA2's target (Jun 2026) is ahead: the forecast (OLS over its last months, fct_benefit_status)
    app.selectbox(key="benefit_pick").set_value("BA2").run()
    assert metrics(app)["Forecast at target"] == "100%"


def test_benefit_detail_and_delivery_health_open_on_the_linked_item(portfolio_warehouse, monkeypatch):
    """Links from the overview and the board pack: /benefit?benefit_id=… and /delivery-health?project_id=…"""
    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["benefit_id"] = "BB6"
    at.run()
    open_page(at, "benefit")
    assert at.selectbox(key="benefit_pick").value == "BB6"
    assert at.markdown[0].value.startswith("### Self")  # BB6 Self-service share
    at.selectbox(key="benefit_pick").set_value("BA2").run()  # the reader's own pick wins afterwards
    assert at.selectbox(key="benefit_pick").value == "BA2" and at.query_params["benefit_id"] == "BA2"

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["project_id"] = "PB"
    at.run()
    open_page(at, "delivery-health")
    assert at.selectbox(key="dh_history_project").value == "PB"
    assert at.subheader[0].value == "Reported vs derived RAG over time"  # the linked project's history first


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


def test_tables_show_dates_without_a_time_and_headings_in_words():
    """dashboards.views.common.default_column_config, for columns a page does not configure."""
    from dashboards.views.common import default_column_config

    frame = pd.DataFrame({
        "last_measured_on": pd.to_datetime(["2026-03-31", None]),
        "loaded_at": pd.to_datetime(["2026-04-15 09:30", "2026-04-15 00:00"]),
        "benefit_name": ["a", "b"], "kpi_id": ["K1", "K2"], "trailing_realization_pct": [0.5, 0.25],
    })
    config = default_column_config(frame, {"benefit_name": "Benefit"})
    assert (config["last_measured_on"]["type_config"]["type"], config["last_measured_on"]["type_config"]["format"],
            config["last_measured_on"]["label"]) == ("date", "D MMM YYYY", "Last measured on")
    assert (config["loaded_at"]["type_config"]["type"], config["loaded_at"]["type_config"]["format"]) == (
        "datetime", "D MMM YYYY HH:mm")  # a time of day: shown
    assert (config["benefit_name"], config["kpi_id"], config["trailing_realization_pct"]) == (
        "Benefit", "KPI id", "Trailing realization %")
    # the SQL console keeps the query's names; dates still lose the 00:00:00
    raw = default_column_config(frame, None, headings=False)
    assert "benefit_name" not in raw and raw["last_measured_on"]["label"] == "last_measured_on"


def test_the_unit_is_named_once_and_event_labels_do_not_overprint():
    from dashboards.views.benefit_detail import LABEL_CHAR_PX, _events, _kpi_title, _label_rows

    def kpi(name, unit):
        return pd.Series({"kpi_name": name, "unit": unit})

    assert _kpi_title(kpi("Average handling time", "minutes")) == "Average handling time (minutes)"
    assert _kpi_title(kpi("Average handling time (minutes)", "minutes")) == "Average handling time (minutes)"
    assert _kpi_title(kpi("First contact resolution (%) (%)", "%")) == "First contact resolution (%)"
    # the demo's BEN-0001: realization starts on the close date, the target a year later; 22 months shown
    b = pd.Series({"realization_start": pd.Timestamp("2024-03-08"), "actual_close_date": pd.Timestamp("2024-03-08"),
                   "target_date": pd.Timestamp("2025-03-31")})
    events = _events(b)
    assert [label for _, label in events] == ["project closed · realization starts", "target date"]
    months = pd.DataFrame({"period_month": pd.date_range("2023-09-01", "2025-06-01", freq="MS")})
    # both fit one row: "target date", in the last fifth of the axis, reads to the left of its line
    assert _label_rows(months, pd.Timestamp("2025-03-01"), events) == [(0, False), (0, True)]
    # the portfolio's BA1: closed 2025-06-20 (realization starts then), target 2025-12-31, Jun 2024 to
    # Mar 2026 shown: 35 characters (about 270 px) from Jun 2025 reach past Dec 2025: one row up
    b = pd.Series({"realization_start": pd.Timestamp("2025-06-20"), "actual_close_date": pd.Timestamp("2025-06-20"),
                   "target_date": pd.Timestamp("2025-12-31")})
    months = pd.DataFrame({"period_month": pd.date_range("2024-06-01", "2026-03-01", freq="MS")})
    assert LABEL_CHAR_PX * len(_events(b)[0][1]) > 250
    assert _label_rows(months, pd.Timestamp("2025-12-01"), _events(b)) == [(0, False), (1, True)]
