{#- One row per project in the register: the register's facts, its delivery health (reported
    and derived RAG, watermelon flags, CPI/SPI, margin, RAID, change requests) and its benefits
    summed up: how many, how many still tracked, how many need attention (and, after closure,
    the ones the closure review chases), value realized to date against the annual plan (one
    currency per project), and the owners of the benefits that make it a benefits watermelon. -#}

with projects as (

    select * from {{ ref('dim_project') }}

),

health as (

    select * from {{ ref('fct_project_health') }}

),

status as (

    select * from {{ ref('fct_benefit_status') }}

),

vocabulary as (

    select * from {{ ref('dim_benefit_status') }}

),

benefits as (

    select
        status.project_id,
        status.benefit_owner,
        status.cumulative_realized_value,
        status.annual_planned_value,
        status.cumulative_realized_value_reporting,
        status.annual_planned_value_reporting,
        vocabulary.is_tracked,
        vocabulary.needs_attention,
        vocabulary.closure_attention,
        vocabulary.flags_benefits_watermelon
    from status
    inner join vocabulary
        on status.status = vocabulary.status

),

benefit_totals as (

    select
        project_id,
        count(*) as benefits,
        count(case when is_tracked then 1 end) as benefits_tracked,
        count(case when needs_attention then 1 end) as benefits_needing_attention,
        count(case when closure_attention then 1 end) as benefits_closure_attention,
        sum(cumulative_realized_value) as realized_to_date,
        sum(annual_planned_value) as annual_planned_value,
        sum(cumulative_realized_value_reporting) as realized_to_date_reporting,
        count(case when cumulative_realized_value is not null and cumulative_realized_value_reporting is null then 1 end)
            as realized_without_rate,
        {{ sum_reporting('annual_planned_value', 'annual_planned_value_reporting') }} as annual_planned_value_reporting
    from benefits
    group by project_id

),

flagged_owners as (

    select
        project_id,
        {{ ordered_string_agg('benefit_owner', "', '") }} as flagged_benefit_owners
    from (
        select distinct project_id, benefit_owner
        from benefits
        where flags_benefits_watermelon and benefit_owner is not null
    ) as owners
    group by project_id

)

select
    projects.project_id,
    projects.project_name,
    projects.portfolio,
    projects.programme,
    projects.business_unit,
    projects.sponsor,
    projects.project_manager,
    projects.stage,
    projects.start_date,
    projects.planned_end_date,
    projects.actual_close_date,
    case
        when projects.actual_close_date is not null
            then {{ months_between(month_of('projects.actual_close_date'), month_of(as_of_date())) }}
    end as months_since_close,
    projects.currency,
    projects.budget_at_completion,
    projects.contract_value,
    projects.is_client_project,
    cast(coalesce(benefit_totals.benefits, 0) as {{ dbt.type_bigint() }}) as benefits,
    cast(coalesce(benefit_totals.benefits_tracked, 0) as {{ dbt.type_bigint() }}) as benefits_tracked,
    cast(coalesce(benefit_totals.benefits_needing_attention, 0) as {{ dbt.type_bigint() }})
        as benefits_needing_attention,
    cast(coalesce(benefit_totals.benefits_closure_attention, 0) as {{ dbt.type_bigint() }})
        as benefits_closure_attention,
    cast(coalesce(benefit_totals.realized_to_date, 0) as {{ type_double() }}) as realized_to_date,
    cast(benefit_totals.annual_planned_value as {{ type_double() }}) as annual_planned_value,
    health.last_report_date,
    health.reported_rag,
    health.reported_benefits_rag,
    health.derived_rag,
    health.derived_rag_reasons,
    health.is_watermelon,
    health.watermelon_months,
    health.is_benefits_watermelon,
    health.flagged_benefits,
    health.flagged_benefit_list,
    flagged_owners.flagged_benefit_owners,
    health.latest_financial_month,
    health.cpi,
    health.spi,
    health.planned_margin,
    health.forecast_margin,
    health.margin_leakage,
    health.key_milestones,
    health.max_key_slippage_days,
    health.open_raid_items,
    health.open_risks,
    health.open_issues,
    health.oldest_open_item_days,
    health.documented_not_mitigated,
    health.critical_documented_not_mitigated,
    health.open_decisions,
    health.overdue_decisions,
    health.median_decision_latency_days,
    health.change_requests,
    health.pending_change_requests,
    health.approved_change_cost,
    health.unbilled_approved_change_cost,
    {{ evaluation_month() }} as evaluation_month,
    {{ as_of_date() }} as as_of_date,
    {#- the money in the reporting currency: register and delivery amounts at the evaluation
        month's rate, the benefits' sums as their benefits convert them -#}
    projects.reporting_currency,
    projects.budget_at_completion_reporting,
    projects.contract_value_reporting,
    cast(case
        when coalesce(benefit_totals.realized_without_rate, 0) = 0
            then coalesce(benefit_totals.realized_to_date_reporting, 0)
    end as {{ type_double() }}) as realized_to_date_reporting,
    benefit_totals.annual_planned_value_reporting,
    health.planned_margin_reporting,
    health.forecast_margin_reporting,
    health.margin_leakage_reporting,
    health.approved_change_cost_reporting,
    health.unbilled_approved_change_cost_reporting,
    coalesce(
        projects.fx_rate_missing
        or health.fx_rate_missing
        or benefit_totals.realized_without_rate > 0
        or (benefit_totals.annual_planned_value is not null and benefit_totals.annual_planned_value_reporting is null),
        false
    ) as fx_rate_missing
from projects
left join health
    on projects.project_id = health.project_id
left join benefit_totals
    on projects.project_id = benefit_totals.project_id
left join flagged_owners
    on projects.project_id = flagged_owners.project_id
