{#- Portfolio x currency at the evaluation month: the totals a board reads first, summed from the
    benefits' *_in_totals columns of rpt_benefit_board (the one definition the dashboard's
    headline, the board pack and the run summary share). Annual planned value of the benefits in
    their review window, benefits and dis-benefits apart and the net (a dis-benefit is a cost);
    realized and planned value to date; value at stake of the attention benefits. Where benefits
    claim more than 100 % of one KPI's improvement, every total counts those claims at 100 %;
    over_claimed_kpi_ids names the KPIs so the reader can say so beside the total. Money is never
    added across currencies (one row per currency). -#}

with benefits as (

    select * from {{ ref('rpt_benefit_board') }}

),

overlap as (

    select kpi_id, is_disbenefit, currency from {{ ref('rpt_attribution_overlap') }}

),

totals as (

    select
        portfolio,
        currency,
        max(evaluation_month) as evaluation_month,
        count(*) as benefits,
        count(case when is_in_review_window then 1 end) as benefits_in_review_window,
        count(case when needs_attention then 1 end) as attention_benefits,
        sum(annual_planned_benefit_in_totals) as annual_planned_benefit,
        sum(annual_planned_disbenefit_in_totals) as annual_planned_disbenefit,
        sum(annual_planned_net_in_totals) as annual_planned_net,
        sum(cumulative_realized_value_in_totals) as cumulative_realized_value,
        sum(cumulative_planned_value_in_totals) as cumulative_planned_value,
        sum(value_at_stake_in_totals) as value_at_stake,
        sum(annual_planned_net * case when is_in_review_window then 1 else 0 end)
            - sum(annual_planned_net_in_totals) as over_claimed_annual_net
    from benefits
    group by portfolio, currency

),

portfolio_overlap as (

    {#- the over-claimed KPIs a portfolio's benefits claim (a KPI claimed from two portfolios is
        named in both) -#}
    select
        claimants.portfolio,
        claimants.currency,
        string_agg(claimants.kpi_id, ', ' order by claimants.kpi_id) as over_claimed_kpi_ids
    from (
        select distinct benefits.portfolio, benefits.currency, benefits.kpi_id
        from benefits
        inner join overlap
            on benefits.kpi_id = overlap.kpi_id
            and benefits.is_disbenefit = overlap.is_disbenefit
            and benefits.currency = overlap.currency
        where benefits.category <> 'non_financial'
    ) as claimants
    group by claimants.portfolio, claimants.currency

)

select
    totals.portfolio,
    totals.currency,
    totals.evaluation_month,
    cast(totals.benefits as {{ dbt.type_bigint() }}) as benefits,
    cast(totals.benefits_in_review_window as {{ dbt.type_bigint() }}) as benefits_in_review_window,
    cast(totals.attention_benefits as {{ dbt.type_bigint() }}) as attention_benefits,
    cast(totals.annual_planned_benefit as {{ type_double() }}) as annual_planned_benefit,
    cast(totals.annual_planned_disbenefit as {{ type_double() }}) as annual_planned_disbenefit,
    cast(totals.annual_planned_net as {{ type_double() }}) as annual_planned_net,
    cast(totals.cumulative_realized_value as {{ type_double() }}) as cumulative_realized_value,
    cast(totals.cumulative_planned_value as {{ type_double() }}) as cumulative_planned_value,
    cast(totals.cumulative_realized_value / nullif(totals.cumulative_planned_value, 0) as {{ type_double() }})
        as realized_share_of_plan,
    cast(coalesce(totals.value_at_stake, 0) as {{ type_double() }}) as value_at_stake,
    cast(totals.over_claimed_annual_net as {{ type_double() }}) as over_claimed_annual_net,
    portfolio_overlap.over_claimed_kpi_ids
from totals
left join portfolio_overlap
    on totals.portfolio is not distinct from portfolio_overlap.portfolio
    and totals.currency = portfolio_overlap.currency
