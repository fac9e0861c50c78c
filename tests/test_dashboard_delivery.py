"""The After closure and Delivery health pages on the hand-worked portfolio (AppTest).

The warehouse is built once per session by `brw run` over tests/data/portfolio as of 2026-04-15
(tests/conftest.py); the dashboard reads the read copy the run publishes. Values shown on the
pages are checked against SQL on the marts and against the hand-worked facts of
tests/test_delivery_health.py and tests/test_benefit_marts.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.views.delivery_health import RAG_COLOURS
from pipelines.formatting import money
from pipelines.read_copy import read_copy_path
from tests.conftest import APP
from tests.conftest import fetch_all as sql
from tests.conftest import open_page as switch_to
from tests.vocabulary_helpers import code_of, codes_of, label_of, labels_of, pb_red_reasons, threshold

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def read_copy(portfolio_warehouse) -> Path:
    copy = read_copy_path(portfolio_warehouse)
    assert copy.exists(), "brw run should publish the read copy next to the warehouse"
    return copy


@pytest.fixture
def app_env(portfolio_warehouse, read_copy, monkeypatch) -> Path:
    """The app reads the read copy; the tests read the warehouse it was copied from (same data:
    a second in-process connection to the copy itself would clash with the app's)."""
    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    return portfolio_warehouse


def open_page(url_path: str) -> AppTest:
    """Run the app once (st.navigation registers its pages), then open the page at url_path."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    switch_to(at, url_path)
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at: AppTest, column: str, also: str | None = None):
    """The one dataframe on the page that has these columns."""
    found = [d.value for d in at.dataframe if column in d.value.columns and (also is None or also in d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


# ------------------------------------------------------------------ after closure


def test_after_closure_shows_closed_projects_and_their_benefits(app_env):
    at = open_page("after-closure")
    assert at.title[0].value == "After closure"

    # headline metrics against the marts: PA is the one closed project; BA1, BA2, BA4 are still
    # tracked (BA3's review ended); BB2 is the one stale benefit; PA realized 1540 + 112.5
    (closed,) = sql(app_env, "SELECT count(*) FROM marts.dim_project WHERE stage = 'closed'")[0]
    (tracked,) = sql(app_env, """SELECT count(*) FROM marts.fct_benefit_status s JOIN marts.dim_project p USING (project_id)
        WHERE p.stage = 'closed' AND s.status <> ?""", [code_of(app_env, "tracking_ended")])[0]
    (stale,) = sql(app_env, "SELECT count(*) FROM marts.fct_benefit_status WHERE status = ?",
                   [code_of(app_env, "stale")])[0]
    (realized,) = sql(app_env, """SELECT sum(s.cumulative_realized_value) FROM marts.fct_benefit_status s
        JOIN marts.dim_project p USING (project_id) WHERE p.stage = 'closed' AND p.currency = 'GBP'""")[0]
    assert (closed, tracked, stale, realized) == (1, 3, 1, 1652.5)
    shown = metrics(at)
    assert shown["Closed projects"] == "1"
    assert shown["Their benefits still tracked"] == "3"
    assert shown["Stale benefits"] == "1"
    assert shown["Realized value after closure (GBP)"] == money(realized, "GBP", compact=True) == "£1,652"

    # closed projects table: PA closed 2025-06-20, 10 months before 2026-04-15
    projects = frame_with(at, "months_since_close", "still_tracked")
    assert projects["project_id"].tolist() == ["PA"]
    pa = projects.iloc[0]
    assert sql(app_env, "SELECT DISTINCT months_since_close FROM marts.fct_benefit_status WHERE project_id = 'PA'") == [(10,)]
    assert pa["months_since_close"] == 10
    assert (pa["benefits"], pa["still_tracked"], pa["needing_attention"]) == (4, 3, 1)
    by_status = dict(sql(app_env, "SELECT status, count(*) FROM marts.fct_benefit_status WHERE project_id = 'PA' GROUP BY 1"))
    closed_mix = ("eroding", "at_risk", "achieved", "tracking_ended")  # status keys, board order
    assert by_status == {code: 1 for code in codes_of(app_env, *closed_mix)}
    assert {s: pa[s] for s in by_status} == by_status  # a column per status code
    assert code_of(app_env, "off_track") not in projects.columns  # statuses no closed project has are left out
    # amounts as the board reads them (pipelines.formatting.money); the CSV keeps the numbers
    assert (pa["realized_to_date"], pa["annual_planned_value"]) == ("£1,652", "£2,760")  # 1540 + 112.5; 2400 + 360

    # readers see the mix in words, the vocabulary's labels in board order (the CSV keeps a count per code)
    assert pa["status_mix"] == " · ".join(f"1 {label}" for label in labels_of(app_env, *closed_mix))

    # the stacked bars: first the closed projects whose benefits need attention (PA: BA4 eroding), then,
    # in an expander, every closed project; one trace per status present, labelled, in board order and
    # the vocabulary's colours
    mix, every = [f for f in figures(at) if f["layout"].get("barmode") == "stack"]
    assert {y for t in mix["data"] for y in t["y"]} == {y for t in every["data"] for y in t["y"]} == {
        "PA Billing Automation"}
    assert at.subheader[0].value == "Closed projects whose benefits need attention"  # what needs attention first
    vocabulary = sql(app_env, """SELECT status_label, colour FROM marts.dim_benefit_status
        WHERE status_key IN ('achieved', 'at_risk', 'eroding', 'tracking_ended') ORDER BY board_order""")
    assert [label for label, _ in vocabulary] == labels_of(app_env, *closed_mix)
    assert [(t["name"], t["marker"]["color"]) for t in mix["data"]] == vocabulary

    # the review-meeting list: Sam Stale owns BB2 (PB), last measured 2025-11-30
    owners = frame_with(at, "stale_benefits")
    assert owners[["benefit_owner", "stale_benefits"]].values.tolist() == [["Sam Stale", 1]]
    stale_list = frame_with(at, "last_measured_on", "months_without_measurement")
    expected = sql(app_env, """SELECT benefit_owner, benefit_id, project_id, last_measured_on::VARCHAR
        FROM marts.fct_benefit_status WHERE status = ? ORDER BY 1, 2""", [code_of(app_env, "stale")])
    assert expected == [("Sam Stale", "BB2", "PB", "2025-11-30")]
    got = stale_list[["benefit_owner", "benefit_id", "project_id"]].values.tolist()
    assert got == [list(row[:3]) for row in expected]
    assert str(stale_list["last_measured_on"].iloc[0])[:10] == "2025-11-30"
    assert stale_list["months_without_measurement"].iloc[0] == 4  # Nov 2025 → evaluation month Mar 2026

    # other attention statuses after closure: only BA4 eroding (BB3 exceeded and BB6 off_track are on PB, open)
    attention = frame_with(at, "status_label", "months_since_close")
    assert attention[["benefit_id", "status", "status_label", "benefit_owner", "months_since_close"]
                     ].values.tolist() == [["BA4", code_of(app_env, "eroding"), label_of(app_env, "eroding"),
                                            "Eve Ellis", 10]]

    # every table has its CSV download
    assert len(at.get("download_button")) >= len(at.dataframe)


def test_after_closure_with_a_filter_that_has_no_closed_project(app_env):
    at = open_page("after-closure")
    at.multiselect(key="f_portfolio").set_value(["Digital"]).run()
    assert not at.exception
    assert metrics(at)["Closed projects"] == "0"
    assert "No closed project matches the filters." in texts(at, "info")
    assert "No benefits of closed projects match the filters." in texts(at, "info")
    # the stale list still names Sam Stale: BB2 belongs to Digital
    assert frame_with(at, "stale_benefits")["benefit_owner"].tolist() == ["Sam Stale"]


def test_after_closure_owner_filter(app_env):
    at = open_page("after-closure")
    at.multiselect(key="f_owner").set_value(["Eve Ellis"]).run()
    assert not at.exception
    projects = frame_with(at, "months_since_close", "still_tracked")
    assert projects[["project_id", "benefits", code_of(app_env, "eroding")]].values.tolist() == [["PA", 1, 1]]
    assert metrics(at)["Stale benefits"] == "0"
    assert any("No stale benefit" in s for s in texts(at, "success"))


# ------------------------------------------------------------------ delivery health


def test_delivery_health_names_the_watermelon_with_its_reasons(app_env):
    at = open_page("delivery-health")
    assert at.title[0].value == "Delivery health"

    shown = metrics(at)
    assert (shown["Projects"], shown["Derived red"], shown["Watermelons"], shown["Benefits watermelons"]) == (
        "2", "1", "1", "2"
    )
    assert shown["Margin leakage (GBP)"] == "£200k"

    # the board's first question: exactly PB, its reasons and for how long
    watermelons = frame_with(at, "watermelon_months", "derived_rag_reasons")
    expected = sql(app_env, """SELECT project_id, watermelon_months, derived_rag_reasons FROM marts.fct_project_health
        WHERE is_watermelon ORDER BY project_id""")
    assert watermelons[["project_id", "watermelon_months", "derived_rag_reasons"]].values.tolist() == [
        list(row) for row in expected
    ]
    assert watermelons["project_id"].tolist() == ["PB"]
    assert watermelons["watermelon_months"].iloc[0] == 2
    assert watermelons["derived_rag_reasons"].iloc[0] == pb_red_reasons(app_env)

    # reported x derived matrix: both projects reported green; PA derived green, PB red. Each cell shows
    # its count only (ids would spill over the cells); its projects are in the hover
    (matrix,) = [f for f in figures(at) if f["data"][0]["type"] == "heatmap"]
    cells = matrix["data"][0]
    assert cells["y"] == ["reported green", "reported amber", "reported red", "reported no report"]
    assert cells["z"] == [[1, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert sum(map(sum, cells["z"])) == sql(app_env, "SELECT count(*) FROM marts.fct_project_health")[0][0]
    assert cells["text"][0] == ["1", "0", "1"] and cells["customdata"][0][2] == "PB Digital Front Door"
    # beside it, the projects whose report is rosier than their measures: PB, reported green, derived red
    rosier = [d.value for d in at.dataframe if "reported_rag" in d.value.columns  # after the watermelons,
              and "watermelon_months" not in d.value.columns][0]                # before the CPI/SPI table
    assert rosier[["project_id", "reported_rag", "derived_rag"]].values.tolist() == [["PB", "Green", "Red"]]

    # benefits watermelons: flagged_benefit_list as in the mart
    benefits = frame_with(at, "flagged_benefit_list")
    assert dict(benefits[["project_id", "flagged_benefit_list"]].values.tolist()) == dict(sql(
        app_env, "SELECT project_id, flagged_benefit_list FROM marts.fct_project_health WHERE is_benefits_watermelon"
    )) == {"PA": f"BA4 {code_of(app_env, 'eroding')}",
           "PB": f"BB2 {code_of(app_env, 'stale')}, BB6 {code_of(app_env, 'off_track')}"}
    # readers see the statuses' labels (the codes stay in the CSV)
    assert dict(benefits[["project_id", "flagged_benefit_statuses"]].values.tolist()) == {
        "PA": f"BA4 {label_of(app_env, 'eroding')}",
        "PB": f"BB2 {label_of(app_env, 'stale')}, BB6 {label_of(app_env, 'off_track')}",
    }
    assert benefits.set_index("project_id").loc["PB", "owners"] == "Dan Doyle, Sam Stale"

    charts = figures(at)
    # CPI/SPI scatter: one point per project, coloured by derived RAG, reference lines at the red and
    # amber thresholds (0.85 and 0.95 today): CPI vertical, SPI horizontal
    (scatter,) = [f for f in charts if any(t.get("mode") == "markers+text" for t in f["data"])]
    points = {t["name"]: (t["text"], t["marker"]["color"]) for t in scatter["data"]}
    assert points == {
        "derived green": (["PA"], RAG_COLOURS["green"]),
        "derived red": (["PB"], RAG_COLOURS["red"]),
    }
    lines = {(s.get("x0"), s.get("y0")) for s in scatter["layout"]["shapes"]}
    for rag in ("red", "amber"):
        cpi, spi = threshold(app_env, f"cpi_{rag}_below"), threshold(app_env, f"spi_{rag}_below")
        assert any(x == cpi for x, _ in lines) and any(y == spi for _, y in lines)

    # margin leakage of the client project PB: 300k planned - 100k forecast, shown in GBP
    (leak_chart,) = [f for f in charts if "Planned minus forecast margin" in json.dumps(f["layout"].get("xaxis", {}))]
    assert leak_chart["data"][0]["text"] == ["£200,000"]
    leakage = frame_with(at, "margin_leakage")
    assert leakage[["project_id", "planned_margin", "forecast_margin", "margin_leakage"]].values.tolist() == [
        ["PB", "£300,000", "£100,000", "£200,000"]
    ]

    # RAID aging: PB 3 open items, oldest 73 days, 1 documented-not-mitigated, 1 overdue decision
    raid = frame_with(at, "oldest_open_item_days").set_index("project_id")
    assert raid.loc["PB", ["open_raid_items", "oldest_open_item_days", "documented_not_mitigated",
                           "overdue_decisions"]].tolist() == [3, 73, 1, 1]
    assert raid.loc["PA", "open_raid_items"] == 0

    # RAG over time, PB preselected (the current watermelon): two months reported green, derived red
    assert at.selectbox(key="dh_history_project").value == "PB"
    assert any("2 consecutive month(s)" in m for m in texts(at, "markdown"))
    history = frame_with(at, "watermelon_streak_months")
    assert len(history) == sql(app_env, "SELECT count(*) FROM marts.fct_project_health_monthly WHERE project_id = 'PB'")[0][0] == 13
    tail = history.tail(2)
    assert tail[["reported_rag", "derived_rag", "watermelon_streak_months"]].values.tolist() == [
        ["Green", "Red", 1], ["Green", "Red", 2]  # RAG codes as words
    ]
    (rag_lines,) = [f for f in charts if f["layout"].get("yaxis", {}).get("ticktext") == ["Green", "Amber", "Red"]]
    assert [t["name"] for t in rag_lines["data"]] == ["Derived RAG", "Reported RAG"]
    assert len(rag_lines["layout"]["shapes"]) == 2  # the two watermelon months shaded

    assert len(at.get("download_button")) >= len(at.dataframe)


def test_delivery_health_history_of_another_project(app_env):
    at = open_page("delivery-health")
    at.selectbox(key="dh_history_project").set_value("PA").run()
    assert not at.exception
    history = frame_with(at, "watermelon_streak_months")
    assert len(history) == 19 and not history["is_watermelon"].any()
    assert not any("consecutive month" in m for m in texts(at, "markdown"))


def test_portfolio_filter_removes_pb_from_the_delivery_page(app_env):
    at = open_page("delivery-health")
    at.multiselect(key="f_portfolio").set_value(["Operations"]).run()
    assert not at.exception
    shown = metrics(at)
    assert (shown["Projects"], shown["Derived red"], shown["Watermelons"]) == ("1", "0", "0")
    assert shown["Margin leakage (GBP)"] == "–"
    assert any("No watermelon" in s for s in texts(at, "success"))
    assert "No client project in GBP matches the filters." in texts(at, "info")
    for frame in at.dataframe:
        if "project_id" in frame.value.columns:
            assert "PB" not in frame.value["project_id"].tolist()
    assert frame_with(at, "flagged_benefit_list")["project_id"].tolist() == ["PA"]
    assert at.selectbox(key="dh_history_project").options == ["PA Billing Automation"]


def test_owner_filter_narrows_the_benefits_watermelons(app_env):
    at = open_page("delivery-health")
    at.multiselect(key="f_owner").set_value(["Sam Stale"]).run()
    assert not at.exception
    assert frame_with(at, "flagged_benefit_list")["project_id"].tolist() == ["PB"]
