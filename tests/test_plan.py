"""`brw run` rebuilds what changed, from the one record every run writes (pipelines.build_record):
the changed sources and what depends on them, the models that read the as-of date when it moved,
what dbt's state:modified+ selects when the dbt project changed, the reports when their code
changed, and what a run started elsewhere (the Dagster UI) did not build."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date

import duckdb
import pytest

from pipelines import plan as run_plan
from pipelines.build_record import as_of_models
from pipelines.cli import main
from pipelines.plan import RunPlan, plan_run
from tests.conftest import TINY
from tests.conftest import fetch_all as query

pytestmark = pytest.mark.slow
AS_OF = date(2025, 1, 15)

AS_OF_MODELS = (
    "dim_kpi", "fct_benefit_status", "fct_project_health", "int_attribution_claims", "int_benefit_future_months",
    "int_benefit_months", "int_benefit_status_inputs", "int_calendar_months", "int_fx_rates", "int_kpi_monthly",
    "int_project_reference_dates", "rpt_attribution_overlap", "rpt_benefit_changes", "rpt_project_board",
)
# the models that read the reporting currency (BRW_REPORTING_CURRENCY, the reporting_currency() macro)
REPORTING_CURRENCY_MODELS = (
    "dim_benefit", "dim_project", "fct_benefit_status", "fct_portfolio_monthly", "fct_project_health",
    "fct_project_health_monthly", "int_benefit_monthly_reporting", "int_fx_rates",
)
LAYERS = ("intermediate", "marts", "reporting")
NAMES = ("benefit_checkins", "benefit_plan", "benefits", "change_requests", "financials", "fx_rates",
         "kpi_definitions", "kpi_measurements", "milestones", "projects", "raid_log", "status_reports")
STAGING = {f"staging/stg_{name}" for name in NAMES}
RAW = {f"raw/{name}" for name in NAMES}
REPORTS = {"reports/benefit_alerts", "reports/board_pack", "publish/warehouse_read_copy"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("plan")
    source = base / "source"
    shutil.copytree(TINY, source)
    warehouse = base / "warehouse" / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", AS_OF.isoformat()]) == 0
    return source, warehouse


@pytest.fixture
def copy(built, tmp_path):
    """A copy of the built warehouse (what the runs recorded travels inside it)."""
    path = tmp_path / "warehouse" / "brw.duckdb"
    path.parent.mkdir()
    shutil.copy(built[1], path)
    return path


@pytest.fixture(scope="module")
def graph():
    from pipelines.definitions import build_definitions
    from pipelines.defs.transform.assets import brw_dbt_assets

    defs = build_definitions()
    everything = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}

    def selected(plan: RunPlan) -> set[str]:
        keys = plan.asset_keys(defs, brw_dbt_assets)
        return everything if keys is None else {k.to_user_string() for k in keys}

    return everything, selected


def run(source, warehouse, *extra) -> int:
    return main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", AS_OF.isoformat(), *extra])


def test_the_as_of_models_are_found_through_the_macros_they_call():
    # evaluation_month() calls as_of_date(): both count
    assert as_of_models() == AS_OF_MODELS


def test_nothing_changed_is_nothing_to_do(built, copy, capsys):
    from pipelines.read_copy import read_copy_path

    source, warehouse = built
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.nothing_to_do and not plan.everything
    assert plan.reasons == []
    # a deleted read copy is published again, without a run; the environment is left as it was
    environment = dict(os.environ)
    assert run(source, copy) == 0
    assert "the warehouse is up to date" in capsys.readouterr().out
    assert read_copy_path(copy).exists()
    assert dict(os.environ) == environment


def test_a_changed_file_rebuilds_it_and_what_depends_on_it(built, graph, tmp_path):
    source, warehouse = built
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    path = changed / "benefits.csv"
    path.write_text(path.read_text() + "\n")  # same rows, new bytes
    plan = plan_run(warehouse, changed, AS_OF)
    # benefit_plan's rows and the owners' check-ins reference benefits: validated again
    assert (plan.everything, plan.changed_sources, plan.as_of_moved) == (
        False, ["benefits", "benefit_plan", "benefit_checkins"], False)
    assert plan.reasons == ["changed since the last run: benefits.csv",
                            "checked again against the sources they reference: benefit_plan.csv, benefit_checkins/"]
    everything, selected = graph
    assert everything - selected(plan) == {
        "raw/projects", "raw/kpi_definitions", "raw/kpi_measurements", "raw/financials", "raw/milestones",
        "raw/status_reports", "raw/raid_log", "raw/change_requests", "raw/fx_rates",
        "staging/stg_projects", "staging/stg_kpi_definitions", "staging/stg_kpi_measurements",
        "staging/stg_financials", "staging/stg_milestones", "staging/stg_status_reports", "staging/stg_raid_log",
        "staging/stg_change_requests", "staging/stg_fx_rates", "intermediate/int_fx_rates",
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
    # dim_project converts at the evaluation month's rate (int_fx_rates reads the as-of date)
    assert chosen.isdisjoint(RAW | STAGING | {"snapshots/snap_benefits", "marts/fct_benefit_versions"})
    assert {"marts/fct_portfolio_monthly", "publish/warehouse_read_copy", "reports/board_pack"} <= chosen


def test_a_changed_reporting_currency_rebuilds_the_models_that_convert_to_it(built, graph):
    from pipelines.build_record import reporting_currency_models

    assert reporting_currency_models() == REPORTING_CURRENCY_MODELS
    source, warehouse = built
    assert plan_run(warehouse, source, AS_OF).nothing_to_do  # built in GBP, the default
    plan = plan_run(warehouse, source, AS_OF, reporting_currency="EUR")
    assert (plan.everything, plan.changed_sources, plan.as_of_moved, plan.currency_changed) == (False, [], False, True)
    assert plan.reasons == ["the reporting currency changed from GBP to EUR: the models that convert to it"]
    everything, selected = graph
    chosen = selected(plan)
    assert {f"{layer}/{name}" for name in REPORTING_CURRENCY_MODELS for layer in LAYERS} & everything <= chosen
    assert {"reporting/rpt_portfolio_month", "reporting/rpt_benefit_board", "reports/board_pack"} <= chosen
    assert chosen.isdisjoint(RAW | STAGING | {"snapshots/snap_benefits", "marts/dim_kpi"})


def test_a_changed_data_test_rebuilds_the_model_it_checks():
    """dbt's state:modified+ selects a changed test itself: building its model runs it."""
    from pipelines.build_record import dbt_graph, models_of

    nodes, _ = dbt_graph()
    test = next(uid for uid, node in nodes.items() if node["resource_type"] == "test"
                and node["name"] == "unique_dim_kpi_kpi_id")
    assert models_of([test, "model.brw.fct_portfolio_monthly", "exposure.brw.board_pack"]) == {
        "dim_kpi", "fct_portfolio_monthly"}


