"""Sign-in end to end: a real OIDC provider (oidc-provider-mock, on 127.0.0.1), `brw dashboard
--secrets` with an [auth] section pointing at it, and Debian chromium driven by Playwright through
the whole login: the dashboard's sign-in page, the provider's authorize page, back through
/oauth2callback with Streamlit's identity cookie.

- a board member (granted through an OIDC group claim) signs in, sees the overview and their name
  and role; signs out (through the provider's end-session page) and is back at the sign-in page;
- an account the access file does not know sees "No access" naming it, and no data;
- a benefit owner sees only their benefits' ids on the overview (tables, links and text), and the
  SQL console's URL shows a notice, not the console.
The lead's AppTest tests cover every page and role; this one checks one role through the real login.
Screenshots of the sign-in, no-access and owner's overview pages go to test-artifacts/screenshots/.
One provider and one dashboard server for the module; each test a fresh browser context (no cookie).
"""

from __future__ import annotations

import importlib.util  # noqa: F401 (read by the skipif conditions below)
import os
import re
import secrets
import subprocess
import threading
from collections.abc import Iterator

import pytest

from pipelines.processes import kill_process_group
from tests.conftest import fetch_all, free_port, start_dashboard
from tests.test_browser import CELLS_JS, CHROMIUM, SCREENSHOTS, WIDTH, chromium_missing, screenshot, settle  # noqa: F401

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif("importlib.util.find_spec('playwright') is None", reason="Playwright is not installed"),
    pytest.mark.skipif("importlib.util.find_spec('oidc_provider_mock') is None",
                       reason="oidc-provider-mock is not installed (pip install -e '.[dev]')"),
    pytest.mark.skipif("importlib.util.find_spec('authlib') is None", reason="Authlib is not installed"),
    pytest.mark.skipif("chromium_missing() is not None",
                       reason=f"no working Debian chromium at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"),
]

