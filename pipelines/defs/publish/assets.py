"""Publish the read copy for the dashboard once the warehouse is built (group `publish`)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.publish import publish_read_copy
from pipelines.resources import WarehouseResource

# The public relations the dashboard reads: built (and tested) before the copy is published.
PUBLIC_MARTS = [
    "dim_project",
    "dim_benefit",
    "dim_kpi",
    "fct_benefit_monthly",
    "fct_benefit_status",
    "fct_portfolio_monthly",
    "fct_project_health",
    "fct_project_health_monthly",
    "invalid_benefits",
]


@asset(
    key=AssetKey(["publish", "warehouse_read_copy"]),
    group_name="publish",
    deps=[AssetKey(["marts", name]) for name in PUBLIC_MARTS],
    kinds={"duckdb"},
    description=(
        "Atomically replaces `<warehouse>.read.duckdb`, the copy the dashboard reads, so a "
        "dashboard never holds the file the pipeline writes."
    ),
)
def warehouse_read_copy(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    target = publish_read_copy(warehouse.path)
    size = target.stat().st_size
    context.log.info(f"published the dashboard's read copy {target} ({size / 1e6:.1f} MB)")
    return MaterializeResult(metadata={"path": str(target), "size_bytes": size})
