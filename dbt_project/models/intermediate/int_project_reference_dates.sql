{#- The points in time project health is measured at (SPEC sections 3 and 6): the run's as-of
    date (events up to as_of, financial months up to the evaluation month) and every month end
    from the project's start month to the evaluation month (events up to that month's end,
    financial months up to that month), for the monthly history. Each carries the project's
    budget and contract value, which the delivery measures compare against. -#}

with projects as (

    select project_id, start_date, budget_at_completion, contract_value from {{ ref('stg_projects') }}

)

select
    project_id,
    'as_of' as reference_kind,
    {{ as_of_date() }} as cutoff_date,
    {{ evaluation_month() }} as financial_month,
    budget_at_completion,
    contract_value
from projects

union all

select
    projects.project_id,
    'month' as reference_kind,
    calendar.month_end as cutoff_date,
    calendar.period_month as financial_month,
    projects.budget_at_completion,
    projects.contract_value
from projects
inner join {{ ref('int_calendar_months') }} as calendar
    on calendar.period_month >= {{ month_of('projects.start_date') }}
