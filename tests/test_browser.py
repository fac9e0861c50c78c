"""A real browser (Debian chromium driven by Playwright) reads every page of `brw dashboard` and the
board pack at 1400 px, as a board member's laptop shows them.

Full-page screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts), page render times
to test-artifacts/page_render_seconds.json. Checked on the rendered page, by element bounding boxes:
the key tables fit the page width (no horizontal scrolling), with headings in words, percentages as
percentages, dates without a time of day and statuses as labels; the RAG matrix's labels stay in
their cells and overprint nothing; chart annotations do not overprint one another; /overview opens.

Never downloads a browser: it uses /usr/bin/chromium, which .ci/run installs with apt-get. Without a
working chromium or without Playwright the test is skipped, before any warehouse is built. One
dashboard server on the session's portfolio warehouse.
"""

from __future__ import annotations

import importlib.util  # noqa: F401 (read by the skipif condition below)
import json
import os
import re
import subprocess
import time
from datetime import date

import pytest

from pipelines.processes import kill_process_group
from tests.conftest import PORTFOLIO_AS_OF, REPO_ROOT, free_port, start_dashboard

CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400


def chromium_missing() -> str | None:
    """Why the real-browser test cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Debian chromium is not installed at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"
    try:
        version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{CHROMIUM} does not start: {exc}"
    if version.returncode != 0:
        return f"{CHROMIUM} --version failed: {(version.stderr or version.stdout).strip()[:200]}"
    return None


# Evaluated when the test is about to run (not at collection), before any fixture builds a warehouse.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif("importlib.util.find_spec('playwright') is None", reason="Playwright is not installed"),
    pytest.mark.skipif("chromium_missing() is not None",
                       reason=f"no working Debian chromium at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"),
]

ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

# (url, h1, screenshot name, the key tables: their containers' keys, dashboards.views.common.table_key)
PAGES = [
    ("overview", "Portfolio overview", "overview", ["table-attention"]),
    ("benefit?benefit_id=BA1", "Benefit detail", "benefit-detail", []),
    ("after-closure", "After closure", "after-closure", ["table-attention_after_closure", "table-closed_projects"]),
    ("delivery-health", "Delivery health", "delivery-health",
     ["table-watermelon_projects", "table-rag_disagreements", "table-raid_aging"]),
    ("data-quality", "Data quality", "data-quality", ["table-kpi_freshness"]),
    ("sql", "SQL console", "sql-console", []),
]

RAW_RATIO = re.compile(r"^[−-]?0\.\d{3,}$")            # -0.0123: a ratio shown as stored, not as a percentage
SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")       # benefit_name, off_track: a raw name or code
PERCENT = re.compile(r"^(−?\d[\d,]*(\.\d+)? ?%|–)$")    # 81%, −1%, 1.2 %, or '–' for none
PERCENT_HEADINGS = {"Realization", "Planned", "Peak"}

# the page's scroll height (Streamlit scrolls inside its main section, not the document)
SCROLL_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
    ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"], section')]
        .map(e => e.scrollHeight))"""

BUSY_JS = """() => !!document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')
    || ![...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))"""

# every key table: its scroll and client width, its headings and the text of its rendered rows.
# Streamlit's dataframe is a canvas grid; it keeps an accessible <table> of the cells it draws, which
# holds each cell's value: the text of text columns (amounts, percentages and labels formatted by
# pipelines.formatting) as shown, a date or number column's value before its display format (a date
# as 2026-03-31, with 00:00:00 when the column shows a time of day)
TABLE_JS = """key => { const box = document.querySelector('.st-key-' + key);
    if (!box) return null;
    const scroller = box.querySelector('.dvn-scroller');
    const table = box.querySelector('table');
    return {scrollWidth: scroller ? scroller.scrollWidth : null, clientWidth: scroller ? scroller.clientWidth : null,
            right: Math.round(box.getBoundingClientRect().right),
            headings: table ? [...table.querySelectorAll('th')].map(h => h.textContent.trim()) : [],
            rows: table ? [...table.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')]
                .map(c => c.textContent.trim())) : []}; }"""

