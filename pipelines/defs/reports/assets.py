"""Reports for the PMO and the board (group `reports`): new benefit alerts and the board pack.

The logic (SQL, CSV and HTML) is in `pipelines.board`; files go to the resource's
`reports_dir` (default `<repo>/reports`). Each records the code and the state of the warehouse it
was made from (`record_report`).
"""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipelines import build_record as rec
from pipelines.board import ALERT_COLUMNS, run_alerts, write_board_pack
from pipelines.defs.options import RunOptions
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprints import code_fingerprints
from pipelines.settings import DEFAULT_REPORTS_DIR


def inputs(name: str) -> list[AssetKey]:
    """The dbt models the report reads (pipelines.build_record.REPORT_INPUTS)."""
    return [AssetKey.from_user_string(key) for key in rec.REPORT_INPUTS[name]]


def reports_dir(warehouse: WarehouseResource) -> Path:
    path = Path(warehouse.reports_dir or DEFAULT_REPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_report(conn, name: str, as_of: str, run_id: str) -> None:
    """Record that the report `name` was made with this code, as of this date, from the warehouse as it is."""
    code = code_fingerprints()["reports"]
    record, _ = rec.read_record(conn)
    rec.write_record(conn, {f"report:{name}": rec.report_fingerprint(name, code, as_of, record), "report_code": code},
                     run_id)


@asset(
    key=AssetKey(["reports", "benefit_alerts"]),
    group_name="reports",
    deps=inputs("benefit_alerts"),
    kinds={"duckdb", "csv"},
    description=(
        "`reports/alerts_<as_of>.csv`: what is new since the previous alerts run — benefits whose status "
        "newly needs attention (marts.dim_benefit_status.needs_attention), projects newly watermelon, "
        "benefits rebaselined since then — with owners. The state compared against is kept in "
        "`audit.alert_state`."
    ),
)
def benefit_alerts(context: AssetExecutionContext, warehouse: WarehouseResource, config: RunOptions) -> MaterializeResult:
    as_of = config.as_of_date(warehouse)
    with warehouse.connect() as conn:  # one short write transaction: compute, write CSV, record state
        result = run_alerts(conn, reports_dir(warehouse), as_of, context.run.run_id)
        record_report(conn, "benefit_alerts", as_of.isoformat(), context.run.run_id)
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
    deps=inputs("board_pack"),
    kinds={"duckdb", "html"},
    description=(
        "`reports/board_pack_<yyyy-mm>.html` for the evaluation month: headline value and statuses, "
        "realization trend per portfolio, attention list, after-closure tracker and delivery health. "
        "One self-contained file that opens offline."
    ),
)
def board_pack(context: AssetExecutionContext, warehouse: WarehouseResource, config: RunOptions) -> MaterializeResult:
    as_of = config.as_of_date(warehouse)
    with warehouse.connect(read_only=True) as conn:
        result = write_board_pack(conn, reports_dir(warehouse), as_of)
    with warehouse.connect() as conn:
        record_report(conn, "board_pack", as_of.isoformat(), context.run.run_id)
    context.log.info(f"board pack for {result.evaluation_month:%B %Y}: {result.path} ({result.size / 1e6:.1f} MB)")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(result.path)),
            "size_bytes": result.size,
            "evaluation_month": result.evaluation_month.isoformat(),
            "charts": result.figures,
        }
    )
