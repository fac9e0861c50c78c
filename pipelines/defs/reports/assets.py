"""Reports for the PMO and the board (group `reports`): new benefit alerts and the board pack.

The logic (SQL, CSV and HTML) is in `pipelines.board`; files go to the resource's
`reports_dir` (default `<repo>/reports`).
"""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines.board import ALERT_COLUMNS, run_alerts, write_board_pack
from pipelines.defs.resources import WarehouseResource, run_as_of
from pipelines.settings import DEFAULT_REPORTS_DIR

ALERT_MARTS = ["dim_benefit", "dim_project", "fct_benefit_status", "fct_project_health"]
BOARD_PACK_MARTS = ["dim_benefit", "dim_project", "fct_benefit_status", "fct_portfolio_monthly", "fct_project_health"]


def reports_dir(warehouse: WarehouseResource) -> Path:
    path = Path(warehouse.reports_dir or DEFAULT_REPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@asset(
    key=AssetKey(["reports", "benefit_alerts"]),
    group_name="reports",
    # snap_benefits: the old → new values of a rebaseline
    deps=[AssetKey(["marts", name]) for name in ALERT_MARTS] + [AssetKey(["snapshots", "snap_benefits"])],
    kinds={"duckdb", "csv"},
    description=(
        "`reports/alerts_<as_of>.csv`: what is new since the previous alerts run — benefits newly "
        "off_track, eroding, stale or exceeded, projects newly watermelon, benefits rebaselined since "
        "then — with owners. The state compared against is kept in `audit.alert_state`."
    ),
)
def benefit_alerts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    as_of = run_as_of(context, warehouse)
    with warehouse.connect() as conn:  # one short write transaction: compute, write CSV, record state
        result = run_alerts(conn, reports_dir(warehouse), as_of, context.run.run_id)
    for line in result.summary_lines():
        context.log.info(line)
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "as_of": as_of.isoformat(),
            "new_alerts": len(result.alerts),
            **{f"new_{kind}": n for kind, n in result.counts.items()},
            "previous_alerts_run": result.previous_run["run_id"] if result.previous_run else "none (first run)",
            "columns": ", ".join(ALERT_COLUMNS),
            "preview": MetadataValue.md(result.markdown_preview()),
        }
    )


@asset(
    key=AssetKey(["reports", "board_pack"]),
    group_name="reports",
    deps=[AssetKey(["marts", name]) for name in BOARD_PACK_MARTS],
    kinds={"duckdb", "html"},
    description=(
        "`reports/board_pack_<yyyy-mm>.html` for the evaluation month: headline value and statuses, "
        "realization trend per portfolio, attention list, after-closure tracker and delivery health. "
        "One self-contained file that opens offline."
    ),
)
def board_pack(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    as_of = run_as_of(context, warehouse)
    with warehouse.connect(read_only=True) as conn:
        result = write_board_pack(conn, reports_dir(warehouse), as_of)
    context.log.info(f"board pack for {result.evaluation_month:%B %Y}: {result.path} ({result.size / 1e6:.1f} MB)")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "size_bytes": result.size,
            "evaluation_month": result.evaluation_month.isoformat(),
            "charts": result.figures,
        }
    )