def test_changed_dbt_vars_rebuild_every_model(built, graph, monkeypatch):
    """dbt's state:modified does not compare the vars (a threshold, the status vocabulary): any
    model may read one, so every model is built again."""
    source, warehouse = built
    monkeypatch.setattr(run_plan, "dbt_vars_fingerprint", lambda: "a threshold changed")
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.all_dbt and plan.full_refresh and plan.reasons == [
        "the vars of dbt_project.yml changed (dbt's state:modified does not compare them): every dbt model, "
        "incremental ones from scratch"
    ]
    everything, selected = graph
    assert selected(plan) == everything - RAW


@pytest.mark.parametrize(("part", "reason", "rebuilt"), [
    ("reports", "the report code changed: the alerts and the board pack", "reports"),
    ("publish", "the read copy is not the warehouse as it is, or its code changed: published again", "read copy"),
    ("load", "the ingestion code changed: every source", "sources and downstream"),
    ("transform", "the dbt step's code changed: every dbt model, incremental ones from scratch", "dbt"),
])
def test_a_code_change_rebuilds_what_that_code_shapes(built, graph, monkeypatch, part, reason, rebuilt):
    """pipelines/ code, by what it shapes (pipelines.fingerprints; tests/test_fingerprints.py
    checks every file counts): a template or the board pack's code → the reports; the loaders →
    every source and all downstream; the dbt step → every dbt model; the read copy → it alone."""
    source, warehouse = built
    real = run_plan.code_fingerprints()
    monkeypatch.setattr(run_plan, "code_fingerprints", lambda: {**real, part: "edited"})
    plan = plan_run(warehouse, source, AS_OF)
    assert plan.reasons == [reason]
    everything, selected = graph
    expected = {
        "reports": REPORTS,
        "read copy": {"publish/warehouse_read_copy"},
        # all but the models built from the dbt vars and the date window alone
        "sources and downstream": everything - {"intermediate/int_calendar_months", "marts/dim_benefit_status",
                                                "marts/dim_status_threshold"},
        "dbt": everything - RAW,
    }[rebuilt]
    assert selected(plan) == expected


