"""The dbt project as Dagster assets (staging, intermediate, marts, snapshots), built with tests."""


import importlib.metadata
import json
import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from packaging import version

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.jobs import FULL_REFRESH_TAG
from pipelines.resources import WarehouseResource, run_as_of
from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# Under `dg dev` / `dagster dev` the manifest is re-parsed at load; elsewhere `make` and the test
# session prepare it (see pipelines.dbt_manifest).
dbt_project.prepare_if_dev()


class BrwDbtTranslator(DagsterDbtTranslator):
    """Groups dbt assets by their folder (staging, intermediate, marts, snapshots)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "snapshot":
            return "snapshots"
        if len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


class BrwDbtCliResource(DbtCliResource):
    """DbtCliResource that knows its dbt version without running `dbt --version` (3 s here).

    The dbt executable is the one installed beside this package (see dbt_executable()), so the
    installed dbt-core distribution tells its version.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


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
    # No partial parsing: dbt-duckdb names the catalog after the warehouse file, and a partial
    # parse from a run against another file would keep the old catalog name in every ref.
    as_of = run_as_of(context, warehouse).isoformat()
    # dbt unit tests check the SQL, not the data: they run in CI (tests/test_dbt_unit_tests.py),
    # not in every production build, where they cost ~0.5 s each.
    args = ["build", "--no-partial-parse", "--exclude-resource-type", "unit_test", "--vars", json.dumps({"as_of": as_of})]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")  # the monthly board cycle rebuilds incremental models
    yield from dbt.cli(args, context=context).stream()
