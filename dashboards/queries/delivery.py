"""Queries of the two PMO pages: benefits after closure, and delivery health (SPEC sections 1, 6, 7).

Only the public marts are read. Every function takes the sidebar Filters: portfolio, programme
and business unit through `project_clause`, the benefit owner through `benefit_clause` wherever
benefits are involved. Money columns are returned only for projects in the chosen currency
(null for the others): amounts are never added across currencies.
"""

from __future__ import annotations

import pandas as pd

from dashboards.queries import Filters, query

# fct_benefit_status.status values, in the order a board reads them (best to worst, then inactive)
STATUSES = (
    "achieved", "on_track", "within_tolerance", "at_risk", "off_track", "eroding", "exceeded", "stale",
    "not_started", "tracking_ended", "no_baseline",
)
AFTER_CLOSURE_ATTENTION = ("off_track", "eroding", "exceeded")  # stale has its own list
RAG_ORDER = ("green", "amber", "red")
NO_REPORT = "no report"

_AS_OF = "(SELECT max(as_of_date) FROM marts.fct_benefit_status)"
_MONTHS_SINCE_CLOSE = (
    "date_diff('month', date_trunc('month', p.actual_close_date), date_trunc('month', " + _AS_OF + "))"
)


def default_currency() -> str | None:
    """The currency of most benefits (what the sidebar preselects); None on an empty register."""
    frame = query(
        """SELECT p.currency, count(b.benefit_id) AS n FROM marts.dim_project p
        LEFT JOIN marts.dim_benefit b ON b.project_id = p.project_id
        GROUP BY p.currency ORDER BY n DESC, p.currency LIMIT 1"""
    )
    return None if frame.empty else frame["currency"].iloc[0]


def _owner_scope(filters: Filters, project_column: str = "p.project_id") -> tuple[str, list]:
    """With an owner filter: keep only projects with a benefit of those owners."""
    if not filters.owners:
        return "TRUE", []
    marks = ", ".join("?" for _ in filters.owners)
    return (
        f"{project_column} IN (SELECT project_id FROM marts.dim_benefit WHERE benefit_owner IN ({marks}))",
        list(filters.owners),
    )


# ---------------------------------------------------------------- after closure


def closed_projects(filters: Filters, currency: str | None) -> pd.DataFrame:
    """One row per closed project: months since close, benefits by status, realized vs planned value."""
    ben_sql, ben_params = filters.benefit_clause("p", "b")
    proj_sql, proj_params = filters.project_clause("p")
    owner_sql, owner_params = _owner_scope(filters)
    status_columns = ", ".join(
        f"count(ben.benefit_id) FILTER (WHERE ben.status = '{s}') AS \"{s}\"" for s in STATUSES
    )
    status_select = ", ".join(f'coalesce(pp."{s}", 0) AS "{s}"' for s in STATUSES)
    sql = f"""
        WITH ben AS (
            SELECT s.benefit_id, s.project_id, s.status, s.cumulative_realized_value, s.annual_planned_value
            FROM marts.fct_benefit_status s
            JOIN marts.dim_benefit b ON b.benefit_id = s.benefit_id
            JOIN marts.dim_project p ON p.project_id = s.project_id
            WHERE p.stage = 'closed' AND {ben_sql}
        ),
        per_project AS (
            SELECT ben.project_id,
                   count(ben.benefit_id) AS benefits,
                   count(ben.benefit_id) FILTER (WHERE ben.status <> 'tracking_ended') AS still_tracked,
                   count(ben.benefit_id) FILTER (WHERE ben.status IN ('stale', 'off_track', 'eroding', 'exceeded'))
                       AS needing_attention,
                   {status_columns},
                   coalesce(sum(ben.cumulative_realized_value), 0) AS realized_to_date,
                   sum(ben.annual_planned_value) AS annual_planned_value
            FROM ben GROUP BY ben.project_id
        )
        SELECT p.project_id, p.project_name, p.portfolio, p.programme, p.business_unit, p.sponsor,
               p.actual_close_date, {_MONTHS_SINCE_CLOSE} AS months_since_close,
               coalesce(pp.benefits, 0) AS benefits,
               coalesce(pp.still_tracked, 0) AS still_tracked,
               coalesce(pp.needing_attention, 0) AS needing_attention,
               {status_select},
               p.currency,
               CASE WHEN p.currency = ? THEN coalesce(pp.realized_to_date, 0) END AS realized_to_date,
               CASE WHEN p.currency = ? THEN pp.annual_planned_value END AS annual_planned_value
        FROM marts.dim_project p
        LEFT JOIN per_project pp ON pp.project_id = p.project_id
        WHERE p.stage = 'closed' AND {proj_sql} AND {owner_sql}
        ORDER BY p.actual_close_date DESC, p.project_id
    """
    return query(sql, [*ben_params, currency, currency, *proj_params, *owner_params])


