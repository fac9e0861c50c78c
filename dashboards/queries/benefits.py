"""Queries of the benefit pages (overview, benefit detail): public marts only."""

from __future__ import annotations

import pandas as pd

from dashboards.queries import Filters, query

_BENEFITS = """
    FROM marts.fct_benefit_status s
    JOIN marts.dim_benefit b USING (benefit_id)
    JOIN marts.dim_project p ON p.project_id = b.project_id
"""


def headline(filters: Filters) -> pd.DataFrame:
    """One row: annual planned value, cumulative realized and planned value (filter currency)."""
    where, params = filters.benefit_clause()
    return query(
        f"""
        SELECT
            count(*) AS benefits,
            sum(b.annual_planned_value) AS annual_planned_value,
            sum(s.cumulative_realized_value) AS cumulative_realized_value,
            sum(m.cumulative_planned_value) AS cumulative_planned_value
        {_BENEFITS}
        LEFT JOIN marts.fct_benefit_monthly m
            ON m.benefit_id = s.benefit_id AND m.period_month = s.evaluation_month
        WHERE {where} AND b.currency = ?
        """,
        (*params, filters.currency),
    )


def status_counts(filters: Filters) -> pd.DataFrame:
    where, params = filters.benefit_clause()
    return query(
        f"SELECT s.status, count(*) AS benefits {_BENEFITS} WHERE {where} GROUP BY s.status ORDER BY benefits DESC",
        params,
    )


def status_by_portfolio(filters: Filters) -> pd.DataFrame:
    where, params = filters.benefit_clause()
    return query(
        f"""SELECT p.portfolio, s.status, count(*) AS benefits {_BENEFITS}
        WHERE {where} GROUP BY ALL ORDER BY p.portfolio, s.status""",
        params,
    )


def realization_trend(filters: Filters) -> pd.DataFrame:
    """Realized vs planned monetized value per portfolio and month (filter currency)."""
    where, params = filters.benefit_clause()
    return query(
        f"""
        SELECT p.portfolio, m.period_month,
               sum(m.monetized_value) AS realized_value,
               sum(m.planned_monetized_value) AS planned_value,
               sum(m.cumulative_realized_value) AS cumulative_realized_value,
               sum(m.cumulative_planned_value) AS cumulative_planned_value
        FROM marts.fct_benefit_monthly m
        JOIN marts.dim_benefit b USING (benefit_id)
        JOIN marts.dim_project p ON p.project_id = b.project_id
        WHERE m.is_realization_period AND {where} AND b.currency = ?
        GROUP BY p.portfolio, m.period_month
        ORDER BY m.period_month, p.portfolio
        """,
        (*params, filters.currency),
    )


def attention(filters: Filters, statuses: tuple[str, ...]) -> pd.DataFrame:
    """Benefits needing attention first, with owners."""
    where, params = filters.benefit_clause()
    marks = ", ".join("?" for _ in statuses)
    return query(
        f"""
        SELECT s.status, b.benefit_id, b.benefit_name, p.project_name, p.portfolio, s.benefit_owner,
               s.trailing_realization_pct, s.planned_pct, s.plan_attainment, s.last_measured_on,
               s.months_since_close, b.currency, s.cumulative_realized_value, b.annual_planned_value
        {_BENEFITS}
        WHERE {where} AND s.status IN ({marks})
        ORDER BY array_position([{marks}], s.status), s.months_since_close DESC NULLS LAST, b.benefit_id
        """,
        (*params, *statuses, *statuses),
    )


def benefit_choices(filters: Filters) -> pd.DataFrame:
    where, params = filters.benefit_clause()
    return query(
        f"""SELECT b.benefit_id, b.benefit_name, p.project_name, s.status {_BENEFITS}
        WHERE {where} ORDER BY b.benefit_id""",
        params,
    )


def benefit(benefit_id: str) -> pd.DataFrame:
    return query(
        f"""
        SELECT b.*, s.status, s.trailing_realization_pct, s.planned_pct AS planned_pct_now, s.plan_attainment,
               s.forecast_realization_at_target, s.cumulative_realized_value, s.last_measured_on,
               s.months_since_close, s.evaluation_month, s.as_of_date,
               p.project_name, p.portfolio, p.programme, p.stage, p.actual_close_date, p.planned_end_date
        {_BENEFITS}
        WHERE b.benefit_id = ?
        """,
        (benefit_id,),
    )


def benefit_months(benefit_id: str) -> pd.DataFrame:
    return query(
        """SELECT period_month, has_data, actual_value, baseline_value, planned_value, target_value, improvement,
                  realization_pct, planned_pct, trailing_realization_pct, monetized_value,
                  planned_monetized_value, cumulative_realized_value, cumulative_planned_value
        FROM marts.fct_benefit_monthly WHERE benefit_id = ? ORDER BY period_month""",
        (benefit_id,),
    )


def rebaselining_history(benefit_id: str) -> pd.DataFrame:
    """Every version of the benefit's goalposts (snapshots.snap_benefits, public)."""
    return query(
        """SELECT dbt_valid_from AS valid_from, dbt_valid_to AS valid_to, baseline_value, baseline_start,
                  baseline_end, target_value, target_date, realization_start, review_until, profile
        FROM snapshots.snap_benefits WHERE benefit_id = ? ORDER BY dbt_valid_from""",
        (benefit_id,),
    )
