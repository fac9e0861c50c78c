{#- RAID log at each reference point (SPEC 6): items raised on or before the cutoff; open when
    not closed by then; aged in days at the cutoff. A high or critical risk or issue open more
    than 30 days without mitigation is documented-not-mitigated; an open decision older than
    14 days is overdue; decision latency = closed_on - raised_on. -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

items as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        raid.raid_id,
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

flagged as (

    select
        *,
        is_open
            and raid_type in ('risk', 'issue')
            and severity in ('high', 'critical')
            and age_days > {{ var('mitigation_overdue_days') }}
            and mitigation is null
        as is_documented_not_mitigated,
        is_open and raid_type = 'decision' and age_days > {{ var('decision_overdue_days') }} as is_overdue_decision
    from items

)

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
from flagged
group by project_id, reference_kind, cutoff_date
