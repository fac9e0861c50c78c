{#- Monthly KPI actuals (SPEC section 3): the KPI's aggregation over the current
    (post-restatement) measurements of each month, for months up to the evaluation month.
    `last` is the value with the greatest measured_on. -#}

with measurements as (

    select
        measurements.kpi_id,
        measurements.measured_month,
        measurements.measured_on,
        measurements.value,
        definitions.aggregation,
        row_number() over (
            partition by measurements.kpi_id, measurements.measured_month
            order by measurements.measured_on desc
        ) as recency_in_month
    from {{ ref('stg_kpi_measurements') }} as measurements
    inner join {{ ref('stg_kpi_definitions') }} as definitions
        on measurements.kpi_id = definitions.kpi_id
    where measurements.measured_month <= {{ evaluation_month() }}

)

select
    kpi_id,
    measured_month as period_month,
    max(aggregation) as aggregation,
    case max(aggregation)
        when 'sum' then sum(value)
        when 'avg' then avg(value)
        when 'min' then min(value)
        when 'max' then max(value)
        when 'last' then max(case when recency_in_month = 1 then value end)
    end as actual_value,
    count(*) as measurement_count,
    max(measured_on) as last_measured_on
from measurements
group by kpi_id, measured_month
