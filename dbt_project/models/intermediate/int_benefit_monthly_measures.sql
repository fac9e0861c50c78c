{#- Benefit x month measures of SPEC section 4 over the spine of int_benefit_months (var
    chart_lead_months months before realization to the evaluation month). A month without
    measurements, or not complete for its KPI's frequency (SPEC section 3), has null actual,
    improvement, realization and monetized value (never 0); the cumulative value carries over it. The spine has every month, so row-based windows are
    month-based. Published as marts.fct_benefit_monthly; the status inputs read it here. -#}

with months as (

    select * from {{ ref('int_benefit_months') }}

),

actuals as (

    select kpi_id, period_month, actual_value, is_complete, measurement_count, last_measured_on
    from {{ ref('int_kpi_monthly') }}

),

measured as (

    select
        months.benefit_id,
        months.period_month,
        actuals.actual_value,
        coalesce(actuals.measurement_count, 0) as measurement_count,
        coalesce(actuals.is_complete, false) as is_complete_month,
        actuals.last_measured_on,
        months.planned_pct,
        months.baseline_value,
        months.target_value,
        months.target_improvement,
        months.direction_sign,
        months.realization_month,
        months.direction_sign * (actuals.actual_value - months.baseline_value) as improvement,
        {#- money per unit of improvement, signed for dis-benefits; null for non_financial -#}
        case
            when months.category <> 'non_financial'
                then months.attribution_pct * months.value_per_unit
                    * case when months.is_disbenefit then -1 else 1 end
        end as money_per_unit
    from months
    left join actuals
        on actuals.kpi_id = months.kpi_id
        and actuals.period_month = months.period_month

),

valued as (

    select
        *,
        improvement / target_improvement as realization_pct,
        case when period_month >= realization_month then improvement * money_per_unit end as monetized_value,
        case
            when period_month >= realization_month then planned_pct * target_improvement * money_per_unit
        end as planned_monetized_value
    from measured

)

select
    benefit_id,
    period_month,
    actual_value is not null as has_data,
    cast(measurement_count as {{ dbt.type_bigint() }}) as measurement_count,
    is_complete_month,
    last_measured_on,
    cast(actual_value as {{ type_double() }}) as actual_value,
    cast(baseline_value as {{ type_double() }}) as baseline_value,
    cast(baseline_value + direction_sign * planned_pct * target_improvement as {{ type_double() }}) as planned_value,
    cast(target_value as {{ type_double() }}) as target_value,
    cast(improvement as {{ type_double() }}) as improvement,
    cast(realization_pct as {{ type_double() }}) as realization_pct,
    cast(planned_pct as {{ type_double() }}) as planned_pct,
    cast(avg(realization_pct) over (
        partition by benefit_id order by period_month rows between 2 preceding and current row
    ) as {{ type_double() }}) as trailing_realization_pct,
    cast(monetized_value as {{ type_double() }}) as monetized_value,
    cast(planned_monetized_value as {{ type_double() }}) as planned_monetized_value,
    cast(case
        when period_month >= realization_month and money_per_unit is not null and baseline_value is not null
            then coalesce(sum(monetized_value) over (
                partition by benefit_id order by period_month rows between unbounded preceding and current row
            ), 0)
    end as {{ type_double() }}) as cumulative_realized_value,
    cast(case
        when period_month >= realization_month and money_per_unit is not null and baseline_value is not null
            then sum(planned_monetized_value) over (
                partition by benefit_id order by period_month rows between unbounded preceding and current row
            )
    end as {{ type_double() }}) as cumulative_planned_value,
    period_month >= realization_month as is_realization_period
from valued
