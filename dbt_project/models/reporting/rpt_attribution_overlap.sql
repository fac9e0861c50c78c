{#- One row per KPI (and currency) whose improvement benefits claim more than once: which
    benefits claim it, over which months, how much they claim at most, and how much realized
    value the portfolio roll-up leaves out by capping the claims at 100 % (to the evaluation
    month). The data-quality page, the alerts and the board pack list these rows. -#}

with overlap as (

    select * from {{ ref('fct_attribution_overlap') }}

),

benefits as (

    select benefit_id, kpi_name, currency, benefit_owner, project_id from {{ ref('dim_benefit') }}

),

projects as (

    select project_id, portfolio from {{ ref('dim_project') }}

),

claimants as (

    select distinct
        overlap.kpi_id,
        overlap.is_disbenefit,
        overlap.benefit_id,
        overlap.attribution_pct,
        benefits.currency,
        benefits.kpi_name,
        benefits.benefit_owner,
        projects.portfolio
    from overlap
    inner join benefits
        on overlap.benefit_id = benefits.benefit_id
    inner join projects
        on benefits.project_id = projects.project_id

),

named as (

    select
        kpi_id,
        is_disbenefit,
        currency,
        min(kpi_name) as kpi_name,
        {{ ordered_string_agg('benefit_id', "', '") }} as claiming_benefit_ids,
        {{ ordered_string_agg('benefit_owner', "', '", distinct=true) }} as benefit_owners,
        {{ ordered_string_agg('portfolio', "', '", distinct=true) }} as portfolios
    from claimants
    group by kpi_id, is_disbenefit, currency

),

months as (

    select
        overlap.kpi_id,
        overlap.is_disbenefit,
        benefits.currency,
        max(overlap.claimed_attribution_pct) as max_claimed_attribution_pct,
        min(overlap.period_month) as first_overlap_month,
        max(overlap.period_month) as last_overlap_month,
        count(distinct overlap.period_month) as overlap_months,
        bool_or(not overlap.is_after_evaluation
            and overlap.period_month = {{ evaluation_month() }}) as is_over_claimed_at_evaluation,
        sum(overlap.over_claimed_value) as over_claimed_value
    from overlap
    inner join benefits
        on overlap.benefit_id = benefits.benefit_id
    group by overlap.kpi_id, overlap.is_disbenefit, benefits.currency

)

select
    named.kpi_id,
    named.kpi_name,
    named.is_disbenefit,
    named.currency,
    named.claiming_benefit_ids,
    named.benefit_owners,
    named.portfolios,
    cast(months.max_claimed_attribution_pct as {{ type_double() }}) as max_claimed_attribution_pct,
    months.first_overlap_month,
    months.last_overlap_month,
    cast(months.overlap_months as {{ dbt.type_bigint() }}) as overlap_months,
    months.is_over_claimed_at_evaluation,
    cast(coalesce(months.over_claimed_value, 0) as {{ type_double() }}) as over_claimed_value
from named
inner join months
    on named.kpi_id = months.kpi_id
    and named.is_disbenefit = months.is_disbenefit
    and named.currency = months.currency