def closed_status_mix(filters: Filters) -> pd.DataFrame:
    """Benefits of closed projects by project and status (long form, for the stacked bar)."""
    sql, params = filters.benefit_clause("p", "b")
    return query(
        f"""
        SELECT p.project_id, p.project_id || ' ' || p.project_name AS project, s.status, count(*) AS benefits
        FROM marts.fct_benefit_status s
        JOIN marts.dim_benefit b ON b.benefit_id = s.benefit_id
        JOIN marts.dim_project p ON p.project_id = s.project_id
        WHERE p.stage = 'closed' AND {sql}
        GROUP BY ALL ORDER BY p.project_id, s.status
        """,
        params,
    )


def stale_benefits(filters: Filters) -> pd.DataFrame:
    """Every stale benefit (no measurement for three months) with its owner: the review-meeting list."""
    sql, params = filters.benefit_clause("p", "b")
    return query(
        f"""
        SELECT s.benefit_owner, s.benefit_id, b.benefit_name, p.project_id, p.project_name, p.stage,
               b.kpi_id, b.kpi_name, s.last_measured_on,
               date_diff('month', date_trunc('month', s.last_measured_on), s.evaluation_month)
                   AS months_without_measurement,
               s.months_since_close, p.actual_close_date, b.review_until
        FROM marts.fct_benefit_status s
        JOIN marts.dim_benefit b ON b.benefit_id = s.benefit_id
        JOIN marts.dim_project p ON p.project_id = s.project_id
        WHERE s.status = 'stale' AND {sql}
        ORDER BY s.benefit_owner, s.months_since_close DESC NULLS LAST, s.last_measured_on NULLS FIRST, s.benefit_id
        """,
        params,
    )


def stale_by_owner(filters: Filters) -> pd.DataFrame:
    """Stale benefits per owner: how many, which, and the oldest last measurement."""
    sql, params = filters.benefit_clause("p", "b")
    return query(
        f"""
        SELECT s.benefit_owner, count(*) AS stale_benefits,
               count(*) FILTER (WHERE p.stage = 'closed') AS after_closure,
               string_agg(s.benefit_id || ' ' || b.benefit_name, '; ' ORDER BY s.benefit_id) AS benefits,
               string_agg(DISTINCT p.project_id, ', ' ORDER BY p.project_id) AS projects,
               min(s.last_measured_on) AS oldest_last_measurement
        FROM marts.fct_benefit_status s
        JOIN marts.dim_benefit b ON b.benefit_id = s.benefit_id
        JOIN marts.dim_project p ON p.project_id = s.project_id
        WHERE s.status = 'stale' AND {sql}
        GROUP BY s.benefit_owner
        ORDER BY stale_benefits DESC, s.benefit_owner
        """,
        params,
    )


