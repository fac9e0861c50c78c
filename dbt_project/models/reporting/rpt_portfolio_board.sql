{#- Portfolio x currency at the evaluation month: the totals a board reads first, summed from the
    benefits' *_in_totals columns of rpt_benefit_board (the one definition the dashboard's
    headline, the board pack and the run summary share). Annual planned value of the benefits in
    their review window, benefits and dis-benefits apart and the net (a dis-benefit is a cost);
    realized and planned value to date; value at stake of the attention benefits. Where benefits
    claim more than 100 % of one KPI's improvement, every total counts those claims at 100 %;
    over_claimed_kpi_ids names the KPIs so the reader can say so beside the total. Money is never
    added across currencies unconverted: one row per portfolio and currency (is_reporting_total
    false), plus one row per portfolio with the total across currencies in the reporting
    currency (is_reporting_total true, currency = the reporting currency; an amount is null when
    a benefit lacks a rate, benefits_without_rate says how many). -#}

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

claimants as (

    select distinct benefits.portfolio, benefits.currency, benefits.kpi_id
    from benefits
    inner join overlap
        on benefits.kpi_id = overlap.kpi_id
        and benefits.is_disbenefit = overlap.is_disbenefit
        and benefits.currency = overlap.currency
    where benefits.category <> 'non_financial'

),

portfolio_overlap as (

    {#- the over-claimed KPIs a portfolio's benefits claim (a KPI claimed from two portfolios is
        named in both) -#}
    select portfolio, currency, {{ ordered_string_agg('kpi_id', "', '") }} as over_claimed_kpi_ids
    from claimants
    group by portfolio, currency

),

reporting_totals as (

    select
        benefits.portfolio,
        max(benefits.reporting_currency) as currency,
        max(benefits.evaluation_month) as evaluation_month,
        count(*) as benefits,
        count(case when benefits.is_in_review_window then 1 end) as benefits_in_review_window,
        count(case when benefits.needs_attention then 1 end) as attention_benefits,
        {%- for column in ['annual_planned_benefit', 'annual_planned_disbenefit', 'annual_planned_net',
                           'cumulative_realized_value', 'cumulative_planned_value', 'value_at_stake'] %}
        {{ sum_reporting('benefits.' ~ column ~ '_in_totals', 'benefits.' ~ column ~ '_in_totals_reporting') }}
            as {{ column }},
        {%- endfor %}
        sum(benefits.annual_planned_net_reporting * case when benefits.is_in_review_window then 1 else 0 end)
            - sum(benefits.annual_planned_net_in_totals_reporting) as over_claimed_annual_net,
        count(case when benefits.fx_rate_missing then 1 end) as benefits_without_rate
    from benefits
    group by benefits.portfolio

),

reporting_overlap as (

    select portfolio, {{ ordered_string_agg('kpi_id', "', '", distinct=true) }} as over_claimed_kpi_ids
    from claimants
    group by portfolio

),

{#- the per-currency rows and the reporting totals, alike from here on (the same columns in the
    same order; a per-currency row never lacks a rate) -#}
board_rows as (

    select totals.*, 0 as benefits_without_rate, false as is_reporting_total, portfolio_overlap.over_claimed_kpi_ids
    from totals
    left join portfolio_overlap
        on totals.portfolio is not distinct from portfolio_overlap.portfolio
        and totals.currency = portfolio_overlap.currency

    union all

    select totals.*, true as is_reporting_total, reporting_overlap.over_claimed_kpi_ids
    from reporting_totals as totals
    left join reporting_overlap
        on totals.portfolio is not distinct from reporting_overlap.portfolio

)

select
    portfolio,
    currency,
    is_reporting_total,
    evaluation_month,
    cast(benefits as {{ dbt.type_bigint() }}) as benefits,
    cast(benefits_in_review_window as {{ dbt.type_bigint() }}) as benefits_in_review_window,
    cast(attention_benefits as {{ dbt.type_bigint() }}) as attention_benefits,
    cast(annual_planned_benefit as {{ type_double() }}) as annual_planned_benefit,
    cast(annual_planned_disbenefit as {{ type_double() }}) as annual_planned_disbenefit,
    cast(annual_planned_net as {{ type_double() }}) as annual_planned_net,
    cast(cumulative_realized_value as {{ type_double() }}) as cumulative_realized_value,
    cast(cumulative_planned_value as {{ type_double() }}) as cumulative_planned_value,
    cast(cumulative_realized_value / nullif(cumulative_planned_value, 0) as {{ type_double() }})
        as realized_share_of_plan,
    {#- nothing at stake is 0, unless a benefit's rate is missing: then the total is unknown -#}
    cast(case when benefits_without_rate = 0 then coalesce(value_at_stake, 0) else value_at_stake end
        as {{ type_double() }}) as value_at_stake,
    cast(over_claimed_annual_net as {{ type_double() }}) as over_claimed_annual_net,
    over_claimed_kpi_ids,
    cast(benefits_without_rate as {{ dbt.type_bigint() }}) as benefits_without_rate
from board_rows
