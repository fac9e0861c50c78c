{#- One row per KPI, whether it is measured by hand, with its freshness as of the run: the latest measurement (up to as_of)
    against the allowance for its declared frequency (var freshness_days), and whether its
    evaluation month is complete (SPEC section 3: an incomplete month reads as no data). -#}

{%- set allowed = var('freshness_days') %}

with measurements as (

    select
        kpi_id,
        max(measured_on) as last_measured_on,
        count(*) as measurement_count
    from {{ ref('stg_kpi_measurements') }}
    where measured_on <= {{ as_of_date() }}
    group by kpi_id

),

{#- the latest measurement recorded by hand (pipelines.checkins: it names who recorded it) -#}
manual as (

    select kpi_id, measured_on, value, recorded_by, recorded_at, evidence
    from (
        select
            *,
            row_number() over (partition by kpi_id order by measured_on desc, recorded_at desc) as recency_rank
        from {{ ref('stg_kpi_measurements') }}
        where recorded_by is not null
            and measured_on <= {{ as_of_date() }}
    ) as by_hand
    where recency_rank = 1

),

evaluation_month as (

    select kpi_id, measurement_count, is_complete, last_measured_on
    from {{ ref('int_kpi_monthly') }}
    where period_month = {{ evaluation_month() }}

),

kpis as (

    select
        definitions.*,
        case definitions.frequency
            {%- for frequency, days in allowed.items() %}
            when '{{ frequency }}' then {{ days }}
            {%- endfor %}
        end as allowed_days,
        measurements.last_measured_on,
        coalesce(measurements.measurement_count, 0) as measurement_count,
        {{ dbt.datediff('measurements.last_measured_on', as_of_date(), 'day') }} as days_since_last_measurement,
        coalesce(evaluation_month.measurement_count, 0) as evaluation_month_measurements,
        coalesce(evaluation_month.is_complete, false) as is_evaluation_month_complete,
        evaluation_month.last_measured_on as evaluation_month_last_measured_on,
        manual.measured_on as last_manual_measured_on,
        manual.value as last_manual_value,
        manual.recorded_by as last_manual_recorded_by,
        manual.recorded_at as last_manual_recorded_at,
        manual.evidence as last_manual_evidence
    from {{ ref('stg_kpi_definitions') }} as definitions
    left join measurements
        on definitions.kpi_id = measurements.kpi_id
    left join evaluation_month
        on definitions.kpi_id = evaluation_month.kpi_id
    left join manual
        on definitions.kpi_id = manual.kpi_id

)

select
    kpi_id,
    kpi_name,
    unit,
    aggregation,
    frequency,
    data_owner,
    source_system,
    {#- the one place this rule lives: a KPI whose system of record is "Manual ..." is measured
        by hand, and its benefit owners may record measurements on the dashboard's check-in page -#}
    coalesce(lower(trim(source_system)) like 'manual%', false) as is_manually_measured,
    last_measured_on,
    cast(measurement_count as {{ dbt.type_bigint() }}) as measurement_count,
    cast(days_since_last_measurement as {{ dbt.type_bigint() }}) as days_since_last_measurement,
    cast(allowed_days as {{ dbt.type_bigint() }}) as allowed_days,
    coalesce(days_since_last_measurement > allowed_days, true) as is_late,
    {{ evaluation_month() }} as evaluation_month,
    cast(evaluation_month_measurements as {{ dbt.type_bigint() }}) as evaluation_month_measurements,
    is_evaluation_month_complete,
    evaluation_month_last_measured_on,
    last_manual_measured_on,
    last_manual_value,
    last_manual_recorded_by,
    last_manual_recorded_at,
    last_manual_evidence
from kpis
