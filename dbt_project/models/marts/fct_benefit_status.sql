{#- One row per valid benefit: its objective status as of the run (SPEC section 4, rules in
    order, first match wins; statuses named by their rule key, stored as their code in var
    benefit_statuses). Boundaries compare values rounded to 9 decimals so that float
    noise (0.8999999999) does not move a benefit across a threshold. -#}

with inputs as (

    select * from {{ ref('int_benefit_status_inputs') }}

),

benefits as (

    select benefit_id, benefit_owner, annual_planned_value from {{ ref('dim_benefit') }}

),

{#- the money in the reporting currency: the benefit's stock values and its cumulative value at
    the evaluation month (dim_benefit, int_benefit_monthly_reporting) -#}
reporting as (

    select
        dim_benefit.benefit_id,
        dim_benefit.annual_planned_value,
        dim_benefit.annual_planned_value_reporting,
        monthly.cumulative_realized_value_reporting
    from {{ ref('dim_benefit') }} as dim_benefit
    left join {{ ref('int_benefit_monthly_reporting') }} as monthly
        on dim_benefit.benefit_id = monthly.benefit_id
        and monthly.period_month = {{ evaluation_month() }}

),

projects as (

    select project_id, actual_close_date from {{ ref('dim_project') }}

),

rounded as (

    select
        *,
        round(trailing_realization_pct, 9) as t3,
        round(peak_trailing_realization_pct - {{ var('erosion_drop') }}, 9) as erosion_line,
        round(trailing_realization_pct / nullif(planned_pct, 0), 9) as attainment
    from inputs

)

select
    rounded.benefit_id,
    rounded.project_id,
    {{ as_of_date() }} as as_of_date,
    rounded.evaluation_month,
    case
        when rounded.baseline_value is null then {{ status('no_baseline') }}
        when rounded.evaluation_month < rounded.realization_month then {{ status('not_started') }}
        when rounded.evaluation_month > rounded.review_until_month then {{ status('tracking_ended') }}
        when rounded.recent_months_with_data = 0 then {{ status('stale') }}
        when rounded.is_disbenefit then
            case
                when rounded.t3 > {{ var('disbenefit_exceeded_above') }} then {{ status('exceeded') }}
                else {{ status('within_tolerance') }}
            end
        when round(rounded.peak_trailing_realization_pct, 9) >= {{ var('erosion_peak_min') }}
            and rounded.t3 <= rounded.erosion_line then {{ status('eroding') }}
        when rounded.t3 >= 1 then {{ status('achieved') }}
        when rounded.planned_pct = 0 then
            case
                when rounded.t3 >= {{ var('zero_plan_tolerance') }} then {{ status('on_track') }}
                else {{ status('off_track') }}
            end
        when rounded.attainment >= {{ var('on_track_attainment') }} then {{ status('on_track') }}
        when rounded.attainment >= {{ var('at_risk_attainment') }} then {{ status('at_risk') }}
        else {{ status('off_track') }}
    end as status,
    cast(rounded.trailing_realization_pct as {{ type_double() }}) as trailing_realization_pct,
    cast(rounded.planned_pct as {{ type_double() }}) as planned_pct,
    cast(rounded.trailing_realization_pct / nullif(rounded.planned_pct, 0) as {{ type_double() }}) as plan_attainment,
    cast(rounded.peak_trailing_realization_pct as {{ type_double() }}) as peak_trailing_realization_pct,
    cast(rounded.forecast_realization_at_target as {{ type_double() }}) as forecast_realization_at_target,
    cast(rounded.cumulative_realized_value as {{ type_double() }}) as cumulative_realized_value,
    benefits.annual_planned_value,
    rounded.last_measured_on,
    case
        when projects.actual_close_date is not null
            then {{ months_between(month_of('projects.actual_close_date'), month_of(as_of_date())) }}
    end as months_since_close,
    benefits.benefit_owner,
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    reporting.cumulative_realized_value_reporting,
    reporting.annual_planned_value_reporting,
    coalesce(
        (rounded.cumulative_realized_value is not null and reporting.cumulative_realized_value_reporting is null)
        or (reporting.annual_planned_value is not null and reporting.annual_planned_value_reporting is null),
        false
    ) as fx_rate_missing
from rounded
inner join benefits
    on rounded.benefit_id = benefits.benefit_id
inner join projects
    on rounded.project_id = projects.project_id
left join reporting
    on rounded.benefit_id = reporting.benefit_id
