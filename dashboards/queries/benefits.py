"""Queries of the benefit pages (overview, benefit detail): the benefit board rows
(reporting.rpt_benefit_board), the portfolio trend (reporting.rpt_portfolio_month) and one
benefit's history (marts.fct_benefit_monthly, marts.fct_benefit_versions) and its owner's
check-ins (marts.fct_benefit_checkin)."""

from __future__ import annotations

import pandas as pd

from dashboards import access
from dashboards.queries import BENEFIT_BOARD, Filters, query

_STATUS = "status, status_label, status_colour, status_board_order"


def headline(filters: Filters) -> pd.DataFrame:
    """One row: the portfolio totals of the chosen benefits in the filter currency, summed from
    rpt_benefit_board's *_in_totals columns (the definition rpt_portfolio_board, the board pack and
    the run summary share): annual planned benefit, dis-benefit (a positive cost) and net; realized
    and planned value to date; value at stake of the attention benefits. Over-claimed KPI
    improvement counts at 100 %."""
    where, params = filters.benefit_clause("r")
    cur, cur_params = filters.currency_clause("r")
    total = filters.money_sum
    return query(
        f"""SELECT count(*) AS benefits,
               {total("r", "annual_planned_benefit_in_totals")} AS annual_planned_benefit,
               {total("r", "annual_planned_disbenefit_in_totals")} AS annual_planned_disbenefit,
               {total("r", "annual_planned_net_in_totals")} AS annual_planned_net,
               {total("r", "cumulative_realized_value_in_totals")} AS cumulative_realized_value,
               {total("r", "cumulative_planned_value_in_totals")} AS cumulative_planned_value,
               {total("r", "value_at_stake_in_totals", empty_is_zero=True)} AS value_at_stake,
               count(*) FILTER (WHERE r.value_at_stake_in_totals > 0) AS benefits_at_stake,
               count(*) FILTER (WHERE r.fx_rate_missing) AS benefits_without_rate
        FROM {BENEFIT_BOARD} r WHERE {where} AND {cur}""",
        (*params, *cur_params),
    )


def value_at_stake(filters: Filters) -> pd.DataFrame:
    """The attention benefits with value at stake in the filter currency, the most first, with
    their owners: to date, over the rest of the review window at the current trend, and both."""
    where, params = filters.benefit_clause("r")
    cur, cur_params = filters.currency_clause("r")
    money = filters.money
    return query(
        f"""SELECT {money("value_at_stake_rank")} AS value_at_stake_rank, benefit_id, benefit_name, {_STATUS},
               benefit_owner, project_id, project_name, portfolio, currency,
               {money("shortfall_to_date")} AS shortfall_to_date, {money("shortfall_remaining")} AS shortfall_remaining,
               {money("value_at_stake")} AS value_at_stake
        FROM {BENEFIT_BOARD} r WHERE {where} AND r.{money("value_at_stake_rank")} IS NOT NULL AND {cur}
        ORDER BY 1, benefit_id""",
        (*params, *cur_params),
    )


def value_at_stake_by_portfolio(filters: Filters) -> pd.DataFrame:
    """Value at stake per portfolio (filter currency), as rpt_portfolio_board totals it."""
    where, params = filters.benefit_clause("r")
    cur, cur_params = filters.currency_clause("r")
    return query(
        f"""SELECT portfolio, {filters.money_sum("r", "value_at_stake_in_totals")} AS value_at_stake,
               count(*) FILTER (WHERE value_at_stake_in_totals > 0) AS benefits
        FROM {BENEFIT_BOARD} r WHERE {where} AND {cur} AND r.value_at_stake_in_totals > 0
        GROUP BY portfolio ORDER BY value_at_stake DESC NULLS LAST, portfolio""",
        (*params, *cur_params),
    )


def over_claimed_kpis(filters: Filters) -> pd.DataFrame:
    """KPIs whose improvement the chosen benefits claim more than 100 % of (filter currency):
    the totals count them at 100 % (reporting.rpt_attribution_overlap)."""
    where, params = filters.benefit_clause("r")
    cur, cur_params = filters.currency_clause("o")
    return query(
        f"""SELECT o.kpi_id, o.kpi_name, o.claiming_benefit_ids, o.max_claimed_attribution_pct, o.currency,
               o.over_claimed_value
        FROM reporting.rpt_attribution_overlap o
        WHERE {cur} AND o.kpi_id IN (SELECT r.kpi_id FROM {BENEFIT_BOARD} r WHERE {where})
        ORDER BY o.kpi_id""",
        (*cur_params, *params),
    )


