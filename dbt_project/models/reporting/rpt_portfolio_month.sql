{#- Portfolio x currency x month, up to the evaluation month: the realization trend a board
    reads (cumulative realized against cumulative planned value) and the share realized. The
    evaluation month's row is flagged: it is the "now" of the board pack and the run summary.
    Money is never added across currencies (one row per currency). -#}

with portfolio as (

    select * from {{ ref('fct_portfolio_monthly') }}

),

evaluation as (

    select max(evaluation_month) as evaluation_month from {{ ref('fct_benefit_status') }}

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
        as {{ type_double() }}) as realized_share_of_plan
from portfolio
cross join evaluation
where portfolio.period_month <= evaluation.evaluation_month
