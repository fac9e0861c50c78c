"""Publish the read copy for the dashboard once the warehouse is built (group `publish`), and
record the code and the state of the warehouse it was published from (pipelines.build_record)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines import build_record as rec
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform import assets as transform
from pipelines.fingerprints import code_fingerprints
from pipelines.read_copy import publish_read_copy

# The relations the dashboard reads, every dbt model of these groups (folders): built (and
# tested) before the copy is published.
PUBLISHED_GROUPS = ("marts", "reporting")
PUBLISHED_KEYS = sorted(
    (spec.key for spec in transform.brw_dbt_assets.specs if spec.group_name in PUBLISHED_GROUPS),
    key=lambda key: key.to_user_string(),
)


@asset(
    key=AssetKey(["publish", "warehouse_read_copy"]),
    group_name="publish",
    deps=PUBLISHED_KEYS,
    kinds={"duckdb"},
    description=(
        "Atomically replaces `<warehouse>.read.duckdb`, the copy the dashboard reads, so a "
        "dashboard never holds the file the pipeline writes."
    ),
)
def warehouse_read_copy(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect(read_only=True) as conn:  # the warehouse as it is published
        published = rec.publish_fingerprint(code_fingerprints()["publish"], rec.read_record(conn)[0])
    target = publish_read_copy(warehouse.path)
    with warehouse.connect() as conn:
        rec.write_record(conn, {"publish": published}, context.run.run_id)
    size = target.stat().st_size
    context.log.info(f"published the dashboard's read copy {target} ({size / 1e6:.1f} MB)")
    return MaterializeResult(metadata={"path": str(target), "size_bytes": size})
