{#- Portfolio x currency x month totals over the benefits in their realization period. Money is
    never added across currencies: a portfolio with projects in two currencies has two rows a
    month. benefits_tracked and annual_planned_value count benefits between realization start
    and review_until; realized and cumulative values include every benefit past its start. -#}

with monthly as (

    select * from {{ ref('fct_benefit_monthly') }}
    where is_realization_period

),

benefits as (

    select benefit_id, project_id, currency, annual_planned_value, review_until_month
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
    cast(sum(monthly.cumulative_planned_value) as {{ type_double() }}) as cumulative_planned_value
from monthly
inner join benefits
    on monthly.benefit_id = benefits.benefit_id
inner join projects
    on benefits.project_id = projects.project_id
group by projects.portfolio, benefits.currency, monthly.period_month
