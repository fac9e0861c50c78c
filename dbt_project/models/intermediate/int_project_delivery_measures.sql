{#- Delivery measures of every project at every reference point of int_project_reference_dates
    (SPEC sections 3 and 6: the as-of date and each month end), each with what was known by its
    cutoff:
    - earned value at the latest financial month on or before the point's financial month:
      CPI = EV / AC, SPI = EV / PV (null when the divisor is 0), CV = EV - AC, SV = EV - PV,
      VAC = BAC - EAC; no financials yet: nulls;
    - key-milestone slippage: coalesce(actual, forecast, baseline) - baseline in days, where an
      actual date after the cutoff has not happened yet;
    - RAID items raised on or before the cutoff, open when not closed by then, aged in days at
      the cutoff: a high or critical risk or issue open more than var mitigation_overdue_days
      without mitigation is documented-not-mitigated; an open decision older than var
      decision_overdue_days is overdue; decision latency = closed_on - raised_on;
    - change requests raised on or before the cutoff, a decision counting once it was taken by
      then (else the request is still pending);
    - the latest status report on or before the cutoff (reported RAG);
    - client projects' planned and forecast margin. int_project_health rates these. -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

ranked_financials as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        financials.period_month,
        financials.planned_value,
        financials.earned_value,
        financials.actual_cost,
        financials.estimate_at_completion,
        reference_dates.budget_at_completion,
        {{ recency_per_reference('financials.period_month') }} as recency
    from reference_dates
    inner join {{ ref('stg_financials') }} as financials
        on financials.project_id = reference_dates.project_id
        and financials.period_month <= reference_dates.financial_month

),

financial_position as (

    select
        ranked_financials.project_id,
        ranked_financials.reference_kind,
        ranked_financials.cutoff_date,
        ranked_financials.period_month as financial_month,
        ranked_financials.estimate_at_completion,
        ranked_financials.earned_value / nullif(ranked_financials.actual_cost, 0) as cpi,
        ranked_financials.earned_value / nullif(ranked_financials.planned_value, 0) as spi,
        ranked_financials.earned_value - ranked_financials.actual_cost as cost_variance,
        ranked_financials.earned_value - ranked_financials.planned_value as schedule_variance,
        ranked_financials.budget_at_completion - ranked_financials.estimate_at_completion as variance_at_completion
    from ranked_financials
    where ranked_financials.recency = 1

),

schedule as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        count(*) as key_milestones,
        max({{ dbt.datediff(
            'milestones.baseline_date',
            'coalesce(case when milestones.actual_date <= reference_dates.cutoff_date then milestones.actual_date end, milestones.forecast_date, milestones.baseline_date)',
            'day') }}) as max_key_slippage_days
    from reference_dates
    inner join {{ ref('stg_milestones') }} as milestones
        on milestones.project_id = reference_dates.project_id
    where milestones.is_key
    group by reference_dates.project_id, reference_dates.reference_kind, reference_dates.cutoff_date

),

raid_items as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        raid.raid_type,
        raid.severity,
        raid.mitigation,
        raid.closed_on is null or raid.closed_on > reference_dates.cutoff_date as is_open,
        {{ dbt.datediff('raid.raised_on', 'reference_dates.cutoff_date', 'day') }} as age_days,
        case
            when raid.closed_on <= reference_dates.cutoff_date
                then {{ dbt.datediff('raid.raised_on', 'raid.closed_on', 'day') }}
        end as days_to_close
    from reference_dates
    inner join {{ ref('stg_raid_log') }} as raid
        on raid.project_id = reference_dates.project_id
        and raid.raised_on <= reference_dates.cutoff_date

),

flagged_raid_items as (

    select
        *,
        is_open
            and raid_type in ('risk', 'issue')
            and severity in ('high', 'critical')
            and age_days > {{ var('mitigation_overdue_days') }}
            and mitigation is null
        as is_documented_not_mitigated,
        is_open and raid_type = 'decision' and age_days > {{ var('decision_overdue_days') }} as is_overdue_decision
    from raid_items

),

