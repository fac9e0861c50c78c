{#- Project health at every reference point (SPEC 6): the delivery measures of
    int_project_delivery_measures, margin leakage (planned - forecast margin), the derived
    (objective) RAG with the reasons that set it, the watermelon flag (reported green, derived
    red) and, on month ends, how many consecutive month ends up to this one were watermelons.
    Thresholds are dbt vars. -#}

with measures as (

    select * from {{ ref('int_project_delivery_measures') }}

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
    from measures

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

),

flagged as (

    select
        *,
        coalesce(reported_rag = 'green' and derived_rag = 'red', false) as is_watermelon
    from rated

),

islands as (

    {#- month ends of a project numbered into runs: a new run starts after each month end that
        was not a watermelon -#}
    select
        *,
        sum(case when is_watermelon then 0 else 1 end) over (
            partition by project_id, reference_kind order by reference_month
            rows between unbounded preceding and current row
        ) as island
    from flagged

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
    is_watermelon,
    case
        when reference_kind = 'month' and is_watermelon
            then row_number() over (partition by project_id, reference_kind, island order by reference_month)
                - case when island > 0 then 1 else 0 end
        when reference_kind = 'month' then 0
    end as watermelon_streak_months
from islands
