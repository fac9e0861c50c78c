"""The dbt project as Dagster assets (staging, intermediate, marts, snapshots), built with tests.

The step hands dbt the warehouse, the as-of date and the reporting currency through its own environment (the dbt
resource's `env`), never this process's, and records what it built (pipelines.build_record).
"""

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetMaterialization, Output
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from pydantic import Field

from pipelines import build_record as rec
from pipelines.defs.options import RunOptions
from pipelines.defs.resources import BrwDbtCliResource, WarehouseResource
from pipelines.defs.transform.project import dbt_project
from pipelines.engine import after_dbt, before_dbt, resolve_engine
from pipelines.fingerprints import code_fingerprints, dbt_project_fingerprint, dbt_vars_fingerprint
from pipelines.processes import pid_alive
from pipelines.settings import DBT_AS_OF_ENV, DBT_REPORTING_CURRENCY_ENV, DBT_TARGET_DIR


class DbtRunOptions(RunOptions):
    """The run options, and what `brw run` found changed in the dbt project."""

    project_changes: list[str] | None = Field(
        default=None,
        description="The models dbt's state:modified+ selected (set by brw run): once all are built, the "
                    "project is recorded as built. None: every model must be built first.",
    )


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
    context: AssetExecutionContext, dbt: BrwDbtCliResource, warehouse: WarehouseResource, config: DbtRunOptions
) -> Iterator[Any]:
    as_of = config.as_of_date(warehouse).isoformat()
    project = dbt_project_fingerprint()  # what this build runs
    every_model = {"transform_code": code_fingerprints()["transform"], "dbt_vars": dbt_vars_fingerprint()}
    record, versions = {}, {}
    if Path(warehouse.path).exists():
        with warehouse.connect(read_only=True) as conn:  # what the raw tables this build reads hold
            record, _ = rec.read_record(conn)
            versions = rec.raw_versions(conn, record)
    prune_run_folders(keep=RUN_FOLDERS_KEPT)
    # The dbt profile reads the warehouse path from BRW_WAREHOUSE, the as_of_date() macro the date,
    # the reporting_currency() macro the reporting currency.
    currency = warehouse.reporting_currency
    engine = resolve_engine(config.engine)  # spark: raw exported as Parquet, the spark target (pipelines.engine)
    engine_args, engine_env = before_dbt(engine, warehouse)
    # dbt's manifest.json and run_results.json (~1.3 s to write) are read only when this build may
    # record a new project (its manifest) or loads Spark's tables back (their descriptions).
    artifacts = engine != "duckdb" or rec.project_is_new(record, project)
    invocation = dbt.cli([*dbt_build_args(config, artifacts=artifacts), *engine_args], context=context,
                         env={"BRW_WAREHOUSE": warehouse.path, DBT_AS_OF_ENV: as_of,
                              DBT_REPORTING_CURRENCY_ENV: currency, **engine_env})
    built = set()
    for event in invocation.stream():
        if isinstance(event, AssetMaterialization):
            built.add(event.asset_key.path[-1])
        elif isinstance(event, Output):
            built.add(context.asset_key_for_output(event.output_name).path[-1])
        yield event
    after_dbt(engine, warehouse, invocation.target_path)  # spark: its tables loaded into the DuckDB warehouse
    if engine == "duckdb":  # a parse for the spark profile would cost the next DuckDB run a full parse
        keep_parse_state(invocation.target_path)
    # Record what this build built (pipelines.build_record): only what it built completely.
    items, with_manifest = rec.dbt_build_items(
        context.run.run_id, built, record, versions, as_of, project, every_model, config.project_changes,
        reporting_currency=currency,
    )
    manifest = Path(invocation.target_path) / "manifest.json"
    with warehouse.connect() as conn:
        rec.write_record(conn, items, context.run.run_id, manifest.read_text() if with_manifest else None)


def dbt_build_args(options: RunOptions, artifacts: bool = True) -> list[str]:
    """The `dbt build` arguments of a run with these options; `artifacts`: dbt writes manifest.json
    and run_results.json into the run's target folder (its partial-parse state it writes anyway)."""
    # dbt unit tests check the SQL, not the data: they run in CI (tests/test_dbt_unit_tests.py),
    # not in every production build, where they cost ~0.5 s each.
    args = ["build", "--exclude-resource-type", "unit_test", *([] if artifacts else ["--no-write-json"])]
    if options.full_refresh:
        args.append("--full-refresh")  # the monthly board cycle rebuilds incremental models
    return args


RUN_FOLDERS_KEPT = 10


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
    tmp = DBT_TARGET_DIR / f".partial_parse.{os.getpid()}.tmp"
    shutil.copyfile(state, tmp)
    os.replace(tmp, DBT_TARGET_DIR / "partial_parse.msgpack")


def prune_run_folders(keep: int) -> None:
    """dagster-dbt leaves one target folder per dbt invocation: keep only the newest few."""
    folders = sorted(
        (p for p in DBT_TARGET_DIR.glob("brw_dbt-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    for tmp in DBT_TARGET_DIR.glob(".partial_parse.*.tmp"):  # left by a run killed while it copied
        pid = tmp.name.split(".")[2]
        if not (pid.isdigit() and pid_alive(int(pid))):
            tmp.unlink(missing_ok=True)
