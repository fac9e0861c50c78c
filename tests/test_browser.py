"""A real browser (Debian chromium driven by Playwright) visits every page of `brw dashboard`.

Screenshots and page render times go to test-artifacts/. Never downloads a browser: it uses
/usr/bin/chromium, which .ci/run installs with apt-get. Without a working chromium or without
Playwright the test is skipped, before any warehouse is built.
"""

from __future__ import annotations

import importlib.util  # noqa: F401 (read by the skipif condition below)
import json
import os
import subprocess
import time

import pytest

from pipelines.processes import kill_process_group
from tests.conftest import REPO_ROOT, free_port, start_dashboard

CHROMIUM = "/usr/bin/chromium"


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
PAGES = [
    ("", "Portfolio overview"),
    ("benefit", "Benefit detail"),
    ("after-closure", "After closure"),
    ("delivery-health", "Delivery health"),
    ("data-quality", "Data quality"),
    ("sql", "SQL console"),
]


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


def test_every_page_renders_in_a_real_browser(dashboard):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    times = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for url_path, title in PAGES:
            started = time.monotonic()
            page.goto(f"{dashboard}/{url_path}")
            page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
            # wait until Streamlit has finished the script run (no running indicator)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
            )
            # and every Plotly chart has drawn its SVG
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                        .every(chart => chart.querySelector('.main-svg'))""",
                timeout=60_000,
            )
            times[url_path or "overview"] = round(time.monotonic() - started, 2)
            assert page.locator("[data-testid='stException']").count() == 0, f"exception on /{url_path}"
            assert "run the pipeline first" not in page.content()
            page.screenshot(path=str(ARTIFACTS / f"page-{url_path or 'overview'}.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "page_render_seconds.json").write_text(json.dumps(times, indent=2))
    assert all(seconds < 30 for seconds in times.values()), times