def edited_project(monkeypatch) -> None:
    """The dbt project's files look edited since the last build (the repo's are left alone)."""
    from pipelines.defs.transform import assets as transform

    for module in (run_plan, transform):
        monkeypatch.setattr(module, "dbt_project_fingerprint", lambda: "edited")


def test_a_changed_model_rebuilds_what_dbt_state_modified_selects(built, copy, graph, capsys, monkeypatch):
    """The recorded manifest of the last build says fct_portfolio_monthly was built from other SQL:
    dbt's own state:modified+ selects it and its dependants, and only those are built; the new
    manifest is recorded once they are."""
    source, _ = built
    conn = duckdb.connect(str(copy))
    manifest = json.loads(conn.execute("SELECT manifest FROM audit.build_manifest").fetchone()[0])
    manifest["nodes"]["model.brw.fct_portfolio_monthly"]["raw_code"] += "\n-- the SQL it was built from"
    conn.execute("UPDATE audit.build_manifest SET manifest = ?", [json.dumps(manifest)])
    conn.close()
    edited_project(monkeypatch)

    plan = plan_run(copy, source, AS_OF)
    assert plan.dbt_models == ["fct_portfolio_monthly", "rpt_portfolio_month"]
    assert plan.reasons == ["the dbt project changed: dbt state:modified+ selects 2 models: "
                            "fct_portfolio_monthly, rpt_portfolio_month"]
    assert not plan.full_refresh  # no incremental model among them
    _, selected = graph
    assert selected(plan) == {"marts/fct_portfolio_monthly", "reporting/rpt_portfolio_month",
                              "reports/board_pack", "publish/warehouse_read_copy"}
    capsys.readouterr()
    assert run(source, copy) == 0
    out = capsys.readouterr().out
    assert set(re.findall(r"dbt built (\S+)", out)) == {"marts/fct_portfolio_monthly", "reporting/rpt_portfolio_month"}
    assert plan_run(copy, source, AS_OF).nothing_to_do


def test_a_changed_incremental_model_is_rebuilt_from_scratch(built, copy, monkeypatch):
    """Rows an incremental model holds were computed by its old SQL (other columns, another
    rule): when its code changed, the build is a full refresh, and the run config says so."""
    from pipelines.cli.run import run_config
    from pipelines.settings import Settings

    source, _ = built
    conn = duckdb.connect(str(copy))
    manifest = json.loads(conn.execute("SELECT manifest FROM audit.build_manifest").fetchone()[0])
    manifest["nodes"]["model.brw.int_kpi_monthly"]["raw_code"] += "\n-- the SQL it was built from"
    conn.execute("UPDATE audit.build_manifest SET manifest = ?", [json.dumps(manifest)])
    conn.close()
    edited_project(monkeypatch)
    plan = plan_run(copy, source, AS_OF)
    assert "int_kpi_monthly" in plan.dbt_models and plan.full_refresh
    assert plan.reasons[-1] == "incremental models among them are rebuilt from scratch: int_kpi_monthly"
    config = run_config(Settings.resolve(source, copy, AS_OF), plan)
    assert config["ops"]["brw_dbt"]["config"]["full_refresh"] is True


