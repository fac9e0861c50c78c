{#- One row per valid monetized benefit: the planned value it is not realizing (issue 14,
    "value at stake"), in its currency, with money signed as in fct_benefit_monthly (a
    dis-benefit's values are negative, so its extra cost beyond plan is a shortfall too).

    - shortfall_to_date = cumulative planned value - cumulative realized value at e, floor 0;
    - shortfall_remaining over the months e + 1 .. review_until (from realization start): the
      planned monetized value P_m * TI * money minus the value projected with T3(e) held flat
      (T3(e) * TI * money each month), floor 0; a benefit without T3(e) (stale: nothing measured
      in the last months) projects nothing, so its whole remaining plan is at stake;
    - value_at_stake = both.
    The _capped twins count each month at its attribution_scale (int_attribution_claims): where
    benefits claim more than 100 % of one KPI's improvement, the portfolio totals count each
    claim scaled so that together they count it once.
    Money is rounded to 6 decimals: sums over a group add in whatever order the engine's threads
    meet the rows, and two builds of the same data must agree to the digit. -#}

with benefits as (

    select
        benefit_id,
        currency,
        category,
        is_disbenefit,
        target_improvement,
        attribution_pct * value_per_unit * case when is_disbenefit then -1 else 1 end as money_per_unit
    from {{ ref('dim_benefit') }}
    where category <> 'non_financial'

),

status as (

    select benefit_id, status, evaluation_month, trailing_realization_pct from {{ ref('fct_benefit_status') }}

),

claims as (

    select benefit_id, period_month, attribution_scale from {{ ref('int_attribution_claims') }}

),

to_date as (

    select
        monthly.benefit_id,
        sum(monthly.planned_monetized_value) as cumulative_planned_value,
        coalesce(sum(monthly.monetized_value), 0) as cumulative_realized_value,
        sum(monthly.planned_monetized_value * coalesce(claims.attribution_scale, 1)) as capped_planned_value,
        coalesce(sum(monthly.monetized_value * coalesce(claims.attribution_scale, 1)), 0) as capped_realized_value,
        {#- the same in the reporting currency, each month at its own rate (null when one lacks it) -#}
        {{ sum_reporting('monthly.planned_monetized_value', 'monthly.planned_monetized_value_reporting * coalesce(claims.attribution_scale, 1)') }}
            as capped_planned_value_reporting,
        {#- nothing realized yet: 0, as above; a month without its rate: null, never a partial sum -#}
        case when count(monthly.monetized_value) = 0 then 0 else
            {{ sum_reporting('monthly.monetized_value', 'monthly.monetized_value_reporting * coalesce(claims.attribution_scale, 1)') }}
        end as capped_realized_value_reporting
    from {{ ref('fct_benefit_monthly') }} as monthly
    left join claims
        on monthly.benefit_id = claims.benefit_id
        and monthly.period_month = claims.period_month
    where monthly.is_realization_period
    group by monthly.benefit_id

),

ahead as (

    select
        future.benefit_id,
        count(*) as remaining_months,
        sum(future.planned_pct) as remaining_planned_pct,
        sum(future.planned_pct * coalesce(claims.attribution_scale, 1)) as capped_planned_pct,
        sum(coalesce(claims.attribution_scale, 1)) as capped_months
    from {{ ref('int_benefit_future_months') }} as future
    left join claims
        on future.benefit_id = claims.benefit_id
        and future.period_month = claims.period_month
    where future.period_month >= future.realization_month
    group by future.benefit_id

),

measured as (

    select
        benefits.benefit_id,
        benefits.currency,
        status.status,
        status.evaluation_month,
        claims.attribution_scale,
        to_date.cumulative_planned_value,
        to_date.cumulative_realized_value,
        to_date.capped_planned_value,
        to_date.capped_realized_value,
        to_date.capped_planned_value_reporting,
        to_date.capped_realized_value_reporting,
        {#- no baseline: no TI, nothing planned or at stake (null); not started: nothing yet (0) -#}
        case when benefits.target_improvement is not null then greatest(
            coalesce(to_date.cumulative_planned_value, 0) - coalesce(to_date.cumulative_realized_value, 0), 0)
        end as shortfall_to_date,
        case when benefits.target_improvement is not null then greatest(
            coalesce(to_date.capped_planned_value, 0) - coalesce(to_date.capped_realized_value, 0), 0)
        end as shortfall_to_date_capped,
        coalesce(ahead.remaining_months, 0) as remaining_months,
        coalesce(ahead.remaining_planned_pct, 0) * benefits.target_improvement * benefits.money_per_unit
            as remaining_planned_value,
        coalesce(ahead.remaining_months, 0) * coalesce(status.trailing_realization_pct, 0)
            * benefits.target_improvement * benefits.money_per_unit as remaining_projected_value,
        (coalesce(ahead.capped_planned_pct, 0) - coalesce(ahead.capped_months, 0) * coalesce(status.trailing_realization_pct, 0))
            * benefits.target_improvement * benefits.money_per_unit as capped_remaining_gap
    from benefits
    inner join status
        on benefits.benefit_id = status.benefit_id
    left join to_date
        on benefits.benefit_id = to_date.benefit_id
    left join ahead
        on benefits.benefit_id = ahead.benefit_id
    left join claims
        on benefits.benefit_id = claims.benefit_id
        and status.evaluation_month = claims.period_month

),

remaining as (

    select
        *,
        case when remaining_planned_value - remaining_projected_value > 0
            then remaining_planned_value - remaining_projected_value
            when remaining_planned_value is not null then 0
        end as shortfall_remaining,
        case when capped_remaining_gap > 0 then capped_remaining_gap when capped_remaining_gap is not null then 0 end
            as shortfall_remaining_capped
    from measured

)

select
    benefit_id,
    currency,
    status,
    evaluation_month,
    cast(coalesce(attribution_scale, 1) as {{ type_double() }}) as attribution_scale,
    cast(round(cumulative_planned_value, 6) as {{ type_double() }}) as cumulative_planned_value,
    cast(round(cumulative_realized_value, 6) as {{ type_double() }}) as cumulative_realized_value,
    cast(round(capped_planned_value, 6) as {{ type_double() }}) as cumulative_planned_value_capped,
    cast(round(capped_realized_value, 6) as {{ type_double() }}) as cumulative_realized_value_capped,
    cast(round(capped_planned_value_reporting, 6) as {{ type_double() }}) as cumulative_planned_value_capped_reporting,
    cast(round(capped_realized_value_reporting, 6) as {{ type_double() }}) as cumulative_realized_value_capped_reporting,
    cast(round(shortfall_to_date, 6) as {{ type_double() }}) as shortfall_to_date,
    cast(remaining_months as {{ dbt.type_bigint() }}) as remaining_months,
    cast(round(remaining_planned_value, 6) as {{ type_double() }}) as remaining_planned_value,
    cast(round(remaining_projected_value, 6) as {{ type_double() }}) as remaining_projected_value,
    cast(round(shortfall_remaining, 6) as {{ type_double() }}) as shortfall_remaining,
    cast(round(shortfall_to_date + shortfall_remaining, 6) as {{ type_double() }}) as value_at_stake,
    cast(round(shortfall_to_date_capped + shortfall_remaining_capped, 6) as {{ type_double() }}) as value_at_stake_capped
from remaining
