{#- One row per valid benefit: everything a board row shows about it. Its status with the
    vocabulary's label, order, colour and flags; the numbers behind the status; its project,
    portfolio and owner; how long since its project closed and since its last measurement. The
    dashboard, the board pack, the alerts and the CLI select and format these rows; they never
    join the marts or derive a measure again. -#}

with status as (

    select * from {{ ref('fct_benefit_status') }}

),

benefits as (

    select * from {{ ref('dim_benefit') }}

),

projects as (

    select * from {{ ref('dim_project') }}

),

vocabulary as (

    select * from {{ ref('dim_benefit_status') }}

),

monthly as (

    select benefit_id, period_month, cumulative_planned_value, cumulative_planned_value_reporting,
        is_complete_month, measurement_count
    from {{ ref('fct_benefit_monthly') }}

)

select
    status.benefit_id,
    benefits.benefit_name,
    benefits.category,
    benefits.is_disbenefit,
    benefits.kpi_id,
    benefits.kpi_name,
    benefits.unit,
    benefits.currency,
    status.benefit_owner,
    status.project_id,
    projects.project_name,
    projects.portfolio,
    projects.programme,
    projects.business_unit,
    projects.sponsor,
    projects.project_manager,
    projects.stage as project_stage,
    projects.actual_close_date,
    projects.stage = 'closed' as is_after_closure,
    status.status,
    vocabulary.status_label,
    vocabulary.board_order as status_board_order,
    vocabulary.colour as status_colour,
    vocabulary.tone as status_tone,
    vocabulary.needs_attention,
    vocabulary.closure_attention,
    vocabulary.flags_benefits_watermelon,
    vocabulary.is_tracked,
    status.trailing_realization_pct,
    status.planned_pct,
    status.plan_attainment,
    status.peak_trailing_realization_pct,
    status.forecast_realization_at_target,
    status.cumulative_realized_value,
    monthly.cumulative_planned_value,
    status.annual_planned_value,
    status.last_measured_on,
    coalesce(monthly.is_complete_month, false) as is_evaluation_month_complete,
    coalesce(monthly.measurement_count, 0) as evaluation_month_measurements,
    cast({{ months_between(month_of('status.last_measured_on'), 'status.evaluation_month') }}
        as {{ dbt.type_bigint() }}) as months_without_measurement,
    status.months_since_close,
    benefits.target_date,
    benefits.review_until,
    benefits.times_rebaselined,
    benefits.last_rebaselined_at,
    status.evaluation_month,
    status.as_of_date,
    {#- the money in the reporting currency -#}
    status.reporting_currency,
    status.cumulative_realized_value_reporting,
    monthly.cumulative_planned_value_reporting,
    status.annual_planned_value_reporting,
    coalesce(status.fx_rate_missing
        or (monthly.cumulative_planned_value is not null and monthly.cumulative_planned_value_reporting is null),
        false) as fx_rate_missing
from status
inner join benefits
    on status.benefit_id = benefits.benefit_id
inner join projects
    on status.project_id = projects.project_id
inner join vocabulary
    on status.status = vocabulary.status
left join monthly
    on status.benefit_id = monthly.benefit_id
    and status.evaluation_month = monthly.period_month
