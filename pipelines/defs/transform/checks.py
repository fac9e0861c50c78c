"""Asset checks on the marts, beside the dbt tests (the ingest assets report their own checks).

- kpi_freshness (WARN): KPIs whose last measurement is older than their frequency allows.
- benefits_have_owner (ERROR, blocking): every valid benefit names an owner.
- status_covers_every_benefit (ERROR, blocking): fct_benefit_status has one row per valid benefit.

The `*_result` functions hold the logic over a DuckDB connection, so each one can be tested on
a warehouse with a planted problem.
"""

from __future__ import annotations

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from pipelines.defs.metadata import markdown_table
from pipelines.defs.resources import WarehouseResource


@asset_check(asset=AssetKey(["marts", "dim_kpi"]), name="kpi_freshness",
             description="KPIs measured as often as their frequency says")
def check_kpi_freshness(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return kpi_freshness_result(conn)


@asset_check(asset=AssetKey(["marts", "dim_benefit"]), name="benefits_have_owner",
             description="Every benefit names its owner", blocking=True)
def check_benefits_have_owner(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return benefits_have_owner_result(conn)


@asset_check(
    asset=AssetKey(["marts", "fct_benefit_status"]),
    name="status_covers_every_benefit",
    description="One status row per valid benefit (dim_benefit)",
    blocking=True,
)
def check_status_covers_every_benefit(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connect(read_only=True) as conn:
        return status_covers_every_benefit_result(conn)


def kpi_freshness_result(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    late = conn.execute(
        """SELECT kpi_id, kpi_name, frequency, last_measured_on, days_since_last_measurement, data_owner
        FROM marts.dim_kpi WHERE is_late ORDER BY days_since_last_measurement DESC NULLS FIRST, kpi_id"""
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0]
    return AssetCheckResult(
        check_name="kpi_freshness",
        passed=not late,
        severity=AssetCheckSeverity.WARN,
        description=f"{len(late)} of {total} KPIs late against their frequency",
        metadata={"late_kpis": len(late), "late": markdown_table(
            late, ("kpi", "name", "frequency", "last measured", "days since", "data owner")) if late else "none"},
    )


def benefits_have_owner_result(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    orphans = conn.execute(
        """SELECT benefit_id, benefit_name, project_id FROM marts.dim_benefit
        WHERE benefit_owner IS NULL OR trim(benefit_owner) = '' ORDER BY benefit_id"""
    ).fetchall()
    return AssetCheckResult(
        check_name="benefits_have_owner",
        passed=not orphans,
        severity=AssetCheckSeverity.ERROR,
        description="every benefit has an owner" if not orphans else f"{len(orphans)} benefit(s) without an owner",
        metadata={"without_owner": markdown_table(orphans, ("benefit", "name", "project")) if orphans else "none"},
    )


def status_covers_every_benefit_result(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    valid, statuses, missing = conn.execute(
        """SELECT (SELECT count(*) FROM marts.dim_benefit),
                  (SELECT count(*) FROM marts.fct_benefit_status),
                  (SELECT count(*) FROM marts.dim_benefit b
                   WHERE NOT EXISTS (SELECT 1 FROM marts.fct_benefit_status s WHERE s.benefit_id = b.benefit_id))"""
    ).fetchone()
    passed = valid == statuses and missing == 0
    return AssetCheckResult(
        check_name="status_covers_every_benefit",
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=f"{statuses} status rows for {valid} valid benefits" + ("" if passed else f", {missing} missing"),
        metadata={"valid_benefits": valid, "status_rows": statuses, "missing": missing},
    )
