{#- The months after the evaluation month e that a benefit is still reviewed in (e + 1 to
    review_until), with its planned ramp P_m (macro planned_pct, the same as int_benefit_months)
    and what its planned money needs. Only value at stake looks ahead (the remaining review
    window); the monthly marts end at e. Months come from macro month_offsets (1 to 1,000 months
    ahead), so no calendar past e is needed. -#}

with benefits as (

    select
        benefit_id,
        profile,
        kpi_id,
        category,
        is_disbenefit,
        target_improvement,
        attribution_pct,
        value_per_unit,
        realization_month,
        target_month,
        ramp_months,
        review_until_month
    from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null
        and review_until_month > {{ evaluation_month() }}

),

offsets as (

    select month_offset from {{ month_offsets(3, first=1) }} as offsets

),

spine as (

    select
        benefits.*,
        cast({{ dbt.dateadd('month', 'offsets.month_offset', evaluation_month()) }} as date) as period_month
    from benefits
    inner join offsets
        on offsets.month_offset <= {{ months_between(evaluation_month(), 'benefits.review_until_month') }}

),

dated as (

    select
        *,
        {{ months_between('realization_month', 'period_month') }} as months_since_start
    from spine

),

{{ custom_ramp_ctes('dated') }}

select
    dated.benefit_id,
    dated.period_month,
    dated.kpi_id,
    dated.category,
    dated.is_disbenefit,
    dated.target_improvement,
    dated.attribution_pct,
    dated.value_per_unit,
    dated.realization_month,
    {{ planned_pct('dated', 'custom_ramp') }} as planned_pct
from dated
left join custom_ramp
    on dated.benefit_id = custom_ramp.benefit_id
    and dated.period_month = custom_ramp.period_month
