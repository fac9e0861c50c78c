"""Shared fixtures: the dbt manifest (prepared once per session), tiny source directories."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from pipelines.dbt_manifest import ensure_manifest

TESTS_DIR = Path(__file__).resolve().parent
TINY = TESTS_DIR / "data" / "tiny"
REPO_ROOT = TESTS_DIR.parent
SEEDS = REPO_ROOT / "seeds"
PORTFOLIO = TESTS_DIR / "data" / "portfolio"  # small clean portfolio with hand-worked answers
PORTFOLIO_AS_OF = "2026-04-15"  # evaluation month 2026-03

# Alerts and board packs of test runs go to a scratch folder, never into the repo's reports/; it
# is removed when the session ends.
os.environ["BRW_REPORTS_DIR"] = tempfile.mkdtemp(prefix="brw-test-reports-")
atexit.register(shutil.rmtree, os.environ["BRW_REPORTS_DIR"], ignore_errors=True)
# the dashboard's audit trail (dashboards.audit) of every test session, unless a test sets its own
os.environ.setdefault("BRW_ACCESS_LOG", tempfile.mkdtemp(prefix="brw-test-access-log-"))
atexit.register(shutil.rmtree, os.environ["BRW_ACCESS_LOG"], ignore_errors=True)
# No developer's secrets (a configured .streamlit/secrets.toml, ~/.streamlit/secrets.toml) reach the
# AppTest runs: without [auth] the app is in local single-user mode; a test that signs in gives
# AppTest.secrets itself. (`brw dashboard` servers get their own --secrets.files.)
streamlit_config.set_option("secrets.files", [os.devnull])


def fetch_all(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a short-lived read-only connection (never blocks a later run)."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt reads the manifest when the definitions load: parse once per session."""
    return ensure_manifest()


@pytest.fixture
def tiny_source(tmp_path: Path) -> Path:
    """A private copy of the tiny hand-made source directory (tests may edit it)."""
    target = tmp_path / "source"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "brw.duckdb"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's BRW_* settings or Dagster instance."""
    for name in ("BRW_SOURCE_DIR", "BRW_WAREHOUSE", "BRW_AS_OF", "BRW_DBT_AS_OF", "BRW_MAPPING", "DAGSTER_HOME",
                 "BRW_REPORTING_CURRENCY", "BRW_DBT_REPORTING_CURRENCY", "BRW_ENGINE", "BRW_SPARK_DIR",
                 "BRW_SPARK_RAW_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def defs(tmp_path_factory, dbt_manifest):
    """The code location's definitions for an empty source directory (nothing is built)."""
    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    base = tmp_path_factory.mktemp("defs")
    return build_definitions(Settings.resolve(base, base / "brw.duckdb", "2026-11-21"))


# Session fixtures that build a warehouse end to end: a test that uses one is slow, whatever its
# own marks say (`make test-fast`, `pytest -m "not slow"`, skips it and builds nothing).
END_TO_END_FIXTURES = {"portfolio_warehouse"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def portfolio_warehouse(tmp_path_factory) -> Path:
    """`brw run` over tests/data/portfolio as of 2026-04-15, once per session."""
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("portfolio")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    path = base / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(path), "--as-of", PORTFOLIO_AS_OF]) == 0
    return path


APP = REPO_ROOT / "dashboards" / "app.py"


def open_page(at, url_path: str):
    """Switch an AppTest to a callable st.navigation page by its url_path, and run it.

    AppTest.switch_page() only takes page *files*; our pages are functions registered with
    st.navigation, so pick the registered page whose url_pathname matches.
    """
    matches = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path]
    assert matches, f"no page registered at /{url_path}: {list(at._registered_pages.values())}"
    at._page_hash = matches[0]
    return at.run()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(warehouse: Path, port: int, env: dict | None = None, timeout: float = 90.0,
                    secrets: Path | None = None, **popen):
    """`brw dashboard` on 127.0.0.1:port in its own process group, once /_stcore/health answers.
    Sign-in with the `secrets` file, else local single-user mode (whatever secrets the developer has).
    The caller stops it with pipelines.processes.kill_process_group (nothing outlives a test)."""
    import subprocess
    import sys
    import time
    import urllib.request

    from pipelines.processes import kill_process_group

    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "dashboard", "--warehouse", str(warehouse),
         "--port", str(port), "--address", "127.0.0.1", "--secrets", str(secrets or "")],
        env=env or {**os.environ, "BRW_WAREHOUSE": str(warehouse)}, start_new_session=True, **popen,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    output = proc.stdout.read() if proc.stdout is not None and proc.poll() is not None else ""
    kill_process_group(proc, timeout=5)
    pytest.fail(f"brw dashboard did not start: {output}")