# the text of every dataframe cell on the page
CELLS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] table td')].map(c => c.textContent.trim())"""

# non-empty SVG texts of a chart with their boxes
TEXTS_JS = """selector => [...document.querySelectorAll(selector)].filter(t => t.textContent.trim()).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent.trim(), cls: (t.closest('g') || t).getAttribute('class') || '',
            left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })"""

PLOT_AREA_JS = """selector => { const r = document.querySelector(selector).getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""


def overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack)


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]


@pytest.fixture(scope="module")
def dashboard(portfolio_warehouse):
    port = free_port()
    env = {**os.environ, "BRW_WAREHOUSE": str(portfolio_warehouse)}
    # its own process group, stopped whole in the finalizer: no server outlives the test
    proc = start_dashboard(portfolio_warehouse, port, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        yield url
    finally:
        kill_process_group(proc)


@pytest.fixture(scope="module")
def board_pack(portfolio_warehouse, tmp_path_factory):
    """The board pack of the portfolio warehouse, written by the function the reports asset runs
    (pipelines.board.write_board_pack) into a folder of its own: the session's reports folder is
    shared with other tests' runs of the same evaluation month."""
    import duckdb

    from pipelines.board import write_board_pack

    conn = duckdb.connect(str(portfolio_warehouse), read_only=True)
    try:
        return write_board_pack(conn, tmp_path_factory.mktemp("pack"), date.fromisoformat(PORTFOLIO_AS_OF)).path
    finally:
        conn.close()


def settle(page, timeout_s: float = 60) -> None:
    """Until Streamlit has finished the script run and every Plotly chart has drawn its SVG, for
    1.5 s in a row (a rerun can start right after the first one ends)."""
    deadline, quiet = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        quiet = 0 if page.evaluate(BUSY_JS) else quiet + 1
        if quiet >= 6:
            return
        time.sleep(0.25)
    raise AssertionError(f"{page.url} did not finish rendering in {timeout_s} s")


def screenshot(page, name: str) -> None:
    """The whole page at 1400 px: the viewport grows to the content (Streamlit scrolls inside it)."""
    height = int(page.evaluate(SCROLL_HEIGHT_JS))
    page.set_viewport_size({"width": WIDTH, "height": max(1000, height)})
    time.sleep(1.0)  # charts and grids redraw at the new height
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def check_key_table(page, key: str, problems: list[str]) -> None:
    table = page.evaluate(TABLE_JS, key)
    if table is None or table["scrollWidth"] is None:
        problems.append(f"{page.url}: key table {key} not found")
        return
    if table["scrollWidth"] > table["clientWidth"] + 1 or table["right"] > WIDTH:
        problems.append(f"{page.url}: {key} scrolls sideways at {WIDTH} px ({table['scrollWidth']} px of columns in "
                        f"{table['clientWidth']} px): key columns off-screen")
    raw = [h for h in table["headings"] if SNAKE_CASE.match(h)]
    if raw:
        problems.append(f"{page.url}: {key} has raw column names as headings: {raw}")
    if not table["rows"]:
        problems.append(f"{page.url}: {key} shows no rows")
    for row in table["rows"]:
        for heading, cell in zip(table["headings"], row):
            if RAW_RATIO.match(cell) or "00:00:00" in cell or SNAKE_CASE.match(cell):
                problems.append(f"{page.url}: {key} shows {cell!r} under {heading!r} (not formatted)")
            if heading in PERCENT_HEADINGS and not PERCENT.match(cell):
                problems.append(f"{page.url}: {key} shows {cell!r} under {heading!r}, not a percentage")


