"""The dashboard never blocks the pipeline and never breaks while it runs.

`brw run` writes <warehouse>.duckdb and publishes <warehouse>.read.duckdb atomically at the end;
the app reads only the copy, through short-lived read-only connections. Here the app renders
its pages over and over while a real `brw run` (another process) rebuilds the same warehouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.processes import kill_process_group
from pipelines.read_copy import read_copy_path
from tests.conftest import APP, PORTFOLIO, PORTFOLIO_AS_OF, open_page

pytestmark = pytest.mark.slow


def test_pipeline_runs_while_the_dashboard_is_reading(portfolio_warehouse, tmp_path, monkeypatch):
    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    shutil.copy(read_copy_path(portfolio_warehouse), read_copy_path(warehouse))
    source = tmp_path / "source"
    shutil.copytree(PORTFOLIO, source)
    before = read_copy_path(warehouse).stat().st_mtime_ns
    monkeypatch.setenv("BRW_WAREHOUSE", str(warehouse))

    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DAGSTER_HOME", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--source", str(source), "--warehouse", str(warehouse),
         "--as-of", PORTFOLIO_AS_OF, "--all"],  # the same sources: --all, or there is nothing to do
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True,  # stopped whole (with its dbt child) if the test fails half-way
    )
    try:
        renders, pages = 0, ("", "benefit", "delivery-health", "data-quality")
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        deadline = time.monotonic() + 300
        while run.poll() is None and time.monotonic() < deadline:
            url = pages[renders % len(pages)]
            if url:
                open_page(at, url)
            else:
                at.run()
            assert not at.exception, f"page /{url} raised while the pipeline was running: {at.exception}"
            assert not at.info or "run the pipeline first" not in at.info[0].value
            renders += 1
        output = run.communicate(timeout=60)[0]
    finally:
        if run.poll() is None:
            kill_process_group(run, timeout=5)
    assert run.returncode == 0, output
    assert renders >= 10, f"only {renders} page renders happened during the run"
    assert read_copy_path(warehouse).stat().st_mtime_ns > before  # a new copy was published
    # and the app picks it up without a restart: the cache key is the copy's mtime
    at.run()
    assert not at.exception


def test_a_reader_of_the_write_file_would_block_the_pipeline(portfolio_warehouse, tmp_path, monkeypatch):
    """Why the read copy exists: DuckDB refuses a writer while another process reads the file."""
    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); time.sleep(30)",
         str(warehouse)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse))
        # the dashboard reads the published copy, a different file: it never locks the warehouse
        from dashboards import queries

        monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
        assert queries.read("SELECT count(*) AS n FROM marts.dim_project")["n"].iloc[0] == 2
    finally:
        kill_process_group(reader, timeout=1)