def test_a_changed_dbt_project_without_a_recorded_manifest_rebuilds_every_model(built, copy, graph, monkeypatch):
    source, _ = built
    conn = duckdb.connect(str(copy))
    conn.execute("DELETE FROM audit.build_manifest")
    conn.close()
    edited_project(monkeypatch)
    plan = plan_run(copy, source, AS_OF)
    assert plan.all_dbt and plan.full_refresh and plan.reasons == [
        "the dbt project changed and no manifest of the last build was recorded: every dbt model, "
        "incremental ones from scratch"
    ]
    everything, selected = graph
    assert selected(plan) == everything - RAW


def test_a_planned_run_reads_only_the_changed_file_and_records_what_it_built(built, copy, tmp_path, capsys):
    source, _ = built
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    path = changed / "projects.csv"
    path.write_text(path.read_text().replace("Client Portal", "Client Portal v2"))
    environment = dict(os.environ)
    assert run(changed, copy) == 0
    assert dict(os.environ) == environment
    out = capsys.readouterr().out
    assert "plan: changed since the last run: projects.csv\n" in out
    assert "plan: checked again against the sources they reference: benefits.csv, benefit_plan.csv, " in out
    assert re.search(r"not read, unchanged since they were loaded: kpi_definitions.csv, kpi_measurements/, "
                     r"fx_rates.csv\n", out)
    last_run = query(copy, "SELECT run_id FROM audit.build_state WHERE item = 'source:projects'")[0][0]
    files = {f for (f,) in query(copy, "SELECT source_file FROM audit.load_audit WHERE run_id = ?", [last_run])}
    # projects.csv and the files whose rows reference projects; the landing folder has nothing new
    assert files == {"projects.csv", "benefits.csv", "benefit_plan.csv", "financials.csv", "milestones.csv",
                     "status_reports.csv", "raid_log.csv", "change_requests.csv"}
    assert query(copy, "SELECT project_name FROM marts.dim_project WHERE project_id = 'P2'") == [("Client Portal v2",)]
    assert plan_run(copy, changed, AS_OF).nothing_to_do


def materialize(source, warehouse, selection=None):
    """A run as the Dagster UI starts it: the job, no run config, no brw run around it."""
    from dagster import DagsterInstance

    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.settings import Settings

    defs = build_definitions(Settings.resolve(str(source), str(warehouse), AS_OF.isoformat()))
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(instance=instance, asset_selection=selection)
    assert result.success


def test_a_ui_run_of_everything_leaves_brw_run_nothing_to_do(built, copy, tmp_path):
    source, _ = built
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    (changed / "projects.csv").write_text((changed / "projects.csv").read_text().replace("Client Portal", "Portal 3"))
    assert not plan_run(copy, changed, AS_OF).nothing_to_do
    materialize(changed, copy)
    plan = plan_run(copy, changed, AS_OF)
    assert plan.nothing_to_do, plan.reasons


def test_a_partial_ui_run_leaves_the_rest_to_brw_run(built, copy, tmp_path, graph, capsys):
    """The UI loads raw/projects only: brw run does not load it again, but builds its dbt models
    (and loads the sources checked against projects); the record then says all was built."""
    from dagster import AssetKey

    source, _ = built
    changed = tmp_path / "source"
    shutil.copytree(source, changed)
    (changed / "projects.csv").write_text((changed / "projects.csv").read_text().replace("Client Portal", "Portal 4"))
    materialize(changed, copy, [AssetKey(["raw", "projects"])])
    plan = plan_run(copy, changed, AS_OF)
    assert plan.unbuilt_sources == ["projects"]
    assert "projects" not in plan.changed_sources and "benefits" in plan.changed_sources
    assert "loaded without a complete build of what depends on them: projects: their dbt models" in plan.reasons
    _, selected = graph
    assert "raw/projects" not in selected(plan) and "marts/dim_project" in selected(plan)
    assert run(changed, copy) == 0
    assert query(copy, "SELECT project_name FROM marts.dim_project WHERE project_id = 'P2'") == [("Portal 4",)]
    assert plan_run(copy, changed, AS_OF).nothing_to_do


def test_the_measurement_uniqueness_test_checks_the_keys_of_the_rows_the_last_build_wrote(built, tmp_path):
    """A row written by the latest build that duplicates an older row's key fails the test."""
    import subprocess

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
