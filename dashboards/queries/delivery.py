"""Queries of the Delivery health page (SPEC section 6): reported next to derived RAG,
watermelons, earned value, client margin, RAID aging and the monthly health history.

Projects come from the project board (reporting.rpt_project_board: register, health and benefit
totals in one row), the history from marts.fct_project_health_monthly. Every function takes the
sidebar Filters: portfolio, programme and business unit through `project_clause`, the benefit
owner wherever benefits are involved. Money follows the sidebar's currency (Filters.money,
currency_clause): by default every project's amounts in the reporting currency (the _reporting
columns, null with fx_rate_missing when a rate is missing); with one currency chosen, only the
projects in it with their original amounts. Amounts are never added across currencies unconverted.
"""

from __future__ import annotations

import pandas as pd

from dashboards.queries import BENEFIT_BOARD, PROJECT_BOARD, Filters, query

RAG_ORDER = ("green", "amber", "red")  # the RAG values of status reports and of the derived RAG (SPEC 6)
NO_REPORT = "no report"


def currencies() -> pd.DataFrame:
    """The register's currencies, the one with most benefits first (what the sidebar preselects)."""
    return query(
        f"""SELECT currency, sum(benefits) AS benefits, count(*) AS projects FROM {PROJECT_BOARD}
        GROUP BY currency ORDER BY benefits DESC, projects DESC, currency"""
    )


def default_currency() -> str | None:
    """The currency of most benefits; None on an empty register."""
    frame = currencies()
    return None if frame.empty else frame["currency"].iloc[0]


def _health_from(filters: Filters) -> tuple[str, list]:
    """FROM the project board (alias h) within the project filters."""
    sql, params = filters.project_clause("h")
    return f"FROM {PROJECT_BOARD} h WHERE {sql}", params


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
        f"""SELECT h.project_id, h.project_name, h.portfolio, h.sponsor, h.project_manager,
               h.watermelon_months, h.last_report_date, h.reported_rag, h.derived_rag, h.derived_rag_reasons
        {source} AND h.is_watermelon
        ORDER BY h.watermelon_months DESC, h.project_id""",
        params,
    )


def benefits_watermelons(filters: Filters) -> pd.DataFrame:
    """Projects reporting benefits green while a benefit's status says otherwise (the vocabulary's
    flags_benefits_watermelon): those benefits with their status labels, and their owners."""
    source, params = _health_from(filters)
    flagged = f"FROM {BENEFIT_BOARD} r WHERE r.flags_benefits_watermelon"
    owner_sql, owner_params = "TRUE", []
    if filters.owners:
        owner_sql = (f"h.project_id IN (SELECT r.project_id {flagged} "
                     f"AND r.benefit_owner IN ({', '.join('?' for _ in filters.owners)}))")
        owner_params = list(filters.owners)
    return query(
        f"""SELECT h.project_id, h.project_name, h.stage, h.last_report_date, h.reported_benefits_rag,
               h.flagged_benefits,
               (SELECT string_agg(r.benefit_id || ' ' || r.status_label, ', ' ORDER BY r.benefit_id)
                {flagged} AND r.project_id = h.project_id) AS flagged_benefit_statuses,
               h.flagged_benefit_owners AS owners, h.flagged_benefit_list
        {source} AND h.is_benefits_watermelon AND {owner_sql}
        ORDER BY h.flagged_benefits DESC, h.project_id""",
        [*params, *owner_params],
    )


def performance_indices(filters: Filters) -> pd.DataFrame:
    """CPI and SPI per project (latest financial month up to the evaluation month)."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, h.project_name, h.stage, h.latest_financial_month, h.cpi, h.spi,
               h.max_key_slippage_days, h.reported_rag, h.derived_rag, h.derived_rag_reasons
        {source}
        ORDER BY h.project_id""",
        params,
    )


MARGIN_MONEY = ("margin_leakage", "planned_margin", "forecast_margin", "unbilled_approved_change_cost",
                "approved_change_cost", "contract_value", "budget_at_completion")


def margin_leakage(filters: Filters, currency: str | None = None) -> pd.DataFrame:
    """Client projects whose money is shown (Filters.currency: all, in the reporting currency, or
    one currency): planned vs forecast margin and the leakage, the money columns under their own
    names in the shown currency; `currency` is each project's own, fx_rate_missing marks a
    project whose amounts have no rate. (`currency`: unused, the sidebar's Filters decide.)"""
    source, params = _health_from(filters)
    in_currency, currency_params = filters.currency_clause("h")
    money = ", ".join(f"h.{filters.money(col)} AS {col}" for col in MARGIN_MONEY)
    return query(
        f"""SELECT h.project_id, h.project_name, {money}, h.pending_change_requests, h.currency,
               {"h.fx_rate_missing" if filters.currency is None else "FALSE"} AS fx_rate_missing
        {source} AND h.contract_value IS NOT NULL AND {in_currency}
        ORDER BY h.{filters.money("margin_leakage")} DESC NULLS LAST, h.project_id""",
        [*params, *currency_params],
    )


def client_projects_in_other_currencies(filters: Filters, currency: str | None = None) -> int:
    """Client projects left out because another currency is chosen (0 for all currencies).
    (`currency`: unused, the sidebar's Filters decide.)"""
    if filters.currency is None:
        return 0
    source, params = _health_from(filters)
    frame = query(
        f"SELECT count(*) AS n {source} AND h.contract_value IS NOT NULL AND h.currency IS DISTINCT FROM ?",
        [*params, filters.currency],
    )
    return int(frame["n"].iloc[0])


def raid_aging(filters: Filters) -> pd.DataFrame:
    """Open RAID items, documented-not-mitigated, oldest open item and overdue decisions per project."""
    source, params = _health_from(filters)
    return query(
        f"""SELECT h.project_id, h.project_name, h.project_manager, h.open_raid_items, h.open_risks, h.open_issues,
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
        f"""SELECT h.project_id, h.project_name, h.is_watermelon, h.watermelon_months
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