def attention_after_closure(filters: Filters, currency: str | None) -> pd.DataFrame:
    """Benefits of closed projects that are off_track, eroding or exceeded (dis-benefits)."""
    sql, params = filters.benefit_clause("p", "b")
    marks = ", ".join("?" for _ in AFTER_CLOSURE_ATTENTION)
    return query(
        f"""
        SELECT s.benefit_owner, s.benefit_id, b.benefit_name, p.project_id, p.project_name, s.status,
               s.trailing_realization_pct, s.peak_trailing_realization_pct, s.planned_pct, s.plan_attainment,
               s.last_measured_on, s.months_since_close, p.currency,
               CASE WHEN p.currency = ? THEN s.cumulative_realized_value END AS realized_to_date,
               CASE WHEN p.currency = ? THEN s.annual_planned_value END AS annual_planned_value
        FROM marts.fct_benefit_status s
        JOIN marts.dim_benefit b ON b.benefit_id = s.benefit_id
        JOIN marts.dim_project p ON p.project_id = s.project_id
        WHERE p.stage = 'closed' AND s.status IN ({marks}) AND {sql}
        ORDER BY array_position(['off_track', 'eroding', 'exceeded'], s.status), s.months_since_close DESC,
                 s.benefit_id
        """,
        [currency, currency, *AFTER_CLOSURE_ATTENTION, *params],
    )


# ---------------------------------------------------------------- delivery health


def _health_from(filters: Filters) -> tuple[str, list]:
    sql, params = filters.project_clause("p")
    return (
        f"""FROM marts.fct_project_health h JOIN marts.dim_project p ON p.project_id = h.project_id
        WHERE {sql}""",
        params,
    )


def health_summary(filters: Filters) -> pd.DataFrame:
    """One row: projects, derived RAG counts, watermelons, benefits watermelons."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT count(*) AS projects,
               count(*) FILTER (WHERE h.derived_rag = 'red') AS derived_red,
               count(*) FILTER (WHERE h.derived_rag = 'amber') AS derived_amber,
               count(*) FILTER (WHERE h.reported_rag = 'green') AS reported_green,
               count(*) FILTER (WHERE h.is_watermelon) AS watermelons,
               count(*) FILTER (WHERE h.is_benefits_watermelon) AS benefits_watermelons
        {source}""",
        params,
    )


def rag_matrix(filters: Filters) -> pd.DataFrame:
    """Projects by latest reported overall RAG (or no report) x derived RAG, every cell present."""
    source, params = _health_from(filters)
    return query(
        f"""
        WITH reported(reported_rag, r) AS (VALUES ('green', 1), ('amber', 2), ('red', 3), ('{NO_REPORT}', 4)),
             derived(derived_rag, d) AS (VALUES ('green', 1), ('amber', 2), ('red', 3)),
             h AS (SELECT coalesce(h.reported_rag, '{NO_REPORT}') AS reported_rag, h.derived_rag, h.project_id
                   {source})
        SELECT reported.reported_rag, derived.derived_rag, count(h.project_id) AS projects,
               coalesce(string_agg(h.project_id, ', ' ORDER BY h.project_id), '') AS project_ids
        FROM reported CROSS JOIN derived
        LEFT JOIN h ON h.reported_rag = reported.reported_rag AND h.derived_rag = derived.derived_rag
        GROUP BY reported.reported_rag, reported.r, derived.derived_rag, derived.d
        ORDER BY reported.r, derived.d
        """,
        params,
    )


def watermelons(filters: Filters) -> pd.DataFrame:
    """Projects reported green while derived red, longest-running first, with the reasons."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, p.project_name, p.portfolio, p.sponsor, p.project_manager,
               h.watermelon_months, h.last_report_date, h.reported_rag, h.derived_rag, h.derived_rag_reasons
        {source} AND h.is_watermelon
        ORDER BY h.watermelon_months DESC, h.project_id""",
        params,
    )


