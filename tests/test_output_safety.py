"""Output a spreadsheet or a browser will trust (issue 11, items 8 and 9).

Source text (benefit names, owners, project names, portfolios, KPI names ...) is written by
whoever fills in the registers. It must reach every output as the text it is:

- CSV (alerts file, dashboard downloads): a text cell starting with =, +, -, @, tab or CR is a
  formula to a spreadsheet; it is written with a leading ' (OWASP), numbers stay numbers.
- HTML and Markdown (dashboard, board pack) and plotly's HTML subset (chart titles, labels,
  legend, hover text): no image, link, tag or style from the data is rendered.

A hostile copy of the hand-worked portfolio (tests/data/portfolio) is run once for the module.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from pipelines.board import (
    ALERT_COLUMNS, AlertsResult, render_board_pack, run_alerts, write_alerts_csv, write_board_pack,
)
from pipelines.vocabulary import Vocabulary
from tests.conftest import APP, PORTFOLIO, PORTFOLIO_AS_OF, open_page

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

IMG = "<img src=x onerror=alert(1)>"
MD_IMAGE = "![p](http://evil.example/p.png)"
LINK = '<a href="http://evil.example">click</a>'
BIG = '<span style="font-size:90px">BIG</span>'
MD_LINK = "[click](javascript:alert(1))"
HYPERLINK = '=HYPERLINK("http://evil.example","click")'

# what goes where in the hostile copy of tests/data/portfolio (file, key column, key, column, value)
HOSTILE_EDITS = [
    ("benefits.csv", "benefit_id", "BB2", "benefit_name", IMG),  # stale
    ("benefits.csv", "benefit_id", "BB2", "benefit_owner", HYPERLINK),
    ("benefits.csv", "benefit_id", "BB6", "benefit_name", MD_IMAGE),  # off_track
    ("benefits.csv", "benefit_id", "BB6", "benefit_owner", LINK),
    ("benefits.csv", "benefit_id", "BB3", "benefit_name", BIG),  # exceeded
    ("benefits.csv", "benefit_id", "BB3", "benefit_owner", "+1+1"),
    ("benefits.csv", "benefit_id", "BA4", "benefit_name", "@SUM(A1)"),  # eroding
    ("benefits.csv", "benefit_id", "BA4", "benefit_owner", "-2+3"),
    ("projects.csv", "project_id", "PA", "project_name", "=1+1"),  # closed
    ("projects.csv", "project_id", "PB", "project_name", f"{MD_LINK} <b>PB</b>"),  # watermelon
    ("projects.csv", "project_id", "PB", "portfolio", '<a href="http://evil.example/p">Digital</a>'),
    ("projects.csv", "project_id", "PB", "sponsor", BIG),
    ("kpi_definitions.csv", "kpi_id", "KG", "kpi_name", f"{IMG} $x$"),  # BB6's KPI
]
# raw text that must never reach a Markdown body as it is
RAW = [IMG, MD_IMAGE, LINK, BIG, MD_LINK, "<b>PB</b>", HYPERLINK, "http://evil", "<img", "<a href", "$x$"]
# ... nor a plotly string (plotly renders HTML tags and $LaTeX$, not Markdown: ![p](...) is text there)
PLOTLY_RAW = [IMG, LINK, BIG, "<b>PB</b>", "<img", "<a href", "<span style", "$x$"]


# ---------------------------------------------------------------------------------------------
# item 8: the alerts file


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def read_file(path: Path) -> str:
    with path.open(newline="", encoding="utf-8") as f:  # a CR inside a cell stays a CR
        return f.read()


HOSTILE_CELLS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tX", "\rX"]


def alert(i: int, name: str, **extra) -> dict:
    return {"kind": "off_track", "id": f"B{i}", "name": name, "owner": "Ann", "reason": "off_track: 10% vs 50%",
            "project_id": "P1", "portfolio": "Ops", **extra}


def test_alerts_csv_escapes_formula_cells_and_keeps_numbers(tmp_path):
    path = tmp_path / "alerts_2026-04-15.csv"
    alerts = [alert(i, name) for i, name in enumerate(HOSTILE_CELLS)]
    alerts.append(alert(9, "Plain name", owner="-2+3", project_id=-42, portfolio=-1.5))  # numbers
    write_alerts_csv(path, alerts)

    header, *rows = read_csv(read_file(path))
    assert header == ALERT_COLUMNS
    assert [r[2] for r in rows[:6]] == ["'" + c for c in HOSTILE_CELLS]
    assert rows[6][2:] == ["Plain name", "'-2+3", "off_track: 10% vs 50%", "-42", "-1.5"]
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES) and c not in ("-42", "-1.5")]


def test_alerts_csv_rewrite_keeps_earlier_rows_escaped_once(tmp_path):
    """The day's file is read back and rewritten by a later run: escaped text is not escaped
    again, a number stays a number, and a file written before escaping gets escaped."""
    path = tmp_path / "alerts_2026-04-15.csv"
    write_alerts_csv(path, [alert(1, "=1+1", project_id=-7)])
    write_alerts_csv(path, [alert(2, "@x")])
    rows = read_csv(read_file(path))[1:]
    assert [(r[2], r[5]) for r in rows] == [("'=1+1", "-7"), ("'@x", "P1")]

    legacy = tmp_path / "legacy.csv"
    legacy.write_text(",".join(ALERT_COLUMNS) + "\noff_track,B1,=1+1,Ann,why,-3,Ops\n", encoding="utf-8")
    write_alerts_csv(legacy, [])
    assert read_csv(read_file(legacy))[1] == ["off_track", "B1", "'=1+1", "Ann", "why", "-3", "Ops"]


def test_shared_writer_quotes_a_carriage_return_and_escapes_repeated_columns():
    """pipelines.safe_csv: a CR inside a cell must not split the row when read back (the csv module
    quotes only for its line terminator's characters); a repeated column name is still escaped."""
    import pandas as pd

    from pipelines.safe_csv import frame_to_csv, rows_to_csv

    frame = pd.DataFrame([["\rX", "a\rb", "=1", -2.5]], columns=["x", "y", "y", "n"])
    assert read_csv(frame_to_csv(frame)) == [["x", "y", "y", "n"], ["'\rX", "a\rb", "'=1", "-2.5"]]
    assert frame_to_csv(pd.DataFrame({"x": ["=1", "ok"], "n": [-1, 2]})) == "x,n\n'=1,-1\nok,2\n"
    text = rows_to_csv(["x", "n"], [{"x": "a\rb", "n": -1}, {"x": "+c", "n": 3}])
    assert read_csv(text) == [["x", "n"], ["a\rb", "-1"], ["'+c", "3"]]


def test_alerts_preview_markdown_shows_names_as_text():
    """The Dagster UI renders the alerts preview as Markdown."""
    result = AlertsResult(Path("x.csv"), [alert(1, MD_IMAGE, owner=LINK, reason="a | b\nc")], None)
    preview = result.markdown_preview()
    rendered = render_markdown(preview)
    assert tags(rendered) <= {"table", "thead", "tbody", "tr", "th", "td", "p"}
    assert not AUTOLINK_TEXT.search("".join(parse_html(rendered).text))
    assert MD_IMAGE in text_of(rendered) and LINK in text_of(rendered) and "a | b c" in text_of(rendered)


# ---------------------------------------------------------------------------------------------
# Markdown / HTML inspection helpers


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(doc: str) -> _Collector:
    collector = _Collector()
    collector.feed(doc)
    collector.close()
    return collector


def without_plotly_bundle(doc: str) -> str:
    """The board pack minus the inline plotly.js library (its code has HTML strings of its own);
    the figures' own scripts stay, their JSON's \\u003c, \\u002f ... decoded, so that a tag in a
    chart title is seen as the tag plotly would render."""
    doc = re.sub(r"<script[^>]*>(?:(?!</script>).){100000,}?</script>", "<script></script>", doc, flags=re.S)
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), doc)