def check_rag_matrix(page, problems: list[str]) -> None:
    """Every label of the reported-vs-derived matrix is inside its own cell, and no two overlap."""
    chart = ".st-key-rag_matrix"
    texts = page.evaluate(TEXTS_JS, f"{chart} svg text")
    labels = [t for t in texts if "heatmap-label" in t["cls"]]
    if len(labels) != 12:  # 4 reported rows x 3 derived columns
        problems.append(f"RAG matrix: {len(labels)} cell labels, expected 12")
        return
    clash = overlapping(texts)
    if clash:
        problems.append(f"RAG matrix: overlapping labels {clash}")
    area = page.evaluate(PLOT_AREA_JS, f"{chart} .nsewdrag")
    width, height = (area["right"] - area["left"]) / 3, (area["bottom"] - area["top"]) / 4
    for label in labels:
        column = int(((label["left"] + label["right"]) / 2 - area["left"]) // width)
        row = int(((label["top"] + label["bottom"]) / 2 - area["top"]) // height)
        cell = {"left": area["left"] + column * width, "right": area["left"] + (column + 1) * width,
                "top": area["top"] + row * height, "bottom": area["top"] + (row + 1) * height}
        if not (label["left"] >= cell["left"] - 1 and label["right"] <= cell["right"] + 1
                and label["top"] >= cell["top"] - 1 and label["bottom"] <= cell["bottom"] + 1):
            problems.append(f"RAG matrix: {label['text']!r} spills out of its cell")


CHART_LABELS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(chart => {
    const box = e => { const r = e.getBoundingClientRect();
        return {text: e.textContent.trim(), left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    return {annotations: [...chart.querySelectorAll('g.annotation')].map(box).filter(b => b.text),
            labels: [...chart.querySelectorAll('.scatterlayer .textpoint text')].map(box).filter(b => b.text)}; })"""


def check_charts(page, problems: list[str]) -> None:
    """No chart's annotations (event and threshold labels) or point labels overprint each other."""
    for index, chart in enumerate(page.evaluate(CHART_LABELS_JS)):
        clash = overlapping(chart["annotations"]) + overlapping(chart["labels"])
        if clash:
            problems.append(f"{page.url}: chart {index} has overlapping labels {clash}")


def test_every_page_and_the_board_pack_read_in_a_real_browser(dashboard, board_pack):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    times, problems = {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})

        # the root opens the overview at its own address, and /overview is no "Page not found"
        page.goto(dashboard)
        page.wait_for_selector("h1:has-text('Portfolio overview')", timeout=60_000)
        settle(page)
        assert page.url.rstrip("/").endswith("/overview"), page.url

        for url, title, name, key_tables in PAGES:
            started = time.monotonic()
            page.goto(f"{dashboard}/{url}")
            page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
            settle(page)
            times[name] = round(time.monotonic() - started, 2)
            assert page.locator("[data-testid='stException']").count() == 0, f"exception on /{url}"
            content = page.content()
            assert "run the pipeline first" not in content
            assert "Page not found" not in content, url
            for key in key_tables:
                check_key_table(page, key, problems)
            cells = page.evaluate(CELLS_JS)
            problems += [f"/{url}: a table shows {c!r}" for c in cells if "00:00:00" in c]
            check_charts(page, problems)
            if name == "delivery-health":
                check_rag_matrix(page, problems)
            if name == "benefit-detail":  # the link's benefit is preselected
                assert page.locator("h3", has_text="More invoices per FTE").count() == 1
            screenshot(page, name)

        # the board pack as a board member opens it: nothing wider than the page, numbers formatted
        page.goto(board_pack.as_uri())
        page.wait_for_load_state("load")
        time.sleep(1.0)
        widths = page.evaluate("""() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
            Math.max(0, ...[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right))]""")
        if widths[0] > widths[1] or widths[2] > WIDTH:
            problems.append(f"board pack: wider than {WIDTH} px (document {widths[0]}, widest table to {widths[2]})")
        pack_cells = page.evaluate("() => [...document.querySelectorAll('td')].map(c => c.textContent.trim())")
        problems += [f"board pack: a table shows {c!r}" for c in pack_cells if "00:00:00" in c or RAW_RATIO.match(c)]
        page.screenshot(path=str(SCREENSHOTS / "board-pack.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "page_render_seconds.json").write_text(json.dumps(times, indent=2))
    assert not problems, "\n".join(problems)
    assert all(seconds < 30 for seconds in times.values()), times
