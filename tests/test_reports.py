"""Reports: new benefit alerts (CSV + audit.alert_state) and the offline board pack (HTML).

Runs the two assets through Dagster on a private copy of the hand-worked portfolio warehouse
(tests/data/portfolio as of 2026-04-15, evaluation month 2026-03; the facts are the ones of
test_benefit_marts.py and test_delivery_health.py). Both read the reporting layer
(reporting.rpt_*): a change of the warehouse between runs is written there, as dbt would.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pytest
from dagster import materialize

from pipelines.defs.reports.assets import benefit_alerts, board_pack
from pipelines.load import connect
from pipelines.board import ALERT_COLUMNS
from pipelines.defs.resources import WarehouseResource
from pipelines.formatting import money
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF
from tests.conftest import fetch_all as rows
from tests.vocabulary_helpers import code_of, labels_of, pb_red_reasons, status_words, threshold

pytestmark = pytest.mark.slow


@pytest.fixture
def resource(portfolio_warehouse: Path, tmp_path: Path) -> WarehouseResource:
    copy = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, copy)  # tables only: the copy is a complete warehouse
    # `brw run` already ran the alerts once on the fixture warehouse: start from no history
    execute_sql(copy, "DROP TABLE IF EXISTS audit.alert_state")
    return WarehouseResource(
        path=str(copy), source_dir=str(PORTFOLIO), as_of=PORTFOLIO_AS_OF, reports_dir=str(tmp_path / "reports")
    )


def run(resource: WarehouseResource, assets=(benefit_alerts, board_pack)):
    """Materialize the report assets; the marts they depend on are outside the selection."""
    result = materialize(list(assets), resources={"warehouse": resource})
    assert result.success
    return result


def metadata(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["reports", key]]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def alerts_csv(resource: WarehouseResource) -> list[dict]:
    path = Path(resource.reports_dir) / f"alerts_{PORTFOLIO_AS_OF}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ALERT_COLUMNS
        return list(reader)


def execute_sql(path, *statements: str) -> None:
    conn = connect(path)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def execute(resource: WarehouseResource, *statements: str) -> None:
    conn = connect(resource.path)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def test_alerts_list_what_is_new_since_the_previous_run(resource, portfolio_warehouse):
    # statuses by their key: an alert's kind and its reason start with the code the warehouse stores
    off_track, eroding, stale, exceeded = (
        code_of(portfolio_warehouse, key) for key in ("off_track", "eroding", "stale", "exceeded")
    )
    # --- first run: every benefit in an attention status and the watermelon are new
    first = run(resource, [benefit_alerts])
    got = alerts_csv(resource)
    assert [(a["kind"], a["id"], a["owner"], a["project_id"], a["portfolio"]) for a in got] == [
        (off_track, "BB6", "Dan Doyle", "PB", "Digital"),
        (eroding, "BA4", "Eve Ellis", "PA", "Operations"),
        (stale, "BB2", "Sam Stale", "PB", "Digital"),
        (exceeded, "BB3", "Ivy Irwin", "PB", "Digital"),
        ("watermelon", "PB", "Cat Chen / Dan Doyle", "PB", "Digital"),  # sponsor / project manager
    ]
    reasons = {a["id"]: a["reason"] for a in got}
    assert reasons["BB6"] == f"{off_track}: trailing realization 30% vs 100% planned"
    assert reasons["BA4"] == f"{eroding}: trailing realization 70%, down from a peak of 100%"
    assert reasons["BB2"] == f"{stale}: no measurement since 2025-11-30"
    tolerance = threshold(portfolio_warehouse, "disbenefit_exceeded_above")
    assert reasons["BB3"] == f"{exceeded}: dis-benefit at 120% of its planned level (tolerance {tolerance:.0%})"
    assert reasons["PB"] == (
        f"watermelon: {pb_red_reasons(portfolio_warehouse)} (reported green, derived red for 2 month(s))"
    )
    assert {a["id"]: a["name"] for a in got}["BB2"] == "Portal adoption"
    meta = metadata(first, "benefit_alerts")
    new = (meta["new_alerts"], meta[f"new_{off_track}"], meta["new_watermelon"], meta["new_rebaselined"])
    assert new == (5, 1, 1, 0)
    assert meta["previous_alerts_run"] == "none (first run)"
    assert meta["path"].endswith(f"alerts_{PORTFOLIO_AS_OF}.csv")
    assert f"| {off_track} | BB6 | Self-service share | Dan Doyle |" in meta["preview"]
    # the state of every benefit and project is recorded, plus one marker row for the run
    assert rows(Path(resource.path), """
        SELECT object_kind, count(*), count(DISTINCT run_id) FROM audit.alert_state GROUP BY 1 ORDER BY 1
    """) == [("benefit", 10, 1), ("project", 2, 1), ("run", 1, 1)]
    assert rows(Path(resource.path), """
        SELECT state, as_of_date::VARCHAR FROM audit.alert_state WHERE object_kind = 'benefit' AND object_id = 'BB2'
    """) == [(stale, PORTFOLIO_AS_OF)]

    # --- second run, nothing changed: nothing new (the day's file keeps the first run's alerts)
    second = run(resource, [benefit_alerts])
    assert alerts_csv(resource) == got
    meta = metadata(second, "benefit_alerts")
    assert meta["new_alerts"] == 0 and meta["preview"] == "_No new alerts._"
    assert meta["previous_alerts_run"] == first.run_id

    # --- the warehouse changes: BA2 falls off track (as BB6 is), BA1's target moves 120 → 130
    execute(
        resource,
        """UPDATE reporting.rpt_board_state AS ba2
           SET state = bb6.state, alert_kind = bb6.alert_kind, alert_order = bb6.alert_order
           FROM reporting.rpt_board_state AS bb6
           WHERE bb6.object_id = 'BB6' AND ba2.object_kind = 'benefit' AND ba2.object_id = 'BA2'""",
        "CREATE TEMP TABLE t AS SELECT now()::TIMESTAMP AS ts",
        """INSERT INTO marts.fct_benefit_versions
           SELECT * REPLACE (version_number + 1 AS version_number, (SELECT ts FROM t) AS valid_from,
                             130.0 AS target_value)
           FROM marts.fct_benefit_versions WHERE benefit_id = 'BA1' AND is_current""",
        """UPDATE marts.fct_benefit_versions SET valid_to = (SELECT ts FROM t), is_current = false
           WHERE benefit_id = 'BA1' AND is_current AND target_value = 120""",
        """UPDATE reporting.rpt_benefit_board SET times_rebaselined = 1, last_rebaselined_at = (SELECT ts FROM t)
           WHERE benefit_id = 'BA1'""",
    )
    third = run(resource, [benefit_alerts])
    assert alerts_csv(resource)[:5] == got
    assert [(a["kind"], a["id"], a["owner"], a["reason"]) for a in alerts_csv(resource)[5:]] == [
        (off_track, "BA2", "Bob Baker", f"{off_track}: trailing realization 67% vs 84% planned"),
        ("rebaselined", "BA1", "Ann Archer", "rebaselined: target 120 → 130"),
    ]
    meta = metadata(third, "benefit_alerts")
    assert (meta["new_alerts"], meta[f"new_{off_track}"], meta["new_rebaselined"]) == (2, 1, 1)
    assert meta["previous_alerts_run"] == second.run_id
    assert rows(Path(resource.path), "SELECT count(*) FROM audit.alert_state WHERE object_kind = 'run'") == [(3,)]

    # --- and a fourth run has nothing new again (the rebaseline was before the third run)
    fourth = run(resource, [benefit_alerts])
    assert metadata(fourth, "benefit_alerts")["new_alerts"] == 0
    assert len(alerts_csv(resource)) == 7


def _row(doc: str, *needles: str) -> str:
    """The one table row that contains every needle."""
    found = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", doc, flags=re.DOTALL) if all(n in r for n in needles)]
    assert len(found) == 1, (needles, found)
    return found[0]


def _money_cells(fragment: str) -> list[tuple[str, str]]:
    return re.findall(r'<td class="num money" data-currency="([^"]*)"[^>]*>([^<]*)</td>', fragment)


def test_board_pack_tells_the_planted_stories_offline(resource, portfolio_warehouse):
    off_track, eroding, stale, exceeded = (
        status_words(portfolio_warehouse, key) for key in ("off_track", "eroding", "stale", "exceeded")
    )
    result = run(resource)
    path = Path(resource.reports_dir) / "board_pack_2026-03.html"
    assert path.exists()
    meta = metadata(result, "board_pack")
    assert meta["path"] == str(path) and meta["size_bytes"] == path.stat().st_size
    assert (meta["evaluation_month"], meta["charts"]) == ("2026-03-01", 1)  # one small-multiples trend chart
    doc = path.read_text(encoding="utf-8")
    assert "<title>Portfolio board pack — March 2026</title>" in doc

    # offline: the plotly.js bundle inline exactly once, one chart (a panel per portfolio), nothing fetched
    assert doc.count("* plotly.js v") == 1 and doc.count("window.PlotlyConfig") == 1
    assert doc.count('class="plotly-graph-div"') == 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", doc)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", doc)
    assert not re.search(r"<(img|iframe)[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", doc)
    assert "@import" not in doc and "cdn.plot.ly/plotly" not in doc.split("<script>/**")[0]

    # the executive summary first: value at stake (BB6 3,680 + BB3 419, tests/test_value_at_stake.py), net
    # annual planned value (dis-benefit BB3 a cost), what changed, watermelons; then value per portfolio
    summary = doc.split('<section id="summary"')[1].split("</section>")[0]
    assert doc.index('<section id="summary"') < doc.index('<section id="value">') < doc.index('<section id="trend">')
    assert "£4,099" in summary and "£22k" in summary
    ranked = summary.split("<h3>Money at stake, largest first</h3>")[1].split("<h3>")[0]
    assert ranked.index("<td class=\"id\">BB6</td>") < ranked.index("<td class=\"id\">BB3</td>")
    assert _money_cells(_row(ranked, '<td class="id">BB6</td>')) == [("GBP", "£600"), ("GBP", "£3,080"), ("GBP", "£3,680")]
    assert "<h3>What changed since last month</h3>" in summary
    assert '<td class="id">PB</td>' in summary.split("<h3>Watermelon projects")[1]
    # then statuses as the vocabulary labels them (marts.dim_benefit_status), coloured by their tone
    assert doc.index("<h2>Value at March 2026 per portfolio</h2>") < doc.index("<h3>Benefits by status (10 valid benefits)</h3>")
    status_cell = f'<span class="status s-{off_track.code} tone-{off_track.tone}" title="{off_track.code}">'
    statuses = doc.split("<h3>Benefits by status")[1]
    assert f"{status_cell}{off_track.label}</span>" in _row(statuses, status_cell, '<td class="num">1</td>')
    assert f"needs attention ({off_track.label}, {eroding.label}, {stale.label}, {exceeded.label})" in doc
    # per portfolio: annual benefits, dis-benefits (a cost), net, realized and planned to date, value at stake
    assert _money_cells(_row(doc, "<td>Digital</td>", "<td>GBP</td>")) == [
        ("GBP", "£20,400"), ("GBP", "£720"), ("GBP", "£19,680"), ("GBP", "−£201"), ("GBP", "£620"), ("GBP", "£4,099")]
    assert _money_cells(_row(doc, "<td>Operations</td>", "<td>GBP</td>")) == [
        ("GBP", "£2,760"), ("GBP", "£0"), ("GBP", "£2,760"), ("GBP", "£1,652"), ("GBP", "£1,408"), ("GBP", "£0")]
    assert "117%" in _row(doc, "<td>Operations</td>", "<td>GBP</td>")

    # attention list: BA4 eroding, BB2 stale with its owner, BB6 off track, BB3 exceeded
    attention = doc.split('<section id="attention">')[1].split("</section>")[0]
    ba4 = _row(attention, '<td class="id">BA4</td>')
    assert f"s-{eroding.code} " in ba4 and "Eve Ellis" in ba4
    bb2 = _row(attention, '<td class="id">BB2</td>')
    assert f"s-{stale.code} " in bb2 and "<td>Sam Stale</td>" in bb2 and "2025-11-30" in bb2
    assert f"s-{off_track.code} " in _row(attention, '<td class="id">BB6</td>')
    assert f"s-{exceeded.code} " in _row(attention, '<td class="id">BB3</td>')
    assert len(re.findall(r"<tr data-project", attention)) == 4

    # after closure: PA closed 2025-06-20, 10 months, realized 1,540 + 112.5
    closed = _row(doc, '<td class="id">PA</td>', "2025-06-20")
    closed_mix = labels_of(portfolio_warehouse, "eroding", "at_risk", "achieved", "tracking_ended")
    mix = ", ".join(f"{label} 1" for label in closed_mix)
    assert '<td class="num">10</td>' in closed and mix in closed
    assert _money_cells(closed) == [("GBP", "£1,652")]
    assert _row(doc, "<td>Sam Stale</td>", '<td class="num">1</td>')  # stale benefits by owner

    # delivery health: PB watermelon for 2 months with its reasons, margin leakage 200,000 GBP
    delivery = doc.split('<section id="delivery">')[1]
    watermelon = _row(delivery, '<td class="id">PB</td>', "rag-red")
    assert html.escape(pb_red_reasons(portfolio_warehouse)) in watermelon
    assert '<td class="num">2</td>' in watermelon
    leakage = _row(delivery, '<td class="id">PB</td>', "£1,200,000")
    assert _money_cells(leakage) == [
        ("GBP", "£1,200,000"), ("GBP", "£300,000"), ("GBP", "£100,000"), ("GBP", "£200,000"), ("GBP", "£80,000"),
    ]
    # reported green: 1 derived green (PA), 0 amber, 1 red (PB)
    assert (
        '<tr><td><span class="rag rag-green">green</span></td>'
        '<td class="num">1</td><td class="num">0</td><td class="num">1</td></tr>'
    ) in delivery
    flagged = f"BB2 {stale.code}, BB6 {off_track.code}"
    assert flagged in _row(delivery, '<td class="id">PB</td>', flagged)

    # every money figure of PB (and of this all-GBP portfolio) is in pounds
    pb_cells = [c for r in re.findall(r'<tr data-project="PB">.*?</tr>', doc, flags=re.DOTALL) for c in _money_cells(r)]
    assert [text for _, text in pb_cells] == [
        "£3,680", "£419",  # value at stake of BB6 and BB3 in the attention list (BB2 is non-financial)
        "£1,200,000", "£300,000", "£100,000", "£200,000", "£80,000",  # contract, margins, leakage, unbilled
    ]
    assert {cur for cur, _ in pb_cells} == {"GBP"}
    all_cells = _money_cells(doc)
    assert {cur for cur, _ in all_cells} == {"GBP"}
    assert all(re.fullmatch(r"−?£\d{1,3}(,\d{3})*|–", text) for _, text in all_cells), all_cells


def test_board_pack_escapes_text_from_data(resource):
    execute(
        resource,
        """UPDATE reporting.rpt_project_board SET project_name = '<script>alert(1)</script> & Co',
           sponsor = 'O''Brien "CC"' WHERE project_id = 'PB'""",
        "UPDATE reporting.rpt_benefit_board SET benefit_name = '<b>bold</b>' WHERE benefit_id = 'BB2'",
    )
    run(resource, [board_pack])
    doc = (Path(resource.reports_dir) / "board_pack_2026-03.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in doc and "<b>bold</b>" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in doc and "&lt;b&gt;bold&lt;/b&gt;" in doc
    assert "O&#x27;Brien &quot;CC&quot;" in doc


def test_money_format():
    """The board pack's money: pipelines.formatting.money in full (not compact), a typographic minus."""
    assert money(200_000, "GBP") == "£200,000"
    assert money(-1234.4, "EUR") == "−€1,234"
    assert money(-0.4, "USD") == "$0"
    assert money(5_000, "CHF") == "5,000 CHF"
    assert money(None, "GBP") == "–"
