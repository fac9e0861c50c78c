{#- Benefit x month measures of SPEC section 4, from `chart_lead_months` before realization to
    the evaluation month. A month without measurements has null actual, improvement,
    realization and monetized value (never 0); the cumulative value carries over it. The spine
    has every month, so row-based windows are month-based. -#}

with months as (

    select benefit_id, period_month, planned_pct from {{ ref('int_benefit_months') }}

),

benefits as (

    select * from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null

),

actuals as (

    select kpi_id, period_month, actual_value from {{ ref('int_kpi_monthly') }}

),

measured as (

    select
        months.benefit_id,
        months.period_month,
        actuals.actual_value,
        months.planned_pct,
        benefits.baseline_value,
        benefits.target_value,
        benefits.target_improvement,
        benefits.direction_sign,
        benefits.realization_month,
        benefits.direction_sign * (actuals.actual_value - benefits.baseline_value) as improvement,
        {#- money per unit of improvement, signed for dis-benefits; null for non_financial -#}
        case
            when benefits.category <> 'non_financial'
                then benefits.attribution_pct * benefits.value_per_unit
                    * case when benefits.is_disbenefit then -1 else 1 end
        end as money_per_unit
    from months
    inner join benefits
        on months.benefit_id = benefits.benefit_id
    left join actuals
        on actuals.kpi_id = benefits.kpi_id
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
