{#- Portfolio x currency x month totals over the benefits in their realization period. Money is
    never added across currencies: a portfolio with projects in two currencies has two rows a
    month. benefits_tracked and annual_planned_value count benefits between realization start
    and review_until; realized and cumulative values include every benefit past its start.
    Each amount X has X_reporting, the sum of the benefits' amounts in the reporting currency
    (fct_benefit_monthly, dim_benefit): null when one of them lacks a rate, never a partial sum;
    benefits_without_rate counts those benefits. rpt_portfolio_month adds them up across
    currencies. -#}

with monthly as (

    select * from {{ ref('fct_benefit_monthly') }}
    where is_realization_period

),

benefits as (

    select benefit_id, project_id, currency, annual_planned_value, review_until_month,
        annual_planned_value_reporting
    from {{ ref('dim_benefit') }}

),

projects as (

    select project_id, portfolio from {{ ref('dim_project') }}

)

select
    projects.portfolio,
    benefits.currency,
    monthly.period_month,
    count(case when monthly.period_month <= benefits.review_until_month then 1 end) as benefits_tracked,
    cast(sum(case
        when monthly.period_month <= benefits.review_until_month then benefits.annual_planned_value
    end) as {{ type_double() }}) as annual_planned_value,
    cast(sum(monthly.monetized_value) as {{ type_double() }}) as realized_value,
    cast(sum(monthly.planned_monetized_value) as {{ type_double() }}) as planned_monetized_value,
    cast(sum(monthly.cumulative_realized_value) as {{ type_double() }}) as cumulative_realized_value,
    cast(sum(monthly.cumulative_planned_value) as {{ type_double() }}) as cumulative_planned_value,
    {#- the money in the reporting currency -#}
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    {{ sum_reporting(
        'case when monthly.period_month <= benefits.review_until_month then benefits.annual_planned_value end',
        'case when monthly.period_month <= benefits.review_until_month then benefits.annual_planned_value_reporting end'
    ) }} as annual_planned_value_reporting,
    {{ sum_reporting('monthly.monetized_value', 'monthly.monetized_value_reporting') }} as realized_value_reporting,
    {{ sum_reporting('monthly.planned_monetized_value', 'monthly.planned_monetized_value_reporting') }}
        as planned_monetized_value_reporting,
    {{ sum_reporting('monthly.cumulative_realized_value', 'monthly.cumulative_realized_value_reporting') }}
        as cumulative_realized_value_reporting,
    {{ sum_reporting('monthly.cumulative_planned_value', 'monthly.cumulative_planned_value_reporting') }}
        as cumulative_planned_value_reporting,
    count(distinct case
        when monthly.fx_rate_missing
            or (monthly.period_month <= benefits.review_until_month
                and benefits.annual_planned_value is not null and benefits.annual_planned_value_reporting is null)
            then monthly.benefit_id
    end) as benefits_without_rate
from monthly
inner join benefits
    on monthly.benefit_id = benefits.benefit_id
inner join projects
    on benefits.project_id = projects.project_id
group by projects.portfolio, benefits.currency, monthly.period_month