def benefits_watermelons(filters: Filters) -> pd.DataFrame:
    """Projects reporting benefits green while a benefit is off_track, eroding or stale."""
    source, params = _health_from(filters)
    owner_sql, owner_params = ("TRUE", [])
    if filters.owners:
        marks = ", ".join("?" for _ in filters.owners)
        owner_sql = f"""h.project_id IN (
            SELECT s.project_id FROM marts.fct_benefit_status s
            WHERE s.status IN ('off_track', 'eroding', 'stale') AND s.benefit_owner IN ({marks}))"""
        owner_params = list(filters.owners)
    return query(
        f"""SELECT h.project_id, p.project_name, p.stage, h.last_report_date, h.reported_benefits_rag,
               h.flagged_benefits, h.flagged_benefit_list,
               (SELECT string_agg(DISTINCT s.benefit_owner, ', ' ORDER BY s.benefit_owner)
                FROM marts.fct_benefit_status s
                WHERE s.project_id = h.project_id AND s.status IN ('off_track', 'eroding', 'stale')) AS owners
        {source} AND h.is_benefits_watermelon AND {owner_sql}
        ORDER BY h.flagged_benefits DESC, h.project_id""",
        [*params, *owner_params],
    )


def performance_indices(filters: Filters) -> pd.DataFrame:
    """CPI and SPI per project (latest financial month up to the evaluation month)."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, p.project_name, p.stage, h.latest_financial_month, h.cpi, h.spi,
               h.max_key_slippage_days, h.reported_rag, h.derived_rag, h.derived_rag_reasons
        {source}
        ORDER BY h.project_id""",
        params,
    )


def margin_leakage(filters: Filters, currency: str | None) -> pd.DataFrame:
    """Client projects in the chosen currency: planned vs forecast margin and the leakage."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, p.project_name, p.currency, p.contract_value, p.budget_at_completion,
               h.planned_margin, h.forecast_margin, h.margin_leakage, h.approved_change_cost,
               h.unbilled_approved_change_cost, h.pending_change_requests
        {source} AND p.contract_value IS NOT NULL AND p.currency = ?
        ORDER BY h.margin_leakage DESC NULLS LAST, h.project_id""",
        [*params, currency],
    )


def client_projects_in_other_currencies(filters: Filters, currency: str | None) -> int:
    source, params = _health_from(filters)
    frame = query(
        f"SELECT count(*) AS n {source} AND p.contract_value IS NOT NULL AND p.currency IS DISTINCT FROM ?",
        [*params, currency],
    )
    return int(frame["n"].iloc[0])


def raid_aging(filters: Filters) -> pd.DataFrame:
    """Open RAID items, documented-not-mitigated, oldest open item and overdue decisions per project."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, p.project_name, p.project_manager, h.open_raid_items, h.open_risks, h.open_issues,
               h.oldest_open_item_days, h.documented_not_mitigated, h.critical_documented_not_mitigated,
               h.open_decisions, h.overdue_decisions, h.median_decision_latency_days, h.derived_rag
        {source}
        ORDER BY h.critical_documented_not_mitigated DESC, h.documented_not_mitigated DESC,
                 h.overdue_decisions DESC, h.oldest_open_item_days DESC NULLS LAST, h.project_id""",
        params,
    )


def history_projects(filters: Filters) -> pd.DataFrame:
    """Projects with a monthly health history; current watermelons first, longest streak first."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, p.project_name, h.is_watermelon, h.watermelon_months
        {source} AND h.project_id IN (SELECT project_id FROM marts.fct_project_health_monthly)
        ORDER BY h.is_watermelon DESC, h.watermelon_months DESC, h.project_id""",
        params,
    )


def health_history(project_id: str) -> pd.DataFrame:
    """Month-by-month reported and derived RAG of one project."""
    return query(
        """SELECT period_month, reported_rag, derived_rag, is_watermelon, watermelon_streak_months,
               cpi, spi, max_key_slippage_days, open_raid_items, documented_not_mitigated, overdue_decisions,
               derived_rag_reasons
        FROM marts.fct_project_health_monthly WHERE project_id = ? ORDER BY period_month""",
        [project_id],
    )
