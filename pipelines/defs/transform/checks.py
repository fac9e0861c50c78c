"""Asset checks on the marts (the ingest assets report their own checks as they load)."""

from dagster import AssetCheckResult, AssetKey, asset_check

from pipelines import checks
from pipelines.resources import WarehouseResource


@asset_check(asset=AssetKey(["marts", "dim_kpi"]), description="KPIs measured as often as their frequency says")
def kpi_freshness(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return checks.kpi_freshness(conn)


@asset_check(asset=AssetKey(["marts", "dim_benefit"]), description="Every benefit names its owner", blocking=True)
def benefits_have_owner(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return checks.benefits_have_owner(conn)


@asset_check(
    asset=AssetKey(["marts", "fct_benefit_status"]),
    description="One status row per valid benefit (dim_benefit)",
    blocking=True,
)
def status_covers_every_benefit(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return checks.status_covers_every_benefit(conn)


MART_CHECKS = [kpi_freshness, benefits_have_owner, status_covers_every_benefit]
