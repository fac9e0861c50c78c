"""`brw run` rebuilds what changed: the changed sources and what depends on them, the models that
read the as-of date when it moved, everything when the code changed or the state is not trusted."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from pipelines import plan as run_plan
from pipelines.cli import main
from pipelines.plan import RunPlan, as_of_models, plan_run
from tests.conftest import TINY
from tests.conftest import fetch_all as query

pytestmark = pytest.mark.slow
AS_OF = date(2025, 1, 15)

AS_OF_MODELS = (
    "dim_kpi", "fct_benefit_status", "fct_project_health", "int_benefit_months", "int_benefit_status_inputs",
    "int_calendar_months", "int_kpi_monthly", "int_project_reference_dates", "rpt_project_board",
)
LAYERS = ("intermediate", "marts", "reporting")
STAGING = {f"staging/stg_{name}" for name in (
    "benefit_plan", "benefits", "change_requests", "financials", "kpi_definitions", "kpi_measurements",
    "milestones", "projects", "raid_log", "status_reports",
)}
RAW = {f"raw/{name}" for name in (
    "benefit_plan", "benefits", "change_requests", "financials", "kpi_definitions", "kpi_measurements",
    "milestones", "projects", "raid_log", "status_reports",
)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("plan")
    source = base / "source"
    shutil.copytree(TINY, source)
    warehouse = base / "warehouse" / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", AS_OF.isoformat()]) == 0
    return source, warehouse


@pytest.fixture(scope="module")
def graph():
    from pipelines.defs.transform.assets import brw_dbt_assets
    from pipelines.definitions import build_definitions

    defs = build_definitions()
    everything = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}

    def selected(plan: RunPlan) -> set[str]:
        return {k.to_user_string() for k in plan.asset_keys(defs, brw_dbt_assets)}

    return everything, selected


def test_the_as_of_models_are_found_through_the_macros_they_call():
    # evaluation_month() calls as_of_date(): both count
    assert as_of_models() == AS_OF_MODELS


def test_nothing_changed_is_nothing_to_do(built, tmp_path, capsys):
    from pipelines.read_copy import read_copy_path

    source, warehouse = built
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.nothing_to_do and not plan.everything
    assert plan.reasons == []
    # a deleted read copy is published again, without a run
    copy = tmp_path / "brw.duckdb"
    shutil.copy(warehouse, copy)
    assert main(["run", "--source", str(source), "--warehouse", str(copy), "--as-of", AS_OF.isoformat()]) == 0
    assert "the warehouse is up to date" in capsys.readouterr().out
    assert read_copy_path(copy).exists()


def test_a_changed_file_rebuilds_it_and_what_depends_on_it(built, graph, tmp_path):
    source, warehouse = built
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    path = changed / "benefits.csv"
    path.write_text(path.read_text() + "\n")  # same rows, new bytes
    plan = plan_run(warehouse, changed, AS_OF)
    assert (plan.everything, plan.changed_sources, plan.as_of_moved) == (False, ["benefits"], False)
    assert plan.reasons == ["changed since the last run: benefits.csv"]
    everything, selected = graph
    # benefit_plan's rows reference benefits: validated again
    assert everything - selected(plan) == {
        "raw/projects", "raw/kpi_definitions", "raw/kpi_measurements", "raw/financials", "raw/milestones",
        "raw/status_reports", "raw/raid_log", "raw/change_requests",
        "staging/stg_projects", "staging/stg_kpi_definitions", "staging/stg_kpi_measurements",
        "staging/stg_financials", "staging/stg_milestones", "staging/stg_status_reports", "staging/stg_raid_log",
        "staging/stg_change_requests",
        "intermediate/int_kpi_monthly", "marts/dim_kpi", "marts/dim_project",
        # the calendar runs from the date window's start, whatever the sources hold, so a benefits
        # change leaves it and the project delivery-health models built on it alone
        "intermediate/int_calendar_months", "intermediate/int_project_reference_dates",
        "intermediate/int_project_delivery_measures", "intermediate/int_project_health",
        "marts/fct_project_health_monthly",
        # built from the dbt vars alone (the status vocabulary and the thresholds)
        "marts/dim_benefit_status", "marts/dim_status_threshold",
    }


def test_a_moved_as_of_rebuilds_the_models_that_read_it_and_their_dependants(built, graph):
    source, warehouse = built
    plan = plan_run(warehouse, source, date(2025, 1, 16))
    assert (plan.everything, plan.changed_sources, plan.as_of_moved) == (False, [], True)
    assert plan.reasons == ["as of moved from 2025-01-15 to 2025-01-16: the models that read it"]
    everything, selected = graph
    chosen = selected(plan)
    assert {f"{layer}/{name}" for name in AS_OF_MODELS for layer in LAYERS} & everything <= chosen
    assert chosen.isdisjoint(RAW | STAGING | {"snapshots/snap_benefits", "marts/dim_project"})
    assert {"marts/fct_portfolio_monthly", "publish/warehouse_read_copy", "reports/board_pack"} <= chosen


def test_a_changed_dbt_project_or_ingestion_code_rebuilds_everything(built, monkeypatch):
    source, warehouse = built
    monkeypatch.setattr(run_plan, "_tree_fingerprint", lambda _: "edited")
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.everything and plan.reasons == ["the dbt project changed: everything"]
    monkeypatch.undo()
    monkeypatch.setattr(run_plan, "_INGEST_CODE", (run_plan.REPO_ROOT / "pipelines" / "plan.py",))
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.everything and plan.reasons == ["the ingestion code changed: everything"]


def test_a_planned_run_reads_only_the_changed_file_and_records_the_new_state(built, tmp_path, capsys):
    source, warehouse = built
    copy = tmp_path / "warehouse" / "brw.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    path = changed / "projects.csv"
    path.write_text(path.read_text().replace("Client Portal", "Client Portal v2"))
    assert main(["run", "--source", str(changed), "--warehouse", str(copy), "--as-of", AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "plan: changed since the last run: projects.csv" in out
    assert re.search(r"not read, unchanged since run \w{8}: kpi_definitions.csv, kpi_measurements/\n", out)
    last_run = query(copy, "SELECT run_id FROM audit.build_state LIMIT 1")[0][0]
    files = {f for (f,) in query(copy, "SELECT source_file FROM audit.load_audit WHERE run_id = ?", [last_run])}
    # projects.csv and the files whose rows reference projects; the landing folder has nothing new
    assert files == {"projects.csv", "benefits.csv", "benefit_plan.csv", "financials.csv", "milestones.csv",
                     "status_reports.csv", "raid_log.csv", "change_requests.csv"}
    assert query(copy, "SELECT project_name FROM marts.dim_project WHERE project_id = 'P2'") == [("Client Portal v2",)]
    assert plan_run(copy, changed, AS_OF).nothing_to_do


def test_a_run_started_outside_brw_run_makes_the_next_one_rebuild_everything(built, tmp_path):
    from dagster import AssetKey, DagsterInstance

    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.settings import Settings

    source, warehouse = built
    copy = tmp_path / "brw.duckdb"
    shutil.copy(warehouse, copy)
    defs = build_definitions(Settings.resolve(str(source), str(copy), AS_OF.isoformat()))
    result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=[AssetKey(["raw", "projects"])]
    )
    assert result.success
    plan = plan_run(copy, source, AS_OF)
    assert plan.everything
    assert plan.reasons == ["no complete brw run recorded in audit.build_state: everything"]


def test_the_measurement_uniqueness_test_checks_the_keys_of_the_rows_the_last_build_wrote(built, tmp_path):
    """A row written by the latest build that duplicates an older row's key fails the test."""
    import os
    import subprocess

    import duckdb

    from pipelines.dbt_manifest import dbt_executable
    from pipelines.settings import DBT_PROJECT_DIR

    _, warehouse = built
    copy = tmp_path / "brw.duckdb"
    shutil.copy(warehouse, copy)
    test = "unique_combination_of_columns_stg_kpi_measurements_kpi_id__measured_on__computed_at"
    env = {**os.environ, "BRW_WAREHOUSE": str(copy), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def dbt_test() -> subprocess.CompletedProcess:
        return subprocess.run(
            [dbt_executable(), "test", "--select", test, "--target-path", str(tmp_path / "target"),
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
        )

    assert dbt_test().returncode == 0
    conn = duckdb.connect(str(copy))
    conn.execute("""
        INSERT INTO staging.stg_kpi_measurements
        SELECT * REPLACE (computed_at + INTERVAL 1 DAY AS computed_at)
        FROM staging.stg_kpi_measurements ORDER BY kpi_id, measured_on LIMIT 1
    """)
    conn.close()
    failed = dbt_test()
    assert failed.returncode == 1 and "Got 1 result" in failed.stdout, failed.stdout


def test_the_sensor_job_rebuilds_every_model_that_reads_the_as_of_date(graph):
    """landing_refresh runs as of its own day: every as-of model is downstream of the landing
    folder, or a sensor run would mix yesterday's and today's dates in the marts."""
    from pipelines.definitions import build_definitions
    from pipelines.defs.ingest.jobs import LANDING_JOB

    defs = build_definitions()
    job = defs.resolve_job_def(LANDING_JOB)
    chosen = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    everything, _ = graph
    as_of_keys = {f"{layer}/{name}" for name in AS_OF_MODELS for layer in LAYERS} & everything
    assert len(as_of_keys) == len(AS_OF_MODELS)
    assert as_of_keys <= chosen
