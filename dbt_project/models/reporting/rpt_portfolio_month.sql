{#- Portfolio x currency x month, up to the evaluation month: the realization trend a board
    reads (cumulative realized against cumulative planned value) and the share realized. The
    evaluation month's row is flagged: it is the "now" of the board pack and the run summary.
    Money is never added across currencies (one row per currency) unconverted. One total across
    currencies: the rows with is_reporting_total (currency = the reporting currency) add up the
    per-currency rows' amounts in the reporting currency (X_reporting); an amount is null there
    when a benefit lacks a rate (benefits_without_rate says how many), never a partial sum. -#}

with portfolio as (

    select * from {{ ref('fct_portfolio_monthly') }}

),

evaluation as (

    select max(evaluation_month) as evaluation_month from {{ ref('fct_benefit_status') }}

),

{#- one total per portfolio and month across currencies, in the reporting currency -#}
reporting_totals as (

    select
        portfolio,
        reporting_currency,
        period_month,
        sum(benefits_tracked) as benefits_tracked,
        {{ sum_reporting('annual_planned_value', 'annual_planned_value_reporting') }} as annual_planned_value,
        {{ sum_reporting('realized_value', 'realized_value_reporting') }} as realized_value,
        {{ sum_reporting('planned_monetized_value', 'planned_monetized_value_reporting') }} as planned_monetized_value,
        {{ sum_reporting('cumulative_realized_value', 'cumulative_realized_value_reporting') }}
            as cumulative_realized_value,
        {{ sum_reporting('cumulative_planned_value', 'cumulative_planned_value_reporting') }}
            as cumulative_planned_value,
        sum(benefits_without_rate) as benefits_without_rate
    from portfolio
    group by portfolio, reporting_currency, period_month

)

select
    portfolio.portfolio,
    portfolio.currency,
    portfolio.period_month,
    portfolio.period_month = evaluation.evaluation_month as is_evaluation_month,
    portfolio.benefits_tracked,
    portfolio.annual_planned_value,
    portfolio.realized_value,
    portfolio.planned_monetized_value,
    portfolio.cumulative_realized_value,
    portfolio.cumulative_planned_value,
    cast(portfolio.cumulative_realized_value / nullif(portfolio.cumulative_planned_value, 0)
        as {{ type_double() }}) as realized_share_of_plan,
    {#- the money in the reporting currency -#}
    false as is_reporting_total,
    portfolio.reporting_currency,
    portfolio.annual_planned_value_reporting,
    portfolio.realized_value_reporting,
    portfolio.planned_monetized_value_reporting,
    portfolio.cumulative_realized_value_reporting,
    portfolio.cumulative_planned_value_reporting,
    cast(portfolio.benefits_without_rate as {{ dbt.type_bigint() }}) as benefits_without_rate,
    portfolio.benefits_without_rate > 0 as fx_rate_missing
from portfolio
cross join evaluation
where portfolio.period_month <= evaluation.evaluation_month

union all

{# the reporting-currency totals across currencies: their amounts are in the reporting currency
   (the X and X_reporting columns hold the same values) #}
select
    totals.portfolio,
    totals.reporting_currency as currency,
    totals.period_month,
    totals.period_month = evaluation.evaluation_month as is_evaluation_month,
    cast(totals.benefits_tracked as {{ dbt.type_bigint() }}) as benefits_tracked,
    totals.annual_planned_value,
    totals.realized_value,
    totals.planned_monetized_value,
    totals.cumulative_realized_value,
    totals.cumulative_planned_value,
    cast(totals.cumulative_realized_value / nullif(totals.cumulative_planned_value, 0)
        as {{ type_double() }}) as realized_share_of_plan,
    true as is_reporting_total,
    totals.reporting_currency,
    totals.annual_planned_value as annual_planned_value_reporting,
    totals.realized_value as realized_value_reporting,
    totals.planned_monetized_value as planned_monetized_value_reporting,
    totals.cumulative_realized_value as cumulative_realized_value_reporting,
    totals.cumulative_planned_value as cumulative_planned_value_reporting,
    cast(totals.benefits_without_rate as {{ dbt.type_bigint() }}) as benefits_without_rate,
    totals.benefits_without_rate > 0 as fx_rate_missing
from reporting_totals as totals
cross join evaluation
where totals.period_month <= evaluation.evaluation_month
