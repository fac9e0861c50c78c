{#- Key-milestone slippage at each reference point (SPEC 6): coalesce(actual, forecast,
    baseline) - baseline in days, where an actual date after the cutoff has not happened yet. -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

key_milestones as (

    select * from {{ ref('stg_milestones') }}
    where is_key

)

select
    reference_dates.project_id,
    reference_dates.reference_kind,
    reference_dates.cutoff_date,
    count(*) as key_milestones,
    max({{ dbt.datediff(
        'key_milestones.baseline_date',
        'coalesce(case when key_milestones.actual_date <= reference_dates.cutoff_date then key_milestones.actual_date end, key_milestones.forecast_date, key_milestones.baseline_date)',
        'day') }}) as max_key_slippage_days
from reference_dates
inner join key_milestones
    on key_milestones.project_id = reference_dates.project_id
group by reference_dates.project_id, reference_dates.reference_kind, reference_dates.cutoff_date