def changes(filters: Filters) -> pd.DataFrame:
    """What changed since last month for the chosen benefits (reporting.rpt_benefit_changes), the
    money at stake of those that now need attention in the shown currency."""
    where, params = filters.benefit_clause("r")
    money_currency = "currency" if filters.currency else "reporting_currency"
    return query(
        f"""SELECT change_kind, change_label, benefit_id, benefit_name, status_before_label, status, status_label,
               benefit_owner, project_id, portfolio, {money_currency} AS currency, category,
               {filters.money("value_at_stake")} AS value_at_stake, rebaselined_at
        FROM reporting.rpt_benefit_changes c
        WHERE c.benefit_id IN (SELECT r.benefit_id FROM {BENEFIT_BOARD} r WHERE {where})
        ORDER BY change_order, portfolio, benefit_id""",
        params,
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
    programme, business unit or owner (or for a principal granted single benefits, whose
    portfolios' roll-ups are not theirs to see), the sum of the monthly history of the chosen
    benefits."""
    whole = access.current().sees_whole_portfolios
    if whole and not (filters.programmes or filters.business_units or filters.owners):
        where, params = filters.project_clause("t")
        # one currency's rows, or the totals across currencies in the reporting currency
        total_rows, total_params = (("t.currency = ? AND NOT t.is_reporting_total", [filters.currency])
                                    if filters.currency else ("t.is_reporting_total", []))
        return query(
            f"""SELECT portfolio, period_month, realized_value, planned_monetized_value AS planned_value,
                   cumulative_realized_value, cumulative_planned_value
            FROM reporting.rpt_portfolio_month t WHERE {where} AND {total_rows}
            ORDER BY period_month, portfolio""",
            (*params, *total_params),
        )
    where, params = filters.benefit_clause("r")
    cur, cur_params = filters.currency_clause("r")
    total = filters.money_sum
    return query(
        f"""SELECT r.portfolio, m.period_month,
               {total("m", "monetized_value")} AS realized_value,
               {total("m", "planned_monetized_value")} AS planned_value,
               {total("m", "cumulative_realized_value")} AS cumulative_realized_value,
               {total("m", "cumulative_planned_value")} AS cumulative_planned_value
        FROM marts.fct_benefit_monthly m JOIN {BENEFIT_BOARD} r USING (benefit_id)
        WHERE m.is_realization_period AND {where} AND {cur}
        GROUP BY r.portfolio, m.period_month
        ORDER BY m.period_month, r.portfolio""",
        (*params, *cur_params),
    )


def attention(filters: Filters) -> pd.DataFrame:
    """Benefits whose status needs attention with their owners: worst status first, then the most
    value at stake (in the reporting currency, or the chosen currency's first), then longest closed.
    Amounts are in each benefit's own currency."""
    where, params = filters.benefit_clause("r")
    first = "currency = ? DESC," if filters.currency else ""
    return query(
        f"""SELECT {_STATUS}, benefit_id, benefit_name, project_id, project_name, portfolio, benefit_owner, currency,
               category, cumulative_realized_value, annual_planned_value, value_at_stake, trailing_realization_pct,
               planned_pct, plan_attainment, last_measured_on, months_since_close
        FROM {BENEFIT_BOARD} r WHERE {where} AND r.needs_attention
        ORDER BY status_board_order, {first} {filters.money("value_at_stake")} DESC NULLS LAST,
                 months_since_close DESC NULLS LAST, benefit_id""",
        (*params, *([filters.currency] if filters.currency else [])),
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
               k.frequency, k.evaluation_month_last_measured_on, k.is_manually_measured,
               k.last_manual_measured_on, k.last_manual_value, k.last_manual_recorded_by, k.last_manual_evidence
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


def benefit_checkins(benefit_id: str) -> pd.DataFrame:
    """The owner's check-ins on the benefit, one per month (the current one), the latest month
    first, beside the status measured that month (marts.fct_benefit_checkin)."""
    return query(
        """SELECT period_month, confidence_label, measured_status_label, disagreement, disagreement_note,
                  commentary, recorded_by, recorded_at, superseded_checkins
        FROM marts.fct_benefit_checkin WHERE benefit_id = ? ORDER BY period_month DESC""",
        (benefit_id,),
    )
