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
    is_realization_period,
    {#- the money in the reporting currency (int_benefit_monthly_reporting) -#}
    reporting_currency,
    monetized_value_reporting,
    planned_monetized_value_reporting,
    cumulative_realized_value_reporting,
    cumulative_planned_value_reporting,
    fx_rate_missing
from {{ ref('int_benefit_monthly_measures') }}
left join {{ ref('int_benefit_monthly_reporting') }} using (benefit_id, period_month)
