{#- Portfolio x currency x month, up to the evaluation month: the realization trend a board
    reads (cumulative realized against cumulative planned value) and the share realized. The
    evaluation month's row is flagged: it is the "now" of the board pack and the run summary.

    Money is never added across currencies unconverted: the rows with is_reporting_total false
    hold one currency's amounts (X) and their value in the reporting currency (X_reporting); the
    rows with is_reporting_total true (currency = the reporting currency) add up the per-currency
    rows' X_reporting, one total per portfolio and month; an amount of a total is null when a
    benefit lacks a rate (benefits_without_rate says how many), never a partial sum.

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
        sum(overlap.over_claimed_planned_value) as over_claimed_planned_value,
        sum(overlap.over_claimed_value_reporting) as over_claimed_value_reporting,
        sum(overlap.over_claimed_planned_value_reporting) as over_claimed_planned_value_reporting
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
        coalesce(over_claimed_months.over_claimed_value_reporting, 0) as month_over_claimed_value_reporting,
        coalesce(over_claimed_months.over_claimed_planned_value_reporting, 0)
            as month_over_claimed_planned_value_reporting,
        {%- for column in ['over_claimed_value', 'over_claimed_planned_value', 'over_claimed_value_reporting',
                           'over_claimed_planned_value_reporting'] %}
        sum(coalesce(over_claimed_months.{{ column }}, 0)) over (
            partition by portfolio.portfolio, portfolio.currency order by portfolio.period_month
            rows between unbounded preceding and current row
        ) as cumulative_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from portfolio
    left join over_claimed_months
        on portfolio.portfolio is not distinct from over_claimed_months.portfolio
        and portfolio.currency = over_claimed_months.currency
        and portfolio.period_month = over_claimed_months.period_month

),

per_currency as (

    select
        portfolio,
        currency,
        period_month,
        benefits_tracked,
        realized_value - month_over_claimed_value as realized_value,
        planned_monetized_value - month_over_claimed_planned_value as planned_monetized_value,
        cumulative_realized_value - cumulative_over_claimed_value as cumulative_realized_value,
        cumulative_planned_value - cumulative_over_claimed_planned_value as cumulative_planned_value,
        cumulative_over_claimed_value as over_claimed_value,
        reporting_currency,
        realized_value_reporting - month_over_claimed_value_reporting as realized_value_reporting,
        planned_monetized_value_reporting - month_over_claimed_planned_value_reporting
            as planned_monetized_value_reporting,
        cumulative_realized_value_reporting - cumulative_over_claimed_value_reporting
            as cumulative_realized_value_reporting,
        cumulative_planned_value_reporting - cumulative_over_claimed_planned_value_reporting
            as cumulative_planned_value_reporting,
        cumulative_over_claimed_value_reporting as over_claimed_value_reporting,
        benefits_without_rate
    from capped

),

{#- one total per portfolio and month across currencies, in the reporting currency -#}
reporting_totals as (

    select
        portfolio,
        reporting_currency,
        period_month,
        sum(benefits_tracked) as benefits_tracked,
        {{ sum_reporting('realized_value', 'realized_value_reporting') }} as realized_value,
        {{ sum_reporting('planned_monetized_value', 'planned_monetized_value_reporting') }} as planned_monetized_value,
        {{ sum_reporting('cumulative_realized_value', 'cumulative_realized_value_reporting') }}
            as cumulative_realized_value,
        {{ sum_reporting('cumulative_planned_value', 'cumulative_planned_value_reporting') }}
            as cumulative_planned_value,
        {{ sum_reporting('over_claimed_value', 'over_claimed_value_reporting') }} as over_claimed_value,
        sum(benefits_without_rate) as benefits_without_rate
    from per_currency
    group by portfolio, reporting_currency, period_month

)

select
    per_currency.portfolio,
    per_currency.currency,
    per_currency.period_month,
    per_currency.period_month = evaluation.evaluation_month as is_evaluation_month,
    per_currency.benefits_tracked,
    cast(per_currency.realized_value as {{ type_double() }}) as realized_value,
    cast(per_currency.planned_monetized_value as {{ type_double() }}) as planned_monetized_value,
    cast(per_currency.cumulative_realized_value as {{ type_double() }}) as cumulative_realized_value,
    cast(per_currency.cumulative_planned_value as {{ type_double() }}) as cumulative_planned_value,
    cast(per_currency.over_claimed_value as {{ type_double() }}) as over_claimed_value,
    cast(per_currency.cumulative_realized_value / nullif(per_currency.cumulative_planned_value, 0)
        as {{ type_double() }}) as realized_share_of_plan,
    {#- the money in the reporting currency -#}
    false as is_reporting_total,
    per_currency.reporting_currency,
    cast(per_currency.realized_value_reporting as {{ type_double() }}) as realized_value_reporting,
    cast(per_currency.planned_monetized_value_reporting as {{ type_double() }}) as planned_monetized_value_reporting,
    cast(per_currency.cumulative_realized_value_reporting as {{ type_double() }}) as cumulative_realized_value_reporting,
    cast(per_currency.cumulative_planned_value_reporting as {{ type_double() }}) as cumulative_planned_value_reporting,
    cast(per_currency.benefits_without_rate as {{ dbt.type_bigint() }}) as benefits_without_rate,
    per_currency.benefits_without_rate > 0 as fx_rate_missing
from per_currency
cross join evaluation
where per_currency.period_month <= evaluation.evaluation_month

union all

{# the reporting-currency totals across currencies: their amounts are in the reporting currency
   (the X and X_reporting columns hold the same values) #}
select
    totals.portfolio,
    totals.reporting_currency as currency,
    totals.period_month,
    totals.period_month = evaluation.evaluation_month as is_evaluation_month,
    cast(totals.benefits_tracked as {{ dbt.type_bigint() }}) as benefits_tracked,
    totals.realized_value,
    totals.planned_monetized_value,
    totals.cumulative_realized_value,
    totals.cumulative_planned_value,
    totals.over_claimed_value,
    cast(totals.cumulative_realized_value / nullif(totals.cumulative_planned_value, 0)
        as {{ type_double() }}) as realized_share_of_plan,
    true as is_reporting_total,
    totals.reporting_currency,
    totals.realized_value as realized_value_reporting,
    totals.planned_monetized_value as planned_monetized_value_reporting,
    totals.cumulative_realized_value as cumulative_realized_value_reporting,
    totals.cumulative_planned_value as cumulative_planned_value_reporting,
    cast(totals.benefits_without_rate as {{ dbt.type_bigint() }}) as benefits_without_rate,
    totals.benefits_without_rate > 0 as fx_rate_missing
from reporting_totals as totals
cross join evaluation
where totals.period_month <= evaluation.evaluation_month
