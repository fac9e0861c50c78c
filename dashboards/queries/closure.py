"""Queries of the After closure page (SPEC section 1): closed projects and their benefits, stale
benefits with their owners, and the benefits the closure review chases.

Rows come from the reporting layer (reporting.rpt_project_board, reporting.rpt_benefit_board);
which statuses count as what is the vocabulary's flags on each row (is_tracked, needs_attention,
closure_attention). Every function takes the sidebar Filters, the benefit owner included. Money
follows the sidebar's currency (Filters.money, currency_clause, money_sum): by default every
amount in the reporting currency (null, with fx_rate_missing, when a rate is missing: never a
partial sum), or with one currency chosen the original amounts of that currency only (null for
the others). Amounts are never added across currencies unconverted.
"""

from __future__ import annotations

import pandas as pd

from dashboards.queries import BENEFIT_BOARD, PROJECT_BOARD, Filters, query, vocabulary

STALE = "stale"  # the SPEC's key of benefit status rule 4 (no recent measurement): its own list here


def closed_projects(filters: Filters, currency: str | None = None) -> pd.DataFrame:
    """One row per closed project: months since close, its benefits (those of the chosen owners)
    tracked and needing attention, realized to date vs annual planned value in the shown currency
    (null for projects in another currency, or when a rate is missing: fx_rate_missing).
    (`currency`: unused, the sidebar's Filters decide.)"""
    ben_sql, ben_params = filters.benefit_clause("r")
    proj_sql, proj_params = filters.project_clause("p")
    owner_sql, owner_params = filters.owner_scope("p.project_id")
    shown_sql, shown_params = filters.currency_clause("p")
    return query(
        f"""WITH per_project AS (
            SELECT r.project_id, count(*) AS benefits,
                   count(*) FILTER (WHERE r.is_tracked) AS still_tracked,
                   count(*) FILTER (WHERE r.needs_attention) AS needing_attention,
                   {filters.money_sum("r", "cumulative_realized_value", empty_is_zero=True)} AS realized_to_date,
                   {filters.money_sum("r", "annual_planned_value")} AS annual_planned_value,
                   {filters.rate_missing("r", "cumulative_realized_value")}
                       OR {filters.rate_missing("r", "annual_planned_value")} AS fx_rate_missing
            FROM {BENEFIT_BOARD} r WHERE r.is_after_closure AND {ben_sql} GROUP BY r.project_id
        )
        SELECT p.project_id, p.project_name, p.portfolio, p.programme, p.business_unit, p.sponsor,
               p.actual_close_date, p.months_since_close,
               coalesce(pp.benefits, 0) AS benefits, coalesce(pp.still_tracked, 0) AS still_tracked,
               coalesce(pp.needing_attention, 0) AS needing_attention, p.currency,
               CASE WHEN {shown_sql} THEN CASE WHEN pp.project_id IS NULL THEN 0 ELSE pp.realized_to_date END END
                   AS realized_to_date,
               CASE WHEN {shown_sql} THEN pp.annual_planned_value END AS annual_planned_value,
               coalesce(pp.fx_rate_missing, FALSE) AS fx_rate_missing
        FROM {PROJECT_BOARD} p LEFT JOIN per_project pp ON pp.project_id = p.project_id
        WHERE p.stage = 'closed' AND {proj_sql} AND {owner_sql}
        ORDER BY p.actual_close_date DESC, p.project_id""",
        [*ben_params, *shown_params, *shown_params, *proj_params, *owner_params],
    )


def closed_status_mix(filters: Filters) -> pd.DataFrame:
    """Benefits of closed projects by project and status (long form), statuses in board order."""
    sql, params = filters.benefit_clause("r")
    return query(
        f"""SELECT project_id, project_id || ' ' || project_name AS project,
               status, status_label, status_colour, status_board_order, count(*) AS benefits
        FROM {BENEFIT_BOARD} r WHERE r.is_after_closure AND {sql}
        GROUP BY ALL ORDER BY project_id, status_board_order""",
        params,
    )


def stale_benefits(filters: Filters) -> pd.DataFrame:
    """Every stale benefit with its owner: the review-meeting list (annual planned value in the
    shown currency)."""
    sql, params = filters.benefit_clause("r")
    shown_sql, shown_params = filters.currency_clause("r")
    return query(
        f"""SELECT benefit_owner, benefit_id, benefit_name, project_id, project_name, project_stage AS stage,
               kpi_id, kpi_name, last_measured_on, months_without_measurement, months_since_close,
               actual_close_date, review_until, currency,
               CASE WHEN {shown_sql} THEN r.{filters.money("annual_planned_value")} END AS annual_planned_value,
               {"r.fx_rate_missing" if filters.currency is None else "FALSE"} AS fx_rate_missing
        FROM {BENEFIT_BOARD} r WHERE r.status = ? AND {sql}
        ORDER BY benefit_owner, months_since_close DESC NULLS LAST, last_measured_on NULLS FIRST, benefit_id""",
        [*shown_params, vocabulary().by_key(STALE).code, *params],
    )


def stale_by_owner(filters: Filters) -> pd.DataFrame:
    """Stale benefits per owner: how many, which, and the oldest last measurement."""
    sql, params = filters.benefit_clause("r")
    return query(
        f"""SELECT benefit_owner, count(*) AS stale_benefits,
               count(*) FILTER (WHERE is_after_closure) AS after_closure,
               string_agg(benefit_id || ' ' || benefit_name, '; ' ORDER BY benefit_id) AS benefits,
               string_agg(DISTINCT project_id, ', ' ORDER BY project_id) AS projects,
               min(last_measured_on) AS oldest_last_measurement
        FROM {BENEFIT_BOARD} r WHERE r.status = ? AND {sql}
        GROUP BY benefit_owner ORDER BY stale_benefits DESC, benefit_owner""",
        [vocabulary().by_key(STALE).code, *params],
    )


def attention_after_closure(filters: Filters, currency: str | None = None) -> pd.DataFrame:
    """Benefits of closed projects whose status the closure review chases: worst status first, then
    the most money at stake (annual planned value in the shown currency: all currencies compare in
    the reporting currency; with one chosen, its benefits first), longest closed.
    (`currency`: unused, the sidebar's Filters decide.)"""
    sql, params = filters.benefit_clause("r")
    shown_sql, shown_params = filters.currency_clause("r")
    return query(
        f"""SELECT benefit_owner, benefit_id, benefit_name, project_id, project_name, status, status_label,
               currency,
               CASE WHEN {shown_sql} THEN r.{filters.money("cumulative_realized_value")} END AS realized_to_date,
               CASE WHEN {shown_sql} THEN r.{filters.money("annual_planned_value")} END AS annual_planned_value,
               {"r.fx_rate_missing" if filters.currency is None else "FALSE"} AS fx_rate_missing,
               trailing_realization_pct, peak_trailing_realization_pct, planned_pct, plan_attainment,
               last_measured_on, months_since_close
        FROM {BENEFIT_BOARD} r WHERE r.is_after_closure AND r.closure_attention AND {sql}
        ORDER BY status_board_order, {f"{shown_sql} DESC, " if filters.currency else ""}
                 r.{filters.money("annual_planned_value")} DESC NULLS LAST, months_since_close DESC, benefit_id""",
        [*shown_params, *shown_params, *params, *shown_params],
    )
