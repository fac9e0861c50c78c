{#- One row per valid benefit with its resolved parameters (SPEC sections 4 and 7) and how
    often its goalposts moved (fct_benefit_versions). Value per unit and annual planned value
    are stock values: in the reporting currency at the evaluation month's rate (dim_project). -#}

{%- set annual_planned_value_sql -%}
    case
        when benefits.category <> 'non_financial'
            then benefits.target_improvement * benefits.attribution_pct * benefits.value_per_unit * 12
    end
{%- endset %}

with benefits as (

    select * from {{ ref('int_benefits_resolved') }}
    where invalid_reason is null

),

projects as (

    select project_id, currency, fx_rate from {{ ref('dim_project') }}

),

rebaselines as (

    select
        benefit_id,
        count(*) - 1 as times_rebaselined,
        max(case when version_number > 1 then valid_from end) as last_rebaselined_at
    from {{ ref('fct_benefit_versions') }}
    group by benefit_id

)

select
    benefits.benefit_id,
    benefits.project_id,
    benefits.benefit_name,
    benefits.category,
    benefits.is_disbenefit,
    benefits.kpi_id,
    benefits.kpi_name,
    benefits.unit,
    benefits.direction,
    cast(benefits.baseline_value as {{ type_double() }}) as baseline_value,
    benefits.baseline_source,
    benefits.baseline_start,
    benefits.baseline_end,
    benefits.target_value,
    cast(benefits.target_improvement as {{ type_double() }}) as target_improvement,
    benefits.realization_start,
    benefits.target_date,
    benefits.review_until,
    benefits.profile,
    benefits.attribution_pct,
    benefits.value_per_unit,
    projects.currency,
    cast({{ annual_planned_value_sql }} as {{ type_double() }}) as annual_planned_value,
    benefits.benefit_owner,
    benefits.realization_month,
    benefits.target_month,
    benefits.review_until_month,
    coalesce(rebaselines.times_rebaselined, 0) as times_rebaselined,
    rebaselines.last_rebaselined_at,
    {#- the reporting currency (int_fx_rates, at the evaluation month's rate) -#}
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    {{ to_reporting('benefits.value_per_unit', 'projects.fx_rate') }} as value_per_unit_reporting,
    {{ to_reporting(annual_planned_value_sql, 'projects.fx_rate') }} as annual_planned_value_reporting,
    coalesce(projects.fx_rate is null and benefits.value_per_unit is not null, false) as fx_rate_missing
from benefits
inner join projects
    on benefits.project_id = projects.project_id
left join rebaselines
    on benefits.benefit_id = rebaselines.benefit_id
