{#- Benefit x month where benefits claim more than 100 % of one KPI's improvement (issue 14, no
    double counting): every monetized benefit of the KPI in a month whose attribution_pct add
    up to more than 1 (int_attribution_claims; benefits and dis-benefits apart), before and
    after the evaluation month (to review_until). The portfolio roll-up counts such a month's
    value at attribution_scale = 1 / the sum; over_claimed_value is the part of the benefit's
    monetized value that the cap leaves out (months up to the evaluation month). -#}

with claims as (

    select * from {{ ref('int_attribution_claims') }}
    where is_over_claimed

),

monthly as (

    select benefit_id, period_month, monetized_value, planned_monetized_value,
        monetized_value_reporting, planned_monetized_value_reporting
    from {{ ref('fct_benefit_monthly') }}

)

select
    claims.kpi_id,
    claims.benefit_id,
    claims.period_month,
    claims.is_after_evaluation,
    claims.is_disbenefit,
    claims.attribution_pct,
    claims.claimed_attribution_pct,
    claims.claiming_benefits,
    claims.attribution_scale,
    cast(monthly.monetized_value * (1 - claims.attribution_scale) as {{ type_double() }}) as over_claimed_value,
    cast(monthly.planned_monetized_value * (1 - claims.attribution_scale) as {{ type_double() }})
        as over_claimed_planned_value,
    cast(monthly.monetized_value_reporting * (1 - claims.attribution_scale) as {{ type_double() }})
        as over_claimed_value_reporting,
    cast(monthly.planned_monetized_value_reporting * (1 - claims.attribution_scale) as {{ type_double() }})
        as over_claimed_planned_value_reporting
from claims
left join monthly
    on claims.benefit_id = monthly.benefit_id
    and claims.period_month = monthly.period_month
