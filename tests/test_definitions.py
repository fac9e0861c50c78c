"""The Dagster code location loads, its asset graph is the checked-in one, and its assets materialize."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TESTS_DIR
from tests.conftest import fetch_all as query

# asset key -> {group, deps}. A change of the graph is deliberate: review the diff, then write the
# new expectation with `BRW_UPDATE_SNAPSHOTS=1 pytest tests/test_definitions.py -k graph`.
ASSET_GRAPH = TESTS_DIR / "data" / "asset_graph.json"


def asset_graph(defs) -> dict[str, dict]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
        }
        for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    }


def test_asset_graph_snapshot(defs):
    actual = asset_graph(defs)
    if os.environ.get("BRW_UPDATE_SNAPSHOTS") == "1":
        ASSET_GRAPH.write_text(json.dumps(actual, indent=1) + "\n")
    assert actual == json.loads(ASSET_GRAPH.read_text())


def test_dbt_tests_become_asset_checks(defs):
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_stg_projects_project_id" in checks
    assert "unique_combination_of_columns_stg_kpi_measurements_kpi_id__measured_on__computed_at" in checks


def test_the_ingest_assets_materialize_with_their_checks(tiny_source, warehouse_path):
    from dagster import AssetKey, DagsterInstance

    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.settings import Settings

    defs = build_definitions(Settings.resolve(tiny_source, warehouse_path, "2025-01-15"))
    selection = [AssetKey(["raw", "projects"]), AssetKey(["raw", "kpi_definitions"])]
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(ALL_ASSETS_JOB).execute_in_process(
            instance=instance, asset_selection=selection, raise_on_error=False
        )
    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {
        "raw/projects", "raw/kpi_definitions",
    }
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[("raw/kpi_definitions", "rows_reconcile")] and checks[("raw/projects", "rows_reconcile")]
    assert query(warehouse_path, "SELECT count(*) > 0 FROM raw.projects") == [(True,)]


@pytest.mark.slow
def test_dg_check_defs_loads_the_code_location():
    repo = Path(__file__).resolve().parent.parent
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(bin_dir / "dg"), "check", "defs"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def test_every_asset_that_takes_the_run_options_gets_them_from_brw_run_and_the_schedules(defs):
    """OPTION_OPS is what brw run and the schedules configure: exactly the ops whose assets take
    RunOptions; a run launched from the UI without config gets the defaults."""
    from dagster import validate_run_config

    from pipelines.definitions import ALL_ASSETS_JOB
    from pipelines.defs.options import OPTION_OPS, RunOptions, options_run_config

    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    defaults = validate_run_config(job, None)["ops"]
    assert {op for op, entry in defaults.items() if "as_of" in ((entry or {}).get("config") or {})} == set(OPTION_OPS)
    given = validate_run_config(job, options_run_config(RunOptions(as_of="2026-01-01")))["ops"]
    assert {given[op]["config"]["as_of"] for op in OPTION_OPS} == {"2026-01-01"}


def test_the_dbt_wrapper_gets_its_variables_as_arguments_not_from_this_process(tmp_path):
    """dagster-dbt runs `<launcher> --version` with nothing else, then `<launcher> --brw-env
    NAME=VALUE ... build ...`: the launcher knows the Python and dbt of brw, and the variables reach
    dbt's environment only."""
    from pipelines.dbt_manifest import dbt_executable
    from pipelines.processes import dbt_launcher, split_wrapper_args, wrapper_args

    env = {"BRW_WAREHOUSE": "/a b/brw.duckdb", "BRW_DBT_AS_OF": "2026-11-21"}
    assert split_wrapper_args([*wrapper_args(env), "build", "--select", "x=y"]) == (env, ["build", "--select", "x=y"])
    launcher = dbt_launcher(dbt_executable(), tmp_path)
    version = subprocess.run([launcher, "--version"], env={}, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "installed:" in version.stdout
    shown = subprocess.run(
        [launcher, *wrapper_args({**env, "BRW_DBT_EXECUTABLE": "/bin/sh"}), "-c", 'echo "$BRW_WAREHOUSE|$BRW_DBT_AS_OF|$1"',
         "sh", "build"], env={}, capture_output=True, text=True, timeout=60,
    )
    assert shown.stdout == "/a b/brw.duckdb|2026-11-21|build\n"
    assert "BRW_DBT_AS_OF" not in os.environ


def test_dbt_runs_without_dagster_dbts_adapter_in_this_process():
    """dagster-dbt builds a dbt adapter in this process before every `dbt.cli` (2.4–2.7 s) for
    metadata fetches this project never asks for: BrwDbtCliResource builds none. The hook is
    private, so this fails if dagster-dbt renames it or stops calling it from `cli`."""
    import inspect

    from dagster_dbt import DbtCliResource

    from pipelines.defs.resources import BrwDbtCliResource

    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)
    assert BrwDbtCliResource._initialize_dbt_core_adapter is not DbtCliResource._initialize_dbt_core_adapter
    assert BrwDbtCliResource._initialize_dbt_core_adapter(None, ["build"]) is None
