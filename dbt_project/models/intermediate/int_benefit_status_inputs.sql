{#- Per valid benefit, everything its status at the evaluation month e depends on (SPEC
    section 4): T3(e), P_e, the peak T3 since realization start, months with measurements in the
    stale window (rule 4 reads measurements, not complete months: SPEC section 3), and the forecast at target (OLS of R on month index over the last 6 months with
    data up to e, months >= realization start; null with fewer than 3 points). -#}

with benefits as (

    select * from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null

),

monthly as (

    select * from {{ ref('int_benefit_monthly_measures') }}

),

at_evaluation as (

    select * from monthly
    where period_month = {{ evaluation_month() }}

),

history as (

    select
        monthly.benefit_id,
        max(case
            when monthly.period_month >= benefits.realization_month then monthly.trailing_realization_pct
        end) as peak_trailing_realization_pct,
        sum(case
            when monthly.measurement_count > 0
                and monthly.period_month > cast({{ dbt.dateadd('month', -1 * var('stale_after_months'), evaluation_month()) }} as date)
            then 1 else 0
        end) as recent_measured_months
    from monthly
    inner join benefits
        on monthly.benefit_id = benefits.benefit_id
    group by monthly.benefit_id

),

forecast_points as (

    select
        monthly.benefit_id,
        {{ months_between('benefits.realization_month', 'monthly.period_month') }} as month_index,
        monthly.realization_pct,
        row_number() over (partition by monthly.benefit_id order by monthly.period_month desc) as recency
    from monthly
    inner join benefits
        on monthly.benefit_id = benefits.benefit_id
    where monthly.has_data
        and monthly.realization_pct is not null
        and monthly.period_month >= benefits.realization_month

),

forecast_fit as (

    select
        benefit_id,
        count(*) as forecast_points,
        covar_pop(month_index, realization_pct) / nullif(var_pop(month_index), 0) as slope,
        avg(realization_pct) as mean_realization,
        avg(month_index) as mean_index
    from forecast_points
    where recency <= {{ var('forecast_window_months') }}
    group by benefit_id

),

last_measured as (

    select kpi_id, max(last_measured_on) as last_measured_on
    from {{ ref('int_kpi_monthly') }}
    group by kpi_id

)

select
    benefits.benefit_id,
    benefits.project_id,
    benefits.is_disbenefit,
    benefits.baseline_value,
    benefits.realization_month,
    benefits.target_month,
    benefits.review_until_month,
    benefits.ramp_months,
    {{ evaluation_month() }} as evaluation_month,
    at_evaluation.trailing_realization_pct,
    at_evaluation.planned_pct,
    at_evaluation.cumulative_realized_value,
    history.peak_trailing_realization_pct,
    coalesce(history.recent_measured_months, 0) as recent_measured_months,
    coalesce(forecast_fit.forecast_points, 0) as forecast_points,
    case
        when forecast_fit.forecast_points >= {{ var('forecast_min_points') }}
            then forecast_fit.mean_realization
                + forecast_fit.slope * (benefits.ramp_months - forecast_fit.mean_index)
    end as forecast_realization_at_target,
    last_measured.last_measured_on
from benefits
left join at_evaluation
    on benefits.benefit_id = at_evaluation.benefit_id
left join history
    on benefits.benefit_id = history.benefit_id
left join forecast_fit
    on benefits.benefit_id = forecast_fit.benefit_id
left join last_measured
    on benefits.kpi_id = last_measured.kpi_id
