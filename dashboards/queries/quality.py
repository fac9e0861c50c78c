"""Data quality queries: loads, quarantine, KPI freshness, invalid benefits, double counting."""

from __future__ import annotations

import pandas as pd

from dashboards.queries import query


def last_load_per_file() -> pd.DataFrame:
    return query(
        """
        SELECT source, source_file, rows_read, rows_loaded, rows_quarantined, loaded_at AS last_loaded_at
        FROM audit.load_audit
        QUALIFY row_number() OVER (PARTITION BY source, source_file ORDER BY loaded_at DESC) = 1  -- a file may feed two tables
        ORDER BY source, source_file
        """
    )


def loads_by_run() -> pd.DataFrame:
    return query(
        """
        SELECT run_id, min(loaded_at) AS loaded_at, count(*) AS files,
               sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
               sum(rows_quarantined) AS rows_quarantined
        FROM audit.load_audit GROUP BY run_id ORDER BY loaded_at DESC
        """
    )


def quarantine_by_reason() -> pd.DataFrame:
    return query(
        "SELECT reason, source_file, count(*) AS rows FROM audit.quarantine GROUP BY ALL ORDER BY rows DESC, reason"
    )


def quarantined_rows(limit: int = 1000) -> pd.DataFrame:
    return query(
        """SELECT source_file, row_number, reason, column_name, detail, record, loaded_at
        FROM audit.quarantine ORDER BY source_file, row_number LIMIT ?""",
        (limit,),
    )


def kpi_freshness() -> pd.DataFrame:
    """Each KPI's latest measurement against its declared frequency, as of the run (marts.dim_kpi)."""
    return query(
        """SELECT kpi_id, kpi_name, unit, frequency, data_owner, source_system, last_measured_on,
                  measurement_count, days_since_last_measurement, allowed_days, is_late
        FROM marts.dim_kpi ORDER BY is_late DESC, days_since_last_measurement DESC NULLS FIRST, kpi_id"""
    )


def incomplete_evaluation_months() -> pd.DataFrame:
    """KPIs measured in the evaluation month but not to its end (SPEC section 3: the month reads
    as no data), with how many benefits rest on each (marts.dim_kpi, reporting.rpt_benefit_board)."""
    return query(
        """SELECT k.kpi_id, k.kpi_name, k.frequency, k.evaluation_month, k.evaluation_month_last_measured_on,
                  k.evaluation_month_measurements, k.data_owner, k.source_system,
                  (SELECT count(*) FROM reporting.rpt_benefit_board b WHERE b.kpi_id = k.kpi_id) AS benefits
        FROM marts.dim_kpi k
        WHERE k.evaluation_month_measurements > 0 AND NOT k.is_evaluation_month_complete
        ORDER BY k.evaluation_month_last_measured_on, k.kpi_id"""
    )


def invalid_benefits() -> pd.DataFrame:
    return query("SELECT * FROM marts.fct_invalid_benefits ORDER BY benefit_id")


def over_claimed_kpis() -> pd.DataFrame:
    """KPIs whose improvement benefits claim more than 100 % of (reporting.rpt_attribution_overlap)."""
    return query(
        """SELECT kpi_id, kpi_name, claiming_benefit_ids, benefit_owners, max_claimed_attribution_pct,
                  first_overlap_month, last_overlap_month, overlap_months, over_claimed_value, currency
        FROM reporting.rpt_attribution_overlap ORDER BY kpi_id, currency"""
    )
