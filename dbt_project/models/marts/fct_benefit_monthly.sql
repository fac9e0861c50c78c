{#- Benefit x month measures of SPEC section 4 (computed in int_benefit_monthly_measures), from
    var chart_lead_months months before realization to the evaluation month. -#}

select
    benefit_id,
    period_month,
    has_data,
    measurement_count,
    is_complete_month,
    last_measured_on,
    actual_value,
    baseline_value,
    planned_value,
    target_value,
    improvement,
    realization_pct,
    planned_pct,
    trailing_realization_pct,
    monetized_value,
    planned_monetized_value,
    cumulative_realized_value,
    cumulative_planned_value,
    is_realization_period
from {{ ref('int_benefit_monthly_measures') }}