HOST = "127.0.0.1"  # the provider, the dashboard and the browser all use this host: cookies are per host
OWNER = "Dan Doyle"  # tests/data/portfolio: BB5 and BB6 of project PB (which also has BB1-BB4); BB6 needs attention
USERS = {  # sub: claims, as the provider puts them in the ID token
    "chair": {"email": "chair@example.org", "name": "Chris Chair", "groups": ["pmo-board"]},
    "dan": {"email": "dan.doyle@example.org", "name": OWNER},
    "stranger": {"email": "stranger@example.org", "name": "Sam Stranger"},
}
ACCESS_YML = f"""\
groups_claim: groups
grants:
  - group: pmo-board
    role: board
  - email: dan.doyle@example.org
    role: benefit_owner
    benefit_owner: {OWNER}
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock's Flask app on 127.0.0.1 in a thread, with the USERS predefined."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    server = werkzeug.serving.make_server(
        HOST, 0, app(user_claims=[User(sub=sub, claims=claims) for sub, claims in USERS.items()]), threaded=True,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def dashboard(portfolio_warehouse, provider, tmp_path_factory) -> Iterator[str]:
    """`brw dashboard --secrets FILE --access FILE` on 127.0.0.1 with sign-in through the provider."""
    folder = tmp_path_factory.mktemp("auth")
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(f"""[auth]
redirect_uri = "http://{HOST}:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "brw-dashboard"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")
    access_file = folder / "access.yml"
    access_file.write_text(ACCESS_YML)
    env = {**os.environ, "BRW_WAREHOUSE": str(portfolio_warehouse), "BRW_ACCESS": str(access_file),
           "BRW_ACCESS_LOG": str(folder / "access_log")}
    proc = start_dashboard(portfolio_warehouse, port, env, secrets=secrets_file,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        kill_process_group(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test: no identity cookie from another test."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


def benefit_ids(warehouse) -> set[str]:
    return {row[0] for row in fetch_all(warehouse, "SELECT benefit_id FROM marts.dim_benefit")}


def text_of(page) -> str:
    """The page's visible text, with the word joiners dashboards.formatting.md() puts in addresses removed."""
    return page.inner_text("body").replace("\u2060", "")


def ids_shown(page, warehouse) -> set[str]:
    """The benefit ids anywhere on the page: its text, the cells of its tables (a canvas grid: read
    from the accessible table Streamlit keeps) and its links (/benefit?benefit_id=...)."""
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    text = " ".join([text_of(page), *page.evaluate(CELLS_JS), *hrefs])
    return set(re.findall(r"[A-Z]{2}\d+", text)) & benefit_ids(warehouse)


def sign_in(page, dashboard: str, sub: str) -> None:
    """From the dashboard's sign-in page through the provider's authorize page and back."""
    page.goto(dashboard)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/oauth2/authorize.*"), timeout=30_000)  # the provider's page
    page.get_by_role("button", name=sub, exact=True).click()  # a predefined user
    page.wait_for_url(re.compile(re.escape(dashboard) + r"/.*"), timeout=30_000)


def test_sign_in_shows_the_board_and_sign_out_returns_to_the_sign_in_page(dashboard, page):
    page.goto(dashboard)
    page.wait_for_selector("h1:has-text('Benefits Realization Warehouse')", timeout=60_000)
    settle(page)
    assert page.get_by_role("button", name="Sign in").count() == 1
    text = text_of(page)
    assert "Portfolio overview" not in text and "SQL console" not in text  # no data, no menu
    screenshot(page, "sign-in")

    sign_in(page, dashboard, "chair")
    page.wait_for_selector("h1:has-text('Portfolio overview')", timeout=60_000)
    settle(page)
    assert page.url.rstrip("/").endswith("/overview"), page.url
    text = text_of(page)
    assert "Chris Chair" in text and "Board" in text
    assert "Local single-user mode" not in text

    page.get_by_role("button", name="Sign out").click()
    # the provider's end-session page (OIDC RP-initiated logout), then back to the dashboard
    page.wait_for_url(re.compile(r".*/oauth2/end_session.*"), timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(dashboard) + r"/.*"), timeout=30_000)
    page.wait_for_selector("button:has-text('Sign in')", timeout=60_000)
    assert "Portfolio overview" not in text_of(page)
    page.goto(f"{dashboard}/overview")  # the identity cookie is gone: no data at any URL
    page.wait_for_selector("button:has-text('Sign in')", timeout=60_000)
    assert "Chris Chair" not in text_of(page)


def test_an_account_the_access_file_does_not_know_sees_no_access_and_no_data(dashboard, page, portfolio_warehouse):
    sign_in(page, dashboard, "stranger")
    page.wait_for_selector("h1:has-text('No access')", timeout=60_000)
    settle(page)
    text = text_of(page)
    assert "stranger@example.org" in text and "PMO admin" in text
    assert page.get_by_role("button", name="Sign out").count() == 1
    shown = ids_shown(page, portfolio_warehouse)
    assert not shown, f"benefit ids on the no-access page: {shown}"
    assert "As of" not in text and "Portfolio overview" not in text
    screenshot(page, "no-access")
    page.goto(f"{dashboard}/benefit?benefit_id=BA1")  # a deep link shows the same page
    page.wait_for_selector("h1:has-text('No access')", timeout=60_000)
    assert "More invoices per FTE" not in text_of(page)


def test_a_benefit_owner_sees_only_their_benefits_and_not_the_sql_console(dashboard, page, portfolio_warehouse):
    sign_in(page, dashboard, "dan")
    page.wait_for_selector("h1:has-text('Portfolio overview')", timeout=60_000)
    settle(page)
    text = text_of(page)
    theirs = {row[0] for row in fetch_all(portfolio_warehouse,
                                          "SELECT benefit_id FROM marts.dim_benefit WHERE benefit_owner = ?", [OWNER])}
    shown = ids_shown(page, portfolio_warehouse)
    screenshot(page, "overview-benefit-owner")
    assert shown and shown <= theirs, f"{OWNER} sees {sorted(shown)}; theirs are {sorted(theirs)}"
    assert "Benefit owner" in text and OWNER in text
    menu = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "SQL console" not in menu and "Data quality" not in menu and "Access log" not in menu

    # not registered for the role: Streamlit says "Page not found" and runs the default page, which
    # names the page as not available; the console itself is never drawn
    page.goto(f"{dashboard}/sql")
    page.wait_for_selector("text=This page is not available to your role", timeout=60_000)
    settle(page)
    assert page.locator("h1:has-text('SQL console')").count() == 1
    assert page.locator("textarea").count() == 0  # no SQL editor
    assert page.get_by_role("button", name="Run", exact=True).count() == 0
    screenshot(page, "sql-not-available-benefit-owner")
