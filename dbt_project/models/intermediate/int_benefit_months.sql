{#- The benefit x month spine with the planned ramp P_m (SPEC section 4) and the benefit's
    parameters the monthly measures need, for every valid benefit from var chart_lead_months
    months before realization (or the start of its baseline window, or two months before the
    evaluation month, whichever is earliest) to the evaluation month. The ramp is macro
    planned_pct (macros/planned_ramp.sql), shared with int_benefit_future_months. -#}

with benefits as (

    select
        benefit_id,
        profile,
        kpi_id,
        category,
        is_disbenefit,
        direction_sign,
        baseline_value,
        target_value,
        target_improvement,
        attribution_pct,
        value_per_unit,
        realization_month,
        target_month,
        ramp_months,
        {#- also never after e - 2: P_e and T3(e) exist even for a benefit starting years ahead -#}
        least(
            coalesce({{ month_of('baseline_start') }}, realization_month),
            cast({{ dbt.dateadd('month', -1 * var('chart_lead_months'), 'realization_month') }} as date),
            cast({{ dbt.dateadd('month', -2, evaluation_month()) }} as date)
        ) as spine_start_month
    from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null

),

calendar as (

    select period_month from {{ ref('int_calendar_months') }}

),

spine as (

    select
        benefits.benefit_id,
        benefits.profile,
        benefits.kpi_id,
        benefits.category,
        benefits.is_disbenefit,
        benefits.direction_sign,
        benefits.baseline_value,
        benefits.target_value,
        benefits.target_improvement,
        benefits.attribution_pct,
        benefits.value_per_unit,
        benefits.realization_month,
        benefits.target_month,
        benefits.ramp_months,
        calendar.period_month,
        {{ months_between('benefits.realization_month', 'calendar.period_month') }} as months_since_start
    from benefits
    inner join calendar
        on calendar.period_month >= benefits.spine_start_month

),

{{ custom_ramp_ctes('spine') }}

select
    spine.benefit_id,
    spine.period_month,
    spine.months_since_start,
    spine.kpi_id,
    spine.category,
    spine.is_disbenefit,
    spine.direction_sign,
    spine.baseline_value,
    spine.target_value,
    spine.target_improvement,
    spine.attribution_pct,
    spine.value_per_unit,
    spine.realization_month,
    {{ planned_pct('spine', 'custom_ramp') }} as planned_pct
from spine
left join custom_ramp
    on spine.benefit_id = custom_ramp.benefit_id
    and spine.period_month = custom_ramp.period_month
