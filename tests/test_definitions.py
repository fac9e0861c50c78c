"""The Dagster code location loads and its asset graph is what the README and UI promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import in_process_executor

from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from pipelines.settings import Settings

# asset key -> (group, upstream asset keys). Update deliberately when the graph changes.
EXPECTED_GRAPH = {
    "raw/projects": ("ingest", []),
    "raw/kpi_definitions": ("ingest", []),
    "raw/kpi_measurements": ("ingest", ["raw/kpi_definitions"]),
    "raw/benefits": ("ingest", ["raw/kpi_definitions", "raw/projects"]),
    "raw/benefit_plan": ("ingest", ["raw/benefits"]),
    "raw/financials": ("ingest", ["raw/projects"]),
    "raw/milestones": ("ingest", ["raw/projects"]),
    "raw/status_reports": ("ingest", ["raw/projects"]),
    "raw/raid_log": ("ingest", ["raw/projects"]),
    "raw/change_requests": ("ingest", ["raw/projects"]),
    "staging/stg_projects": ("staging", ["raw/projects"]),
    "staging/stg_kpi_definitions": ("staging", ["raw/kpi_definitions"]),
    "staging/stg_kpi_measurements": ("staging", ["raw/kpi_measurements"]),
    "staging/stg_benefits": ("staging", ["raw/benefits"]),
    "staging/stg_benefit_plan": ("staging", ["raw/benefit_plan"]),
    "staging/stg_financials": ("staging", ["raw/financials"]),
    "staging/stg_milestones": ("staging", ["raw/milestones"]),
    "staging/stg_status_reports": ("staging", ["raw/status_reports"]),
    "staging/stg_raid_log": ("staging", ["raw/raid_log"]),
    "staging/stg_change_requests": ("staging", ["raw/change_requests"]),
    "intermediate/int_benefit_months": ("intermediate", ["intermediate/int_benefits_resolved", "intermediate/int_calendar_months", "staging/stg_benefit_plan"]),
    "intermediate/int_benefit_status_inputs": ("intermediate", ["intermediate/int_benefits_resolved", "intermediate/int_kpi_monthly", "marts/fct_benefit_monthly"]),
    "intermediate/int_benefits_resolved": ("intermediate", ["intermediate/int_kpi_monthly", "staging/stg_benefits", "staging/stg_kpi_definitions", "staging/stg_projects"]),
    "intermediate/int_calendar_months": ("intermediate", []),
    "intermediate/int_kpi_monthly": ("intermediate", ["staging/stg_kpi_definitions", "staging/stg_kpi_measurements"]),
    "intermediate/int_project_change_requests": ("intermediate", ["intermediate/int_project_reference_dates", "staging/stg_change_requests"]),
    "intermediate/int_project_financial_position": ("intermediate", ["intermediate/int_project_reference_dates", "staging/stg_financials", "staging/stg_projects"]),
    "intermediate/int_project_health": ("intermediate", ["intermediate/int_project_change_requests", "intermediate/int_project_financial_position", "intermediate/int_project_raid", "intermediate/int_project_reference_dates", "intermediate/int_project_reported_status", "intermediate/int_project_schedule", "staging/stg_projects"]),
    "intermediate/int_project_raid": ("intermediate", ["intermediate/int_project_reference_dates", "staging/stg_raid_log"]),
    "intermediate/int_project_reference_dates": ("intermediate", ["intermediate/int_calendar_months", "staging/stg_projects"]),
    "intermediate/int_project_reported_status": ("intermediate", ["intermediate/int_project_reference_dates", "staging/stg_status_reports"]),
    "intermediate/int_project_schedule": ("intermediate", ["intermediate/int_project_reference_dates", "staging/stg_milestones"]),
    "marts/dim_benefit": ("marts", ["intermediate/int_benefits_resolved", "marts/dim_project", "snapshots/snap_benefits"]),
    "marts/dim_kpi": ("marts", ["staging/stg_kpi_definitions", "staging/stg_kpi_measurements"]),
    "marts/dim_project": ("marts", ["staging/stg_projects"]),
    "marts/fct_benefit_monthly": ("marts", ["intermediate/int_benefit_months", "intermediate/int_benefits_resolved", "intermediate/int_kpi_monthly"]),
    "marts/fct_benefit_status": ("marts", ["intermediate/int_benefit_status_inputs", "marts/dim_benefit", "marts/dim_project"]),
    "marts/fct_portfolio_monthly": ("marts", ["marts/dim_benefit", "marts/dim_project", "marts/fct_benefit_monthly"]),
    "marts/fct_project_health": ("marts", ["intermediate/int_project_health", "marts/fct_benefit_status", "marts/fct_project_health_monthly"]),
    "marts/fct_project_health_monthly": ("marts", ["intermediate/int_project_health"]),
    "marts/invalid_benefits": ("marts", ["intermediate/int_benefits_resolved"]),
    "snapshots/snap_benefits": ("snapshots", ["staging/stg_benefits"]),
    "reports/benefit_alerts": ("reports", [
        "marts/dim_benefit", "marts/dim_project", "marts/fct_benefit_status", "marts/fct_project_health",
        "snapshots/snap_benefits",
    ]),
    "reports/board_pack": ("reports", [
        "marts/dim_benefit", "marts/dim_project", "marts/fct_benefit_status", "marts/fct_portfolio_monthly",
        "marts/fct_project_health",
    ]),
    "publish/warehouse_read_copy": ("publish", [
        "marts/dim_benefit", "marts/dim_kpi", "marts/dim_project", "marts/fct_benefit_monthly", "marts/fct_benefit_status",
        "marts/fct_portfolio_monthly", "marts/fct_project_health", "marts/fct_project_health_monthly",
        "marts/invalid_benefits",
    ]),
}


def test_asset_graph_snapshot(tmp_path):
    defs = build_definitions(Settings.resolve(tmp_path, tmp_path / "w.duckdb", "2026-11-21"))
    graph = defs.resolve_asset_graph()
    actual = {
        key.to_user_string(): (
            graph.get(key).group_name,
            sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
        )
        for key in graph.get_all_asset_keys()
    }
    assert actual == EXPECTED_GRAPH


def test_dbt_tests_become_asset_checks(tmp_path):
    defs = build_definitions(Settings.resolve(tmp_path, tmp_path / "w.duckdb", "2026-11-21"))
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_stg_projects_project_id" in checks
    assert "unique_combination_of_columns_stg_kpi_measurements_kpi_id__measured_on__computed_at" in checks


def test_all_assets_job_runs_in_process(tmp_path):
    defs = build_definitions(Settings.resolve(tmp_path, tmp_path / "w.duckdb", "2026-11-21"))
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    assert job.executor_def is in_process_executor


def test_dg_check_defs_loads_the_code_location():
    repo = Path(__file__).resolve().parent.parent
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(bin_dir / "dg"), "check", "defs"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr
