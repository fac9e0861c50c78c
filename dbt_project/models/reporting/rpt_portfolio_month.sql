{#- Portfolio x currency x month, up to the evaluation month: the realization trend a board
    reads (cumulative realized against cumulative planned value) and the share realized. The
    evaluation month's row is flagged: it is the "now" of the board pack and the run summary.
    Money is never added across currencies (one row per currency).

    No double counting: where benefits claim more than 100 % of one KPI's improvement in a month
    (marts.fct_attribution_overlap), the values here count those claims scaled to 100 % (the
    benefit's value less its over_claimed_value); over_claimed_value says how much was left
    out, cumulatively. -#}

with portfolio as (

    select * from {{ ref('fct_portfolio_monthly') }}

),

evaluation as (

    select max(evaluation_month) as evaluation_month from {{ ref('fct_benefit_status') }}

),

over_claimed_months as (

    select
        projects.portfolio,
        benefits.currency,
        overlap.period_month,
        sum(overlap.over_claimed_value) as over_claimed_value,
        sum(overlap.over_claimed_planned_value) as over_claimed_planned_value
    from {{ ref('fct_attribution_overlap') }} as overlap
    inner join {{ ref('dim_benefit') }} as benefits
        on overlap.benefit_id = benefits.benefit_id
    inner join {{ ref('dim_project') }} as projects
        on benefits.project_id = projects.project_id
    where not overlap.is_after_evaluation
    group by projects.portfolio, benefits.currency, overlap.period_month

),

capped as (

    select
        portfolio.*,
        coalesce(over_claimed_months.over_claimed_value, 0) as month_over_claimed_value,
        coalesce(over_claimed_months.over_claimed_planned_value, 0) as month_over_claimed_planned_value,
        sum(coalesce(over_claimed_months.over_claimed_value, 0)) over (
            partition by portfolio.portfolio, portfolio.currency order by portfolio.period_month
            rows between unbounded preceding and current row
        ) as cumulative_over_claimed_value,
        sum(coalesce(over_claimed_months.over_claimed_planned_value, 0)) over (
            partition by portfolio.portfolio, portfolio.currency order by portfolio.period_month
            rows between unbounded preceding and current row
        ) as cumulative_over_claimed_planned_value
    from portfolio
    left join over_claimed_months
        on portfolio.portfolio is not distinct from over_claimed_months.portfolio
        and portfolio.currency = over_claimed_months.currency
        and portfolio.period_month = over_claimed_months.period_month

)

select
    capped.portfolio,
    capped.currency,
    capped.period_month,
    capped.period_month = evaluation.evaluation_month as is_evaluation_month,
    capped.benefits_tracked,
    cast(capped.realized_value - capped.month_over_claimed_value as {{ type_double() }}) as realized_value,
    cast(capped.planned_monetized_value - capped.month_over_claimed_planned_value as {{ type_double() }})
        as planned_monetized_value,
    cast(capped.cumulative_realized_value - capped.cumulative_over_claimed_value as {{ type_double() }})
        as cumulative_realized_value,
    cast(capped.cumulative_planned_value - capped.cumulative_over_claimed_planned_value as {{ type_double() }})
        as cumulative_planned_value,
    cast(capped.cumulative_over_claimed_value as {{ type_double() }}) as over_claimed_value,
    cast((capped.cumulative_realized_value - capped.cumulative_over_claimed_value)
        / nullif(capped.cumulative_planned_value - capped.cumulative_over_claimed_planned_value, 0)
        as {{ type_double() }}) as realized_share_of_plan
from capped
cross join evaluation
where capped.period_month <= evaluation.evaluation_month
