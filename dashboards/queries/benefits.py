"""Queries of the benefit pages (overview, benefit detail): the benefit board rows
(reporting.rpt_benefit_board), the portfolio trend (reporting.rpt_portfolio_month) and one
benefit's history (marts.fct_benefit_monthly, marts.fct_benefit_versions)."""

from __future__ import annotations

import pandas as pd

from dashboards.queries import BENEFIT_BOARD, Filters, query

_STATUS = "status, status_label, status_colour, status_board_order"


def headline(filters: Filters) -> pd.DataFrame:
    """One row: annual planned value, cumulative realized and planned value (filter currency)."""
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT count(*) AS benefits,
               sum(r.annual_planned_value) AS annual_planned_value,
               sum(r.cumulative_realized_value) AS cumulative_realized_value,
               sum(r.cumulative_planned_value) AS cumulative_planned_value
        FROM {BENEFIT_BOARD} r WHERE {where} AND r.currency = ?""",
        (*params, filters.currency),
    )


def status_counts(filters: Filters) -> pd.DataFrame:
    """Benefits per status in board order, with the status's label, colour and attention flag."""
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT {_STATUS}, needs_attention, count(*) AS benefits FROM {BENEFIT_BOARD} r
        WHERE {where} GROUP BY ALL ORDER BY status_board_order""",
        params,
    )


def status_by_portfolio(filters: Filters) -> pd.DataFrame:
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT portfolio, {_STATUS}, count(*) AS benefits FROM {BENEFIT_BOARD} r
        WHERE {where} GROUP BY ALL ORDER BY portfolio, status_board_order""",
        params,
    )


def realization_trend(filters: Filters) -> pd.DataFrame:
    """Realized vs planned monetized value per portfolio and month (filter currency).

    The board's trend (reporting.rpt_portfolio_month) when at most portfolios are chosen; with a
    programme, business unit or owner, the sum of the monthly history of the chosen benefits."""
    if not (filters.programmes or filters.business_units or filters.owners):
        where, params = filters.project_clause("t")
        return query(
            f"""SELECT portfolio, period_month, realized_value, planned_monetized_value AS planned_value,
                   cumulative_realized_value, cumulative_planned_value
            FROM reporting.rpt_portfolio_month t WHERE {where} AND t.currency = ? AND NOT t.is_reporting_total
            ORDER BY period_month, portfolio""",
            (*params, filters.currency),
        )
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT r.portfolio, m.period_month,
               sum(m.monetized_value) AS realized_value,
               sum(m.planned_monetized_value) AS planned_value,
               sum(m.cumulative_realized_value) AS cumulative_realized_value,
               sum(m.cumulative_planned_value) AS cumulative_planned_value
        FROM marts.fct_benefit_monthly m JOIN {BENEFIT_BOARD} r USING (benefit_id)
        WHERE m.is_realization_period AND {where} AND r.currency = ?
        GROUP BY r.portfolio, m.period_month
        ORDER BY m.period_month, r.portfolio""",
        (*params, filters.currency),
    )


def attention(filters: Filters) -> pd.DataFrame:
    """Benefits whose status needs attention with their owners: worst status first, then the most
    money at stake (annual planned value, the chosen currency's first), then longest closed."""
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT {_STATUS}, benefit_id, benefit_name, project_name, portfolio, benefit_owner, currency,
               cumulative_realized_value, annual_planned_value, trailing_realization_pct, planned_pct,
               plan_attainment, last_measured_on, months_since_close
        FROM {BENEFIT_BOARD} r WHERE {where} AND r.needs_attention
        ORDER BY status_board_order, currency = ? DESC, annual_planned_value DESC NULLS LAST,
                 months_since_close DESC NULLS LAST, benefit_id""",
        (*params, filters.currency),
    )


def benefit_choices(filters: Filters) -> pd.DataFrame:
    where, params = filters.benefit_clause("r")
    return query(
        f"""SELECT benefit_id, benefit_name, project_name, status FROM {BENEFIT_BOARD} r
        WHERE {where} ORDER BY benefit_id""",
        params,
    )


def benefit(benefit_id: str) -> pd.DataFrame:
    """The benefit's board row and the register parameters behind it (marts.dim_benefit)."""
    return query(
        f"""SELECT r.*, b.direction, b.baseline_value, b.baseline_source, b.target_value, b.profile,
               b.attribution_pct, b.value_per_unit, b.realization_start, b.target_month,
               k.frequency, k.evaluation_month_last_measured_on
        FROM {BENEFIT_BOARD} r JOIN marts.dim_benefit b USING (benefit_id) JOIN marts.dim_kpi k ON k.kpi_id = r.kpi_id
        WHERE r.benefit_id = ?""",
        (benefit_id,),
    )


def benefit_months(benefit_id: str) -> pd.DataFrame:
    return query(
        """SELECT period_month, has_data, is_complete_month, measurement_count, actual_value, baseline_value, planned_value, target_value, improvement,
                  realization_pct, planned_pct, trailing_realization_pct, monetized_value,
                  planned_monetized_value, cumulative_realized_value, cumulative_planned_value
        FROM marts.fct_benefit_monthly WHERE benefit_id = ? ORDER BY period_month""",
        (benefit_id,),
    )


def rebaselining_history(benefit_id: str) -> pd.DataFrame:
    """Every version of the benefit's goalposts (marts.fct_benefit_versions)."""
    return query(
        """SELECT version_number AS version, valid_from, valid_to, baseline_value, baseline_start, baseline_end,
                  target_value, target_date, realization_start, review_until, profile
        FROM marts.fct_benefit_versions WHERE benefit_id = ? ORDER BY version_number""",
        (benefit_id,),
    )
