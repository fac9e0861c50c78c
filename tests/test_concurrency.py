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
from tests.conftest import APP, PORTFOLIO, PORTFOLIO_AS_OF, fetch_all, open_page

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


def test_many_sessions_see_only_their_scope_while_a_copy_is_published(portfolio_warehouse, tmp_path, monkeypatch):
    """The concurrency benchmark's harness (benchmarks/concurrency.py) at the smallest scale: six
    sessions of four grants at once, while new read copies are published under them. No query
    fails, and every frame a session reads holds only benefit ids of its scope; over all its pages
    it sees all of them."""
    from benchmarks import concurrency
    from pipelines.read_copy import publish_read_copy

    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    shutil.copy(read_copy_path(portfolio_warehouse), read_copy_path(warehouse))
    monkeypatch.setenv("BRW_WAREHOUSE", str(warehouse))
    grants = [
        concurrency.Grant("board", "board"),
        concurrency.Grant("lead: Digital", "portfolio_lead", portfolios=("Digital",)),
        concurrency.Grant("owner: Ann Archer", "benefit_owner", owners=("Ann Archer",)),
        concurrency.Grant("owner: Dan Doyle", "benefit_owner", owners=("Dan Doyle",)),
    ]
    recordings = concurrency.record(grants, concurrency.access_file(grants, tmp_path / "access.yml"), warm=False)
    # the check-in page needs marts.dim_kpi.is_manually_measured (the check-in models); until the
    # warehouse has it, the page raises and is left out of the replay
    has_manual = fetch_all(warehouse, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'dim_kpi' "
                                      "AND column_name = 'is_manually_measured'")[0][0]
    for label, recording in recordings.items():
        assert set(recording.failed) <= (set() if has_manual else {"check-in"}), (label, recording.failed)
        assert {"overview", "benefit", "after-closure", "delivery-health"} <= set(recording.queries), label

    # worked out by hand from tests/data/portfolio: PA (Operations) BA1-BA5, PB (Digital) BB1-BB6;
    # BA5 (Bob Baker's, its target worse than its baseline) is invalid: in no mart, and only the
    # data-quality page (not a scoped role's) may name it
    allowed = {"board": {"BA1", "BA2", "BA3", "BA4", "BB1", "BB2", "BB3", "BB4", "BB5", "BB6"},
               "lead: Digital": {"BB1", "BB2", "BB3", "BB4", "BB5", "BB6"},
               "owner: Ann Archer": {"BA1", "BA3"}, "owner: Dan Doyle": {"BB5", "BB6"}}
    # the benchmark's own scope sets, straight from the marts (not through the scoped catalogs), agree
    for g in grants:
        assert concurrency.scope_benefit_ids(read_copy_path(warehouse), concurrency.principal(g)) == allowed[g.label]
    on_board = {b for (b,) in fetch_all(read_copy_path(warehouse), "SELECT benefit_id FROM reporting.rpt_benefit_board")}
    assert on_board == allowed["board"]
    allowed["board"] = allowed["board"] | {"BA5"}

    sessions = [(g, concurrency.principal(g, i)) for i, g in enumerate([*grants, grants[1], grants[2]])]
    before = read_copy_path(warehouse).stat().st_mtime_ns

    def publish() -> None:  # what `brw run` does last: copy the warehouse, rename over the copy
        for _ in range(3):
            time.sleep(0.3)
            publish_read_copy(warehouse)

    outcome = concurrency.run_sessions(
        warehouse, sessions, recordings, min_rounds=1, publisher=concurrency.Publisher(action=publish),
        scopes={i: allowed[g.label] for i, (g, _) in enumerate(sessions)})

    assert outcome.run_returncode == 0, outcome.run_output
    assert [s.error for s in outcome.samples if s.error] == []
    assert read_copy_path(warehouse).stat().st_mtime_ns > before
    assert outcome.publishes >= 1 and outcome.swaps >= 1  # readers moved to a new copy under load
    assert any(s.after_publish for s in outcome.samples)  # and read it without an error
    assert outcome.outside == {i: set() for i in outcome.outside}, outcome.outside
    for i, (g, _) in enumerate(sessions):  # and over its pages each session saw every benefit of its scope
        assert allowed[g.label] & on_board <= outcome.seen[i] <= allowed[g.label], (g.label, outcome.seen[i])
    pages = {(s.session, s.page) for s in outcome.samples}
    for i, (_, p) in enumerate(sessions):
        assert {page for (j, page) in pages if j == i} == set(recordings[sessions[i][0].label].queries)
        assert set(recordings[sessions[i][0].label].queries) <= set(concurrency.pages_of(p))
