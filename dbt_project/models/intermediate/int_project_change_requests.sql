{#- Change requests at each reference point (SPEC 6): raised on or before the cutoff; a decision
    counts once it was taken by then (else the request is still pending). -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

requests as (

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

)

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
from requests
group by project_id, reference_kind, cutoff_date
