{#- Every benefit that passed ingestion with its parameters resolved (SPEC sections 2 and 4):
    realization_start defaults to the project's actual close date, else its planned end date;
    review_until to target_date + 24 months; attribution_pct to 1; the baseline B is the given
    value, else the mean monthly actual over the baseline window's months that have data.
    invalid_reason is 'target_not_an_improvement' when TI = s * (target - B) <= 0. -#}

with benefits as (

    select * from {{ ref('stg_benefits') }}

),

projects as (

    select project_id, actual_close_date, planned_end_date from {{ ref('stg_projects') }}

),

kpis as (

    select kpi_id, kpi_name, unit from {{ ref('stg_kpi_definitions') }}

),

with_defaults as (

    select
        benefits.*,
        coalesce(benefits.realization_start, projects.actual_close_date, projects.planned_end_date)
            as resolved_realization_start,
        coalesce(
            benefits.review_until,
            cast({{ dbt.dateadd('month', var('default_review_months'), 'benefits.target_date') }} as date)
        ) as resolved_review_until,
        coalesce(benefits.attribution_pct, 1.0) as resolved_attribution_pct
    from benefits
    inner join projects
        on benefits.project_id = projects.project_id

),

measured_baselines as (

    select
        with_defaults.benefit_id,
        avg(monthly.actual_value) as measured_baseline,
        count(monthly.actual_value) as baseline_months_with_data
    from with_defaults
    inner join {{ ref('int_kpi_monthly') }} as monthly
        on monthly.kpi_id = with_defaults.kpi_id
        and monthly.period_month >= {{ month_of('with_defaults.baseline_start') }}
        and monthly.period_month <= {{ month_of('with_defaults.baseline_end') }}
    where with_defaults.baseline_value is null
    group by with_defaults.benefit_id

),

resolved as (

    select
        with_defaults.benefit_id,
        with_defaults.project_id,
        with_defaults.benefit_name,
        with_defaults.category,
        with_defaults.is_disbenefit,
        with_defaults.kpi_id,
        kpis.kpi_name,
        kpis.unit,
        with_defaults.direction,
        with_defaults.direction_sign,
        coalesce(with_defaults.baseline_value, measured_baselines.measured_baseline) as baseline_value,
        case
            when with_defaults.baseline_value is not null then 'given'
            when measured_baselines.measured_baseline is not null then 'measured'
        end as baseline_source,
        with_defaults.baseline_start,
        with_defaults.baseline_end,
        coalesce(measured_baselines.baseline_months_with_data, 0) as baseline_months_with_data,
        with_defaults.target_value,
        with_defaults.resolved_realization_start as realization_start,
        with_defaults.target_date,
        with_defaults.resolved_review_until as review_until,
        with_defaults.profile,
        with_defaults.resolved_attribution_pct as attribution_pct,
        with_defaults.value_per_unit,
        with_defaults.benefit_owner,
        with_defaults.source_file,
        with_defaults.source_row_number,
        {{ month_of('with_defaults.resolved_realization_start') }} as realization_month,
        {{ month_of('with_defaults.target_date') }} as target_month,
        {{ month_of('with_defaults.resolved_review_until') }} as review_until_month
    from with_defaults
    inner join kpis
        on with_defaults.kpi_id = kpis.kpi_id
    left join measured_baselines
        on with_defaults.benefit_id = measured_baselines.benefit_id

)

select
    *,
    direction_sign * (target_value - baseline_value) as target_improvement,
    {{ months_between('realization_month', 'target_month') }} as ramp_months,
    case
        when direction_sign * (target_value - baseline_value) <= 0 then 'target_not_an_improvement'
    end as invalid_reason
from resolved
