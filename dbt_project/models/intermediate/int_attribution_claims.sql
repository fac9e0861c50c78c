{#- Benefit x month: how much of its KPI's improvement the monetized benefits claim together.
    Benefits that monetize the same KPI (same kpi_id; benefits and dis-benefits apart) each
    claim attribution_pct of its improvement in every realization month (from realization start;
    after the evaluation month, to review_until). When the claims of a month add up to more than
    100 %, the same improvement is counted more than once: attribution_scale = 1 / the sum
    scales each claim so that together they count it once (the portfolio roll-up's cap);
    otherwise it is 1. Non-financial benefits have no money and claim nothing. -#}

with benefits as (

    select benefit_id, kpi_id, is_disbenefit, attribution_pct
    from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null
        and category <> 'non_financial'

),

months as (

    select benefit_id, period_month
    from {{ ref('int_benefit_months') }}
    where period_month >= realization_month

    union all

    select benefit_id, period_month
    from {{ ref('int_benefit_future_months') }}
    where period_month >= realization_month

),

claims as (

    select
        benefits.benefit_id,
        benefits.kpi_id,
        benefits.is_disbenefit,
        months.period_month,
        benefits.attribution_pct,
        sum(benefits.attribution_pct) over (
            partition by benefits.kpi_id, benefits.is_disbenefit, months.period_month
        ) as claimed_attribution_pct,
        count(*) over (
            partition by benefits.kpi_id, benefits.is_disbenefit, months.period_month
        ) as claiming_benefits
    from benefits
    inner join months
        on benefits.benefit_id = months.benefit_id

)

select
    benefit_id,
    kpi_id,
    is_disbenefit,
    period_month,
    period_month > {{ evaluation_month() }} as is_after_evaluation,
    cast(attribution_pct as {{ type_double() }}) as attribution_pct,
    cast(claimed_attribution_pct as {{ type_double() }}) as claimed_attribution_pct,
    cast(claiming_benefits as {{ dbt.type_bigint() }}) as claiming_benefits,
    round(claimed_attribution_pct, 9) > 1 as is_over_claimed,
    cast(case
        when round(claimed_attribution_pct, 9) > 1 then 1 / claimed_attribution_pct else 1
    end as {{ type_double() }}) as attribution_scale
from claims