def tags(doc: str) -> set[str]:
    return {t for t, _ in parse_html(doc).tags}


def text_of(doc: str) -> str:
    """The text a reader sees (the invisible word joiners that keep URL-like text plain dropped)."""
    return "".join(parse_html(doc).text).replace("\u2060", "")


# what GFM (Streamlit's markdown, the Dagster UI) turns into a link in *text*, escaped or not
AUTOLINK_TEXT = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)


def render_markdown(body: str) -> str:
    """CommonMark (+ tables and strikethrough) with raw HTML allowed, as st.markdown(unsafe_allow_html=True)."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(body)


def assert_markdown_is_inert(body: str, where: str) -> None:
    """No raw source text in the Markdown, and what it renders to has no tag from the data."""
    for raw in RAW:
        assert raw not in body, (where, raw, body)
    rendered = parse_html(render_markdown(body))
    assert not AUTOLINK_TEXT.search("".join(rendered.text)), (where, "URL-like text would be linked", body)
    for tag, attrs in rendered.tags:
        assert tag not in ("img", "a", "b", "script", "iframe"), (where, tag, body)
        if tag == "span":  # the status pill of Benefit detail: our style, never one from the data
            assert attrs.get("style", "").startswith("background:"), (where, attrs, body)
        assert not any("evil" in (v or "") or "90px" in (v or "") for v in attrs.values()), (where, attrs, body)


def walk(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from walk(child)


MARKDOWN_FIELDS = ("body", "label", "help")  # Markdown, Heading, Alert, Metric, Expander, Button ...


def markdown_strings(at) -> list[tuple[str, str]]:
    """(element type, text) of every element field Streamlit renders as Markdown."""
    out = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        kind = proto.DESCRIPTOR.name
        if kind in ("Arrow", "PlotlyChart", "Selectbox", "MultiSelect", "TextArea"):
            continue  # dataframes, charts and option lists are not Markdown (labels there are ours)
        for name in MARKDOWN_FIELDS:
            if name in proto.DESCRIPTOR.fields_by_name:
                value = getattr(proto, name)
                if isinstance(value, str) and value:
                    out.append((kind, value))
    return out


def plotly_strings(at) -> list[str]:
    def strings(v):
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    out = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR") and proto.DESCRIPTOR.name == "PlotlyChart":
            out += list(strings(json.loads(proto.spec)))
    return out


# ---------------------------------------------------------------------------------------------
# the hostile warehouse


def edit_csv(path: Path, key_column: str, key: str, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    hits = [r for r in rows if r[key_column] == key]
    assert len(hits) == 1, (path, key)
    hits[0][column] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory) -> Path:
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("hostile")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    for file, key_column, key, column, value in HOSTILE_EDITS:
        edit_csv(source / file, key_column, key, column, value)
    path = base / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(path), "--as-of", PORTFOLIO_AS_OF]) == 0
    conn = duckdb.connect(str(path), read_only=True)
    try:  # every hostile value went through as it is (none was quarantined)
        assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 0
        names = dict(conn.execute("SELECT benefit_id, benefit_name FROM marts.dim_benefit").fetchall())
        assert names["BB2"] == IMG and names["BB6"] == MD_IMAGE
    finally:
        conn.close()
    return path


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, bytes]]:
    """(file name, data) of every st.download_button the app draws."""
    seen: list[tuple[str, bytes]] = []
    original = streamlit.download_button

    def recording(label, data, file_name=None, *args, **kwargs):
        seen.append((file_name, data))
        return original(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    return seen


@pytest.fixture
def hostile_app(hostile_warehouse, monkeypatch, downloads):
    monkeypatch.setenv("BRW_WAREHOUSE", str(hostile_warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    return at


PAGES = ("", "benefit", "after-closure", "delivery-health", "data-quality")


@pytest.mark.slow
def test_dashboard_downloads_escape_formula_cells(hostile_app, downloads):
    for url in PAGES[1:]:
        open_page(hostile_app, url)
        assert not hostile_app.exception, url
    assert downloads, "no download button drawn"
    escaped, negative_numbers = set(), []
    for file_name, data in downloads:
        assert isinstance(data, bytes), file_name
        for row in read_csv(data.decode("utf-8"))[1:]:
            for cell in row:
                if cell.startswith("'"):
                    escaped.add(cell)
                elif cell.startswith("-"):
                    float(cell)  # a number, written as a number
                    negative_numbers.append(cell)
                else:
                    assert not cell.startswith(FORMULA_PREFIXES), (file_name, cell)
    # the attention list and the stale/after-closure tables carry the hostile names and owners
    assert {"'" + HYPERLINK, "'@SUM(A1)", "'-2+3", "'+1+1", "'=1+1"} <= escaped, escaped
    assert negative_numbers, "expected negative amounts (BB3's realized value) written as numbers"


@pytest.mark.slow
def test_benefit_detail_shows_hostile_names_as_text(hostile_app):
    open_page(hostile_app, "benefit")
    for benefit_id, name, owner in (("BB2", IMG, HYPERLINK), ("BB6", MD_IMAGE, LINK), ("BB3", BIG, "+1+1")):
        hostile_app.selectbox(key="benefit_pick").set_value(benefit_id).run()
        assert not hostile_app.exception
        [header] = [m for m in hostile_app.markdown if m.proto.allow_html]
        assert_markdown_is_inert(header.value, benefit_id)
        shown = text_of(render_markdown(header.value))
        assert name in shown and owner in shown, shown  # the names, as written, as text
        for kind, body in markdown_strings(hostile_app):
            assert_markdown_is_inert(body, f"{benefit_id} {kind}")
        charts = plotly_strings(hostile_app)
        for raw in PLOTLY_RAW:
            assert not [s for s in charts if raw in s], (benefit_id, raw)
        if benefit_id == "BB6":  # its KPI's name is the subplot title, as plotly text
            assert any("&lt;img src=x onerror=alert(1)&gt; &#36;x&#36;" in s for s in charts), charts


@pytest.mark.slow
def test_every_page_renders_source_text_inert(hostile_app):
    for url in PAGES:
        open_page(hostile_app, url)
        assert not hostile_app.exception, url
        if url == "delivery-health":  # PB, the watermelon, in the history section's sentence
            hostile_app.selectbox(key="dh_history_project").set_value("PB").run()
            sentence = [m.value for m in hostile_app.markdown if "watermelon for" in m.value]
            assert sentence and MD_LINK in text_of(render_markdown(sentence[0])), sentence
        for kind, body in markdown_strings(hostile_app):
            assert_markdown_is_inert(body, f"/{url} {kind}")
        charts = plotly_strings(hostile_app)
        for raw in PLOTLY_RAW:
            assert not [s for s in charts if raw in s], (url, raw, [s for s in charts if raw in s])
        if url == "":  # the overview: the hostile portfolio as plotly text: legend and tick labels
            assert any('&lt;a href="http://evil.example/p"&gt;Digital&lt;/a&gt;' in s for s in charts)
        if url == "delivery-health":
            assert any("[click](javascript:alert(1)) &lt;b&gt;PB&lt;/b&gt;" in s for s in charts)


# ---------------------------------------------------------------------------------------------
# item 9: the board pack; item 8 end to end: the alerts of the hostile run


@pytest.mark.slow
def test_board_pack_renders_hostile_text_as_text(hostile_warehouse, tmp_path):
    conn = duckdb.connect(str(hostile_warehouse), read_only=True)
    try:
        result = write_board_pack(conn, tmp_path, date.fromisoformat(PORTFOLIO_AS_OF))
    finally:
        conn.close()
    raw_doc = result.path.read_text(encoding="utf-8")
    doc = without_plotly_bundle(raw_doc)
    for raw in ("<img src=x", '<a href="http://evil', '<span style="font-size:90px"', "<b>PB</b>", "onerror=alert(1)>"):
        assert raw not in doc, raw  # (Markdown such as [click](javascript:...) is only text in HTML)
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc
    assert "&lt;span style=&quot;font-size:90px&quot;&gt;BIG&lt;/span&gt;" in doc
    assert "&lt;a href=&quot;http://evil.example&quot;&gt;click&lt;/a&gt;" in doc
    # the hostile portfolio is a panel title of the trend chart: escaped for plotly inside the figure's JSON too
    titles = [json.loads(t) for t in re.findall(r'\{"text":("(?:[^"\\]|\\.)*"),"showarrow"', raw_doc)]
    assert '<b>&lt;a href="http://evil.example/p"&gt;Digital&lt;/a&gt;</b> (GBP)' in titles
    # every tag in the document is one the template writes
    ours = {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "p", "nav", "a",
            "section", "div", "table", "thead", "tbody", "tr", "th", "td", "span", "small", "footer", "script"}
    found = parse_html(doc).tags
    assert {t for t, _ in found} <= ours
    assert all(a.get("href", "#").startswith("#") for t, a in found if t == "a")
    assert not [a for t, a in found if t == "span" and "style" in a]


@pytest.mark.slow
def test_alerts_of_the_hostile_run_are_escaped(hostile_warehouse, tmp_path):
    from pipelines.load import connect

    copy = tmp_path / "brw.duckdb"
    shutil.copy(hostile_warehouse, copy)
    conn = connect(copy)
    try:
        conn.execute("DROP TABLE IF EXISTS audit.alert_state")
        result = run_alerts(conn, tmp_path / "reports", date.fromisoformat(PORTFOLIO_AS_OF), "test-run")
    finally:
        conn.close()
    rows = {r["id"]: r for r in csv.DictReader(result.path.open(newline="", encoding="utf-8"))}
    assert rows["BB2"]["owner"] == "'" + HYPERLINK
    assert rows["BA4"]["name"] == "'@SUM(A1)" and rows["BA4"]["owner"] == "'-2+3"
    assert rows["BB3"]["owner"] == "'+1+1"
    assert rows["BB6"]["name"] == MD_IMAGE  # not a formula: as it is (CSV is not HTML)
    assert not [c for r in rows.values() for c in r.values() if c.startswith(FORMULA_PREFIXES)]


def test_render_board_pack_escapes_every_text_field():
    """render_board_pack on hand-made rows: every source field hostile (and the vocabulary's label
    and code too), nothing rendered."""
    evil = BIG + LINK + IMG
    vocabulary = Vocabulary.from_rows(
        [("stale", "stale", "Stale " + evil, 1, "#8250df", "red", True, False, True, True, evil),
         ("x" + evil, "other", evil, 2, "red;}body{x", "grey", False, False, False, True, evil)],
        [("disbenefit_exceeded_above", 1.1, "ratio")],
    )
    status = {"status": "stale", "status_label": "Stale " + evil, "status_tone": "red"}
    benefit = {
        **status, "benefit_id": "B1" + evil, "benefit_name": evil, "project_id": "P1" + evil, "project_name": evil,
        "portfolio": evil, "benefit_owner": evil, "trailing_realization_pct": 0.5, "planned_pct": 0.8,
        "last_measured_on": None, "months_since_close": 3, "cumulative_realized_value": -90.0, "currency": "GBP",
        "category": "cashable", "value_at_stake": 3.0,
    }
    project = {
        "project_id": "P1" + evil, "project_name": evil, "portfolio": evil, "sponsor": evil, "project_manager": evil,
        "actual_close_date": date(2026, 1, 1), "months_since_close": 3, "benefits": 1, "realized_to_date": -90.0,
        "currency": "GBP", "contract_value": 10.0, "reported_rag": "green", "derived_rag": "red",
        "derived_rag_reasons": evil, "watermelon_months": 2, "flagged_benefit_list": evil, "planned_margin": 1.0,
        "forecast_margin": 0.5, "margin_leakage": 0.5, "unbilled_approved_change_cost": 0.0,
    }
    month = {"portfolio": evil, "currency": "GBP", "benefits_in_review_window": 1, "annual_planned_benefit": 100.0,
             "annual_planned_disbenefit": 10.0, "annual_planned_net": 90.0, "value_at_stake": 5.0,
             "cumulative_realized_value": 1.0, "cumulative_planned_value": 2.0, "realized_share_of_plan": 0.5,
             "over_claimed_kpi_ids": "K1" + evil, "attention_benefits": 1, "benefits_without_rate": 0}
    at_stake = {**benefit, "value_at_stake_rank": 1, "shortfall_to_date": 1.0, "shortfall_remaining": 2.0,
                "value_at_stake": 3.0}
    change = {**benefit, "change_kind": "new_attention", "change_label": evil, "status_before_label": evil,
              "trailing_realization_pct_before": 0.9, "rebaselined_at": None, "value_at_stake": 3.0}
    over_claimed = {"kpi_id": "K1" + evil, "kpi_name": evil, "claiming_benefit_ids": evil, "benefit_owners": evil,
                    "portfolios": evil, "max_claimed_attribution_pct": 1.5, "first_overlap_month": date(2026, 1, 1),
                    "last_overlap_month": date(2026, 3, 1), "over_claimed_value": 4.0, "currency": "GBP"}
    data = {
        "evaluation_month": date(2026, 3, 1), "as_of_date": date(2026, 4, 15), "vocabulary": vocabulary,
        "stale_codes": ["stale"], "status_counts": [{**status, "benefits": 1, "share": 1.0}],
        "headline": [month], "at_stake": [at_stake], "changes": [change], "over_claimed": [over_claimed],
        "portfolio_value": [{**month, "is_total": False}, {**month, "portfolio": None, "is_total": True}],
        "trend": [{**month, "period_month": date(2026, 3, 1)}],
        "attention": [benefit], "closed_projects": [project], "closed_status_mix": [{**status, "project_id": "P1" + evil,
                                                                                   "benefits": 1}],
        "closed_benefits": [benefit], "stale_owners": [{"benefit_owner": evil, "benefits": 1}],
        "watermelons": [project], "benefits_watermelons": [project],
        "rag_matrix": [{"reported_rag": "green", "green": 0, "amber": 0, "red": 1}], "margin": [project],
        "checkins": [{**benefit, "owner_confidence": "on_track", "owner_confidence_label": evil,
                      "owner_commentary": evil + "\n" + evil, "owner_checked_in_by": evil,
                      "owner_checked_in_at": datetime(2026, 4, 2, 9, 0), "owner_disagrees": True,
                      "owner_disagreement": "owner_more_optimistic", "owner_disagreement_note": evil}],
    }
    doc, figures = render_board_pack(data)
    assert figures == 1
    doc = without_plotly_bundle(doc)
    assert "body{x" not in doc  # a colour that is no hex code, a code that is no CSS name: not in the style
    for raw in (BIG, LINK, IMG, "<img", "<a href=\"http", "<span style"):
        assert raw not in doc, raw
    found = parse_html(doc).tags
    assert not [t for t, _ in found if t in ("img", "b", "iframe")]
    assert all(a.get("href", "#").startswith("#") for t, a in found if t == "a")
