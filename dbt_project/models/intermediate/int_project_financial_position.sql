{#- Earned value at each reference point: the latest financial month on or before it (SPEC 6).
    CPI = EV / AC, SPI = EV / PV (null when the divisor is 0), CV = EV - AC, SV = EV - PV,
    VAC = BAC - EAC. No financials yet: a row of nulls. -#}

with reference_dates as (

    select * from {{ ref('int_project_reference_dates') }}

),

financials as (

    select * from {{ ref('stg_financials') }}

),

ranked as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        financials.period_month,
        financials.planned_value,
        financials.earned_value,
        financials.actual_cost,
        financials.estimate_at_completion,
        row_number() over (
            partition by reference_dates.project_id, reference_dates.reference_kind, reference_dates.cutoff_date
            order by financials.period_month desc
        ) as recency
    from reference_dates
    inner join financials
        on financials.project_id = reference_dates.project_id
        and financials.period_month <= reference_dates.financial_month

)

select
    ranked.project_id,
    ranked.reference_kind,
    ranked.cutoff_date,
    ranked.period_month as financial_month,
    ranked.planned_value,
    ranked.earned_value,
    ranked.actual_cost,
    ranked.estimate_at_completion,
    ranked.earned_value / nullif(ranked.actual_cost, 0) as cpi,
    ranked.earned_value / nullif(ranked.planned_value, 0) as spi,
    ranked.earned_value - ranked.actual_cost as cost_variance,
    ranked.earned_value - ranked.planned_value as schedule_variance,
    projects.budget_at_completion - ranked.estimate_at_completion as variance_at_completion
from ranked
inner join {{ ref('stg_projects') }} as projects
    on ranked.project_id = projects.project_id
where ranked.recency = 1
