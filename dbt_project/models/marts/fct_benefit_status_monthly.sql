{#- Benefit x month: the status each benefit would have with that month as the evaluation month
    (SPEC section 4, macro benefit_status_rule), from the start of its monthly history to the
    evaluation month, judged on today's data (restatements since included). The row of the
    evaluation month is the benefit's status in fct_benefit_status; the row before it is last
    month's, which the board's "what changed since last month" compares against. -#}

with benefits as (

    select benefit_id, is_disbenefit, baseline_value, realization_month, review_until_month
    from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null

),

monthly as (

    select
        benefit_id,
        period_month,
        trailing_realization_pct,
        planned_pct,
        measurement_count
    from {{ ref('int_benefit_monthly_measures') }}

),

history as (

    select
        monthly.benefit_id,
        monthly.period_month,
        benefits.is_disbenefit,
        benefits.baseline_value,
        benefits.realization_month,
        benefits.review_until_month,
        monthly.trailing_realization_pct,
        monthly.planned_pct,
        max(case
            when monthly.period_month >= benefits.realization_month then monthly.trailing_realization_pct
        end) over (
            partition by monthly.benefit_id order by monthly.period_month
            rows between unbounded preceding and current row
        ) as peak_trailing_realization_pct,
        {#- the spine has every month, so rows are months: [m - 2, m] -#}
        sum(case when monthly.measurement_count > 0 then 1 else 0 end) over (
            partition by monthly.benefit_id order by monthly.period_month
            rows between {{ var('stale_after_months') - 1 }} preceding and current row
        ) as recent_measured_months
    from monthly
    inner join benefits
        on monthly.benefit_id = benefits.benefit_id

)

select
    benefit_id,
    period_month,
    {{ benefit_status_rule(
        baseline='baseline_value', month='period_month',
        realization='realization_month', review_until='review_until_month',
        measured_months='recent_measured_months', is_disbenefit='is_disbenefit',
        t3='trailing_realization_pct', peak='peak_trailing_realization_pct',
        planned='planned_pct'
    ) }} as status,
    cast(trailing_realization_pct as {{ type_double() }}) as trailing_realization_pct,
    cast(planned_pct as {{ type_double() }}) as planned_pct,
    cast(peak_trailing_realization_pct as {{ type_double() }}) as peak_trailing_realization_pct,
    cast(recent_measured_months as {{ dbt.type_bigint() }}) as recent_measured_months
from history
