"""The dbt project as Dagster assets (staging, intermediate, marts, snapshots), built with tests."""

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.resources import WarehouseResource, run_as_of
from pipelines.defs.transform.project import dbt_project
from pipelines.plan import PLANNED_TAG, invalidate
from pipelines.processes import pid_alive
from pipelines.settings import DBT_PROJECT_DIR

# A run tag: a full rebuild of the incremental dbt models (the monthly board cycle sets it).
FULL_REFRESH_TAG = "brw/full_refresh"


class BrwDbtTranslator(DagsterDbtTranslator):
    """Groups dbt assets by their folder (staging, intermediate, marts, snapshots)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "snapshot":
            return "snapshots"
        if len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=BrwDbtTranslator(),
    name="brw_dbt",
)
def brw_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    # The dbt profile reads the warehouse path from BRW_WAREHOUSE (the dbt subprocess inherits it).
    os.environ["BRW_WAREHOUSE"] = warehouse.path
    # The as-of date reaches dbt as an environment variable, not --vars: dbt re-parses the whole
    # project when --vars change (~5 s), but only the files that read a changed env var.
    os.environ[AS_OF_ENV] = run_as_of(context, warehouse).isoformat()
    args = dbt_build_args(context.run.tags)
    if context.run.tags.get(PLANNED_TAG) != "true":
        with warehouse.connect() as conn:
            invalidate(conn)  # models rebuilt outside `brw run`'s plan: it rebuilds everything next
    prune_run_folders(keep=RUN_FOLDERS_KEPT)
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    keep_parse_state(invocation.target_path)


def dbt_build_args(run_tags: Mapping[str, str]) -> list[str]:
    """The `dbt build` arguments of a run with these tags."""
    # dbt unit tests check the SQL, not the data: they run in CI (tests/test_dbt_unit_tests.py),
    # not in every production build, where they cost ~0.5 s each.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if run_tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")  # the monthly board cycle rebuilds incremental models
    return args


AS_OF_ENV = "BRW_DBT_AS_OF"  # read by the as_of_date() macro
RUN_FOLDERS_KEPT = 10
_TARGET = DBT_PROJECT_DIR / "target"


def keep_parse_state(run_target: Path) -> None:
    """Make this run's parse the starting point of the next run's partial parse.

    dagster-dbt gives every invocation its own target folder and seeds it with
    target/partial_parse.msgpack. dbt checks that file against the project files, the profile
    (the warehouse path included) and the env vars each file read, and parses again whatever
    differs, so a stale or foreign file costs a full parse, never a wrong build.
    """
    state = Path(run_target) / "partial_parse.msgpack"
    if not state.exists():
        return
    tmp = _TARGET / f".partial_parse.{os.getpid()}.tmp"
    shutil.copyfile(state, tmp)
    os.replace(tmp, _TARGET / "partial_parse.msgpack")


def prune_run_folders(keep: int) -> None:
    """dagster-dbt leaves one target folder per dbt invocation: keep only the newest few."""
    folders = sorted(
        (p for p in _TARGET.glob("brw_dbt-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    for tmp in _TARGET.glob(".partial_parse.*.tmp"):  # left by a run killed while it copied
        pid = tmp.name.split(".")[2]
        if not (pid.isdigit() and pid_alive(int(pid))):
            tmp.unlink(missing_ok=True)
