{#- One row per valid benefit: its objective status as of the run (SPEC section 4, the rules of
    macro benefit_status_rule at the evaluation month), with the numbers behind it. -#}

with inputs as (

    select * from {{ ref('int_benefit_status_inputs') }}

),

benefits as (

    select benefit_id, benefit_owner, annual_planned_value, annual_planned_value_reporting
    from {{ ref('dim_benefit') }}

),

{#- the cumulative value at the evaluation month in the reporting currency -#}
reporting as (

    select benefit_id, cumulative_realized_value_reporting
    from {{ ref('int_benefit_monthly_reporting') }}
    where period_month = {{ evaluation_month() }}

),

projects as (

    select project_id, actual_close_date from {{ ref('dim_project') }}

)

select
    inputs.benefit_id,
    inputs.project_id,
    {{ as_of_date() }} as as_of_date,
    inputs.evaluation_month,
    {{ benefit_status_rule(
        baseline='inputs.baseline_value', month='inputs.evaluation_month',
        realization='inputs.realization_month', review_until='inputs.review_until_month',
        measured_months='inputs.recent_measured_months', is_disbenefit='inputs.is_disbenefit',
        t3='inputs.trailing_realization_pct', peak='inputs.peak_trailing_realization_pct',
        planned='inputs.planned_pct'
    ) }} as status,
    cast(inputs.trailing_realization_pct as {{ type_double() }}) as trailing_realization_pct,
    cast(inputs.planned_pct as {{ type_double() }}) as planned_pct,
    cast(inputs.trailing_realization_pct / nullif(inputs.planned_pct, 0) as {{ type_double() }}) as plan_attainment,
    cast(inputs.peak_trailing_realization_pct as {{ type_double() }}) as peak_trailing_realization_pct,
    cast(inputs.forecast_realization_at_target as {{ type_double() }}) as forecast_realization_at_target,
    cast(inputs.cumulative_realized_value as {{ type_double() }}) as cumulative_realized_value,
    benefits.annual_planned_value,
    inputs.last_measured_on,
    case
        when projects.actual_close_date is not null
            then {{ months_between(month_of('projects.actual_close_date'), month_of(as_of_date())) }}
    end as months_since_close,
    benefits.benefit_owner,
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    reporting.cumulative_realized_value_reporting,
    benefits.annual_planned_value_reporting,
    coalesce(
        (inputs.cumulative_realized_value is not null and reporting.cumulative_realized_value_reporting is null)
        or (benefits.annual_planned_value is not null and benefits.annual_planned_value_reporting is null),
        false
    ) as fx_rate_missing
from inputs
inner join benefits
    on inputs.benefit_id = benefits.benefit_id
inner join projects
    on inputs.project_id = projects.project_id
left join reporting
    on inputs.benefit_id = reporting.benefit_id
