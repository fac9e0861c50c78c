{#- Project health at every reference point (SPEC 6): earned value, margin, slippage, RAID,
    decisions, change requests, reported RAG, the derived (objective) RAG with the reasons that
    set it, and the watermelon flag (reported green, derived red). Thresholds are dbt vars. -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

projects as (

    select project_id, contract_value, budget_at_completion from {{ ref('stg_projects') }}

),

joined as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        reference_dates.financial_month as reference_month,
        financials.financial_month as latest_financial_month,
        financials.cpi,
        financials.spi,
        financials.cost_variance,
        financials.schedule_variance,
        financials.variance_at_completion,
        financials.estimate_at_completion,
        schedule.key_milestones,
        schedule.max_key_slippage_days,
        coalesce(raid.open_raid_items, 0) as open_raid_items,
        coalesce(raid.open_risks, 0) as open_risks,
        coalesce(raid.open_issues, 0) as open_issues,
        raid.oldest_open_item_days,
        coalesce(raid.documented_not_mitigated, 0) as documented_not_mitigated,
        coalesce(raid.critical_documented_not_mitigated, 0) as critical_documented_not_mitigated,
        coalesce(raid.high_documented_not_mitigated, 0) as high_documented_not_mitigated,
        coalesce(raid.open_decisions, 0) as open_decisions,
        coalesce(raid.overdue_decisions, 0) as overdue_decisions,
        raid.median_decision_latency_days,
        coalesce(crs.change_requests, 0) as change_requests,
        coalesce(crs.pending_change_requests, 0) as pending_change_requests,
        coalesce(crs.approved_change_cost, 0) as approved_change_cost,
        coalesce(crs.billable_approved_change_cost, 0) as billable_approved_change_cost,
        coalesce(crs.unbilled_approved_change_cost, 0) as unbilled_approved_change_cost,
        crs.median_days_to_decide,
        reported.report_date as last_report_date,
        reported.overall_rag as reported_rag,
        reported.benefits_rag as reported_benefits_rag,
        projects.contract_value - projects.budget_at_completion as planned_margin,
        projects.contract_value + coalesce(crs.billable_approved_change_cost, 0) - financials.estimate_at_completion
            as forecast_margin
    from reference_dates
    inner join projects
        on reference_dates.project_id = projects.project_id
    left join {{ ref('int_project_financial_position') }} as financials
        on reference_dates.project_id = financials.project_id
        and reference_dates.reference_kind = financials.reference_kind
        and reference_dates.cutoff_date = financials.cutoff_date
    left join {{ ref('int_project_schedule') }} as schedule
        on reference_dates.project_id = schedule.project_id
        and reference_dates.reference_kind = schedule.reference_kind
        and reference_dates.cutoff_date = schedule.cutoff_date
    left join {{ ref('int_project_raid') }} as raid
        on reference_dates.project_id = raid.project_id
        and reference_dates.reference_kind = raid.reference_kind
        and reference_dates.cutoff_date = raid.cutoff_date
    left join {{ ref('int_project_change_requests') }} as crs
        on reference_dates.project_id = crs.project_id
        and reference_dates.reference_kind = crs.reference_kind
        and reference_dates.cutoff_date = crs.cutoff_date
    left join {{ ref('int_project_reported_status') }} as reported
        on reference_dates.project_id = reported.project_id
        and reference_dates.reference_kind = reported.reference_kind
        and reference_dates.cutoff_date = reported.cutoff_date

),

triggers as (

    select
        *,
        {#- each trigger: its message when it fires, else null (indices truncated to 2 decimals, so
        the message never reads "0.85 < 0.85") -#}
        case when cpi < {{ var('cpi_red_below') }}
            then 'CPI ' || cast(floor(cpi * 100) / 100 as {{ dbt.type_string() }}) || ' < {{ var("cpi_red_below") }}' end as red_cpi,
        case when spi < {{ var('spi_red_below') }}
            then 'SPI ' || cast(floor(spi * 100) / 100 as {{ dbt.type_string() }}) || ' < {{ var("spi_red_below") }}' end as red_spi,
        case when max_key_slippage_days > {{ var('slippage_red_over_days') }}
            then 'key milestone ' || cast(max_key_slippage_days as {{ dbt.type_string() }})
                || ' days late (> {{ var("slippage_red_over_days") }})' end as red_slippage,
        case when critical_documented_not_mitigated > 0
            then cast(critical_documented_not_mitigated as {{ dbt.type_string() }})
                || ' critical risk/issue open > {{ var("mitigation_overdue_days") }} days without mitigation' end
            as red_unmitigated,
        case when cpi >= {{ var('cpi_red_below') }} and cpi < {{ var('cpi_amber_below') }}
            then 'CPI ' || cast(floor(cpi * 100) / 100 as {{ dbt.type_string() }}) || ' < {{ var("cpi_amber_below") }}' end as amber_cpi,
        case when spi >= {{ var('spi_red_below') }} and spi < {{ var('spi_amber_below') }}
            then 'SPI ' || cast(floor(spi * 100) / 100 as {{ dbt.type_string() }}) || ' < {{ var("spi_amber_below") }}' end as amber_spi,
        case when max_key_slippage_days > {{ var('slippage_amber_over_days') }}
                and max_key_slippage_days <= {{ var('slippage_red_over_days') }}
            then 'key milestone ' || cast(max_key_slippage_days as {{ dbt.type_string() }})
                || ' days late (> {{ var("slippage_amber_over_days") }})' end as amber_slippage,
        case when overdue_decisions > 0
            then cast(overdue_decisions as {{ dbt.type_string() }})
                || ' decision(s) open > {{ var("decision_overdue_days") }} days' end as amber_decisions,
        case when high_documented_not_mitigated > 0
            then cast(high_documented_not_mitigated as {{ dbt.type_string() }})
                || ' high risk/issue open > {{ var("mitigation_overdue_days") }} days without mitigation' end
            as amber_unmitigated
    from joined

),

rated as (

    select
        *,
        case
            when coalesce(red_cpi, red_spi, red_slippage, red_unmitigated) is not null then 'red'
            when coalesce(amber_cpi, amber_spi, amber_slippage, amber_decisions, amber_unmitigated) is not null
                then 'amber'
            else 'green'
        end as derived_rag
    from triggers

)

select
    project_id,
    reference_kind,
    cutoff_date,
    reference_month,
    latest_financial_month,
    cpi,
    spi,
    cost_variance,
    schedule_variance,
    variance_at_completion,
    estimate_at_completion,
    planned_margin,
    forecast_margin,
    planned_margin - forecast_margin as margin_leakage,
    key_milestones,
    max_key_slippage_days,
    open_raid_items,
    open_risks,
    open_issues,
    oldest_open_item_days,
    documented_not_mitigated,
    critical_documented_not_mitigated,
    high_documented_not_mitigated,
    open_decisions,
    overdue_decisions,
    median_decision_latency_days,
    change_requests,
    pending_change_requests,
    approved_change_cost,
    billable_approved_change_cost,
    unbilled_approved_change_cost,
    median_days_to_decide,
    last_report_date,
    reported_rag,
    reported_benefits_rag,
    derived_rag,
    case
        when derived_rag = 'red' then concat_ws('; ', red_cpi, red_spi, red_slippage, red_unmitigated)
        when derived_rag = 'amber'
            then concat_ws('; ', amber_cpi, amber_spi, amber_slippage, amber_decisions, amber_unmitigated)
    end as derived_rag_reasons,
    coalesce(reported_rag = 'green' and derived_rag = 'red', false) as is_watermelon
from rated