raid as (

    select
        project_id,
        reference_kind,
        cutoff_date,
        sum(case when is_open then 1 else 0 end) as open_raid_items,
        sum(case when is_open and raid_type = 'risk' then 1 else 0 end) as open_risks,
        sum(case when is_open and raid_type = 'issue' then 1 else 0 end) as open_issues,
        max(case when is_open then age_days end) as oldest_open_item_days,
        sum(case when is_documented_not_mitigated then 1 else 0 end) as documented_not_mitigated,
        sum(case when is_documented_not_mitigated and severity = 'critical' then 1 else 0 end)
            as critical_documented_not_mitigated,
        sum(case when is_documented_not_mitigated and severity = 'high' then 1 else 0 end)
            as high_documented_not_mitigated,
        sum(case when is_overdue_decision then 1 else 0 end) as overdue_decisions,
        sum(case when is_open and raid_type = 'decision' then 1 else 0 end) as open_decisions,
        percentile_cont(0.5) within group (
            order by case when raid_type = 'decision' then days_to_close end
        ) as median_decision_latency_days
    from flagged_raid_items
    group by project_id, reference_kind, cutoff_date

),

change_request_items as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        crs.cost_impact,
        crs.billable,
        case
            when coalesce(crs.decided_on, crs.raised_on) <= reference_dates.cutoff_date then crs.decision
            else 'pending'
        end as decision_at_cutoff,
        case
            when crs.decision <> 'pending' and crs.decided_on <= reference_dates.cutoff_date
                then {{ dbt.datediff('crs.raised_on', 'crs.decided_on', 'day') }}
        end as days_to_decide
    from reference_dates
    inner join {{ ref('stg_change_requests') }} as crs
        on crs.project_id = reference_dates.project_id
        and crs.raised_on <= reference_dates.cutoff_date

),

change_requests as (

    select
        project_id,
        reference_kind,
        cutoff_date,
        count(*) as change_requests,
        sum(case when decision_at_cutoff = 'pending' then 1 else 0 end) as pending_change_requests,
        coalesce(sum(case when decision_at_cutoff = 'approved' then cost_impact end), 0) as approved_change_cost,
        coalesce(sum(case when decision_at_cutoff = 'approved' and billable then cost_impact end), 0)
            as billable_approved_change_cost,
        coalesce(sum(case when decision_at_cutoff = 'approved' and not billable then cost_impact end), 0)
            as unbilled_approved_change_cost,
        percentile_cont(0.5) within group (order by days_to_decide) as median_days_to_decide
    from change_request_items
    group by project_id, reference_kind, cutoff_date

),

ranked_reports as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        reports.report_date,
        reports.overall_rag,
        reports.benefits_rag,
        {{ recency_per_reference('reports.report_date') }} as recency
    from reference_dates
    inner join {{ ref('stg_status_reports') }} as reports
        on reports.project_id = reference_dates.project_id
        and reports.report_date <= reference_dates.cutoff_date

),

reported as (

    select project_id, reference_kind, cutoff_date, report_date, overall_rag, benefits_rag
    from ranked_reports
    where recency = 1

)

select
    reference_dates.project_id,
    reference_dates.reference_kind,
    reference_dates.cutoff_date,
    reference_dates.financial_month as reference_month,
    financial_position.financial_month as latest_financial_month,
    financial_position.cpi,
    financial_position.spi,
    financial_position.cost_variance,
    financial_position.schedule_variance,
    financial_position.variance_at_completion,
    financial_position.estimate_at_completion,
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
    coalesce(change_requests.change_requests, 0) as change_requests,
    coalesce(change_requests.pending_change_requests, 0) as pending_change_requests,
    coalesce(change_requests.approved_change_cost, 0) as approved_change_cost,
    coalesce(change_requests.billable_approved_change_cost, 0) as billable_approved_change_cost,
    coalesce(change_requests.unbilled_approved_change_cost, 0) as unbilled_approved_change_cost,
    change_requests.median_days_to_decide,
    reported.report_date as last_report_date,
    reported.overall_rag as reported_rag,
    reported.benefits_rag as reported_benefits_rag,
    reference_dates.contract_value - reference_dates.budget_at_completion as planned_margin,
    reference_dates.contract_value + coalesce(change_requests.billable_approved_change_cost, 0)
        - financial_position.estimate_at_completion as forecast_margin
from reference_dates
left join financial_position using (project_id, reference_kind, cutoff_date)
left join schedule using (project_id, reference_kind, cutoff_date)
left join raid using (project_id, reference_kind, cutoff_date)
left join change_requests using (project_id, reference_kind, cutoff_date)
left join reported using (project_id, reference_kind, cutoff_date)
