{#- One row per project: delivery health as of the run (SPEC section 6) — earned value at the
    latest financial month up to the evaluation month, margin leakage of client projects,
    key-milestone slippage, RAID and decisions, change requests, reported against derived RAG,
    and the two watermelon tests: delivery (reported green, derived red) and benefits
    (reported benefits green while a benefit has a status that flags_benefits_watermelon in
    var benefit_statuses: off_track, eroding or stale). -#}

with health as (

    select * from {{ ref('int_project_health') }}
    where reference_kind = 'as_of'

),

monthly as (

    select project_id, watermelon_streak_months
    from {{ ref('int_project_health') }}
    where reference_kind = 'month' and reference_month = {{ evaluation_month() }}

),

flagged_benefits as (

    select
        project_id,
        count(*) as flagged_benefits,
        {{ ordered_string_agg("benefit_id || ' ' || status", "', '", order_by='benefit_id') }} as flagged_benefit_list
    from {{ ref('fct_benefit_status') }}
    where status in {{ statuses_where('flags_benefits_watermelon') }}
    group by project_id

),

{#- the rate of the evaluation month of the project's currency (dim_project): the amounts as of
    the run are positions, converted like the other stock values -#}
rates as (

    select project_id, fx_rate from {{ ref('dim_project') }}

)

select
    health.project_id,
    health.cutoff_date as as_of_date,
    health.latest_financial_month,
    cast(health.cpi as {{ type_double() }}) as cpi,
    cast(health.spi as {{ type_double() }}) as spi,
    cast(health.cost_variance as {{ type_double() }}) as cost_variance,
    cast(health.schedule_variance as {{ type_double() }}) as schedule_variance,
    cast(health.variance_at_completion as {{ type_double() }}) as variance_at_completion,
    cast(health.planned_margin as {{ type_double() }}) as planned_margin,
    cast(health.forecast_margin as {{ type_double() }}) as forecast_margin,
    cast(health.margin_leakage as {{ type_double() }}) as margin_leakage,
    cast(health.key_milestones as {{ dbt.type_bigint() }}) as key_milestones,
    cast(health.max_key_slippage_days as {{ dbt.type_bigint() }}) as max_key_slippage_days,
    cast(health.open_raid_items as {{ dbt.type_bigint() }}) as open_raid_items,
    cast(health.open_risks as {{ dbt.type_bigint() }}) as open_risks,
    cast(health.open_issues as {{ dbt.type_bigint() }}) as open_issues,
    cast(health.oldest_open_item_days as {{ dbt.type_bigint() }}) as oldest_open_item_days,
    cast(health.documented_not_mitigated as {{ dbt.type_bigint() }}) as documented_not_mitigated,
    cast(health.critical_documented_not_mitigated as {{ dbt.type_bigint() }}) as critical_documented_not_mitigated,
    cast(health.open_decisions as {{ dbt.type_bigint() }}) as open_decisions,
    cast(health.overdue_decisions as {{ dbt.type_bigint() }}) as overdue_decisions,
    cast(health.median_decision_latency_days as {{ type_double() }}) as median_decision_latency_days,
    cast(health.change_requests as {{ dbt.type_bigint() }}) as change_requests,
    cast(health.pending_change_requests as {{ dbt.type_bigint() }}) as pending_change_requests,
    cast(health.approved_change_cost as {{ type_double() }}) as approved_change_cost,
    cast(health.unbilled_approved_change_cost as {{ type_double() }}) as unbilled_approved_change_cost,
    cast(health.median_days_to_decide as {{ type_double() }}) as median_days_to_decide,
    health.last_report_date,
    health.reported_rag,
    health.reported_benefits_rag,
    health.derived_rag,
    health.derived_rag_reasons,
    health.is_watermelon,
    cast(coalesce(monthly.watermelon_streak_months, 0) as {{ dbt.type_bigint() }}) as watermelon_months,
    coalesce(health.reported_benefits_rag = 'green' and flagged_benefits.flagged_benefits > 0, false)
        as is_benefits_watermelon,
    cast(coalesce(flagged_benefits.flagged_benefits, 0) as {{ dbt.type_bigint() }}) as flagged_benefits,
    flagged_benefits.flagged_benefit_list,
    {#- the money in the reporting currency, at the evaluation month's rate -#}
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    {{ to_reporting('health.cost_variance', 'rates.fx_rate') }} as cost_variance_reporting,
    {{ to_reporting('health.schedule_variance', 'rates.fx_rate') }} as schedule_variance_reporting,
    {{ to_reporting('health.variance_at_completion', 'rates.fx_rate') }} as variance_at_completion_reporting,
    {{ to_reporting('health.planned_margin', 'rates.fx_rate') }} as planned_margin_reporting,
    {{ to_reporting('health.forecast_margin', 'rates.fx_rate') }} as forecast_margin_reporting,
    {{ to_reporting('health.margin_leakage', 'rates.fx_rate') }} as margin_leakage_reporting,
    {{ to_reporting('health.approved_change_cost', 'rates.fx_rate') }} as approved_change_cost_reporting,
    {{ to_reporting('health.unbilled_approved_change_cost', 'rates.fx_rate') }} as unbilled_approved_change_cost_reporting,
    rates.fx_rate is null and coalesce(
        health.cost_variance,
        health.schedule_variance,
        health.variance_at_completion,
        health.planned_margin,
        health.forecast_margin,
        health.margin_leakage,
        health.approved_change_cost,
        health.unbilled_approved_change_cost
    ) is not null as fx_rate_missing
from health
left join monthly
    on health.project_id = monthly.project_id
left join flagged_benefits
    on health.project_id = flagged_benefits.project_id
left join rates
    on health.project_id = rates.project_id
