{#- Monthly KPI actuals (SPEC section 3): the KPI's aggregation over the current
    (post-restatement) measurements of each month, for months up to the evaluation month.
    `last` is the value with the greatest measured_on (one row per day: a max_by, no window). A
    month counts only when it is complete for the KPI's frequency (var complete_month_last_days:
    a measurement in the month's last N days); an incomplete month keeps its row (measurement
    count, last measured_on: staleness and the dashboards read them) with a null actual_value,
    exactly like a month without data.

    Incremental (delete+insert on kpi_id, period_month). Each run sums up the current view per
    KPI-month - measurement count, raw rows behind it (sum of raw_rows) and latest load
    (max of last_loaded_at) - and recomputes only the KPI-months where that differs from this
    table: a measurement added, restated, reloaded or deleted changes at least one of them (rows
    are only added with a newer _loaded_at, and a deletion lowers a count). Also recomputed:
    KPIs whose aggregation changed, and months that became eligible because as_of moved forward.
    KPI-months that lost every measurement, whose KPI left the definitions, or that are after the
    evaluation month (as_of moved back) are written as tombstones (measurement_count = 0) so that
    delete+insert removes them; the post-hook deletes the tombstones in the same transaction. -#}

{#- On Spark (Parquet tables) a table, rebuilt whole every run: delete+insert on a key needs row-level
    deletes, which Parquet lacks (Delta/Iceberg `merge` on Databricks has them); see README "Running on Spark". -#}
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key=['kpi_id', 'period_month'],
        on_schema_change='fail',
        post_hook="{% if target.type != 'spark' %}delete from {{ this }} where measurement_count = 0{% endif %}",
    )
}}

with

definitions as (

    select
        kpi_id,
        aggregation,
        frequency,
        case frequency
            {%- for frequency, days in var('complete_month_last_days').items() %}
            when '{{ frequency }}' then {{ days }}
            {%- endfor %}
        end as complete_last_days
    from {{ ref('stg_kpi_definitions') }}

),

{% if is_incremental() -%}
current_months as (

    {#- Summed up per KPI-month first, then given the KPI's definition: a join of the few
        KPI-month rows, not of every measurement (half the time at 100M measurements). #}
    select
        month_totals.kpi_id,
        month_totals.period_month,
        definitions.aggregation,
        definitions.frequency,
        month_totals.measurement_count,
        month_totals.raw_rows,
        month_totals.last_loaded_at
    from (
        select
            kpi_id,
            measured_month as period_month,
            count(*) as measurement_count,
            cast(sum(raw_rows) as {{ dbt.type_bigint() }}) as raw_rows,
            max(last_loaded_at) as last_loaded_at
        from {{ ref('stg_kpi_measurements') }}
        where measured_month <= {{ evaluation_month() }}
        group by kpi_id, measured_month
    ) as month_totals
    inner join definitions
        on month_totals.kpi_id = definitions.kpi_id

),

affected_months as (

    select
        coalesce(current_months.kpi_id, built.kpi_id) as kpi_id,
        coalesce(current_months.period_month, built.period_month) as period_month,
        current_months.kpi_id is null as is_gone
    from current_months
    full outer join {{ this }} as built
        on current_months.kpi_id = built.kpi_id
        and current_months.period_month = built.period_month
    where current_months.kpi_id is null
        or built.kpi_id is null
        or current_months.aggregation <> built.aggregation
        or current_months.frequency <> built.frequency
        or current_months.measurement_count <> built.measurement_count
        or current_months.raw_rows <> built.raw_rows
        or current_months.last_loaded_at <> built.last_loaded_at

),

{% endif -%}
measurements as (

    select
        measurements.kpi_id,
        measurements.measured_month,
        measurements.measured_on,
        measurements.value,
        measurements.raw_rows,
        measurements.last_loaded_at
    from {{ ref('stg_kpi_measurements') }} as measurements
    {%- if is_incremental() %}
    inner join affected_months
        on measurements.kpi_id = affected_months.kpi_id
        and measurements.measured_month = affected_months.period_month
    {%- endif %}
    where measurements.measured_month <= {{ evaluation_month() }}

),

{#- Every aggregation of every KPI-month, then the KPI's own picked: grouping the measurements
    by their key alone and joining the definitions to the KPI-months, not to every measurement,
    halves the time of this step (an aggregate inside a CASE is computed for every group anyway). #}
month_aggregates as (

    select
        kpi_id,
        measured_month as period_month,
        sum(value) as value_sum,
        avg(value) as value_avg,
        min(value) as value_min,
        max(value) as value_max,
        {{ value_at_max('value', 'measured_on') }} as value_last,
        count(*) as measurement_count,
        max(measured_on) as last_measured_on,
        cast(sum(raw_rows) as {{ dbt.type_bigint() }}) as raw_rows,
        max(last_loaded_at) as last_loaded_at
    from measurements
    group by kpi_id, measured_month

),

aggregated as (

    select
        month_aggregates.kpi_id,
        month_aggregates.period_month,
        definitions.aggregation,
        definitions.frequency,
        case definitions.aggregation
            when 'sum' then month_aggregates.value_sum
            when 'avg' then month_aggregates.value_avg
            when 'min' then month_aggregates.value_min
            when 'max' then month_aggregates.value_max
            when 'last' then month_aggregates.value_last
        end as measured_value,
        month_aggregates.measurement_count,
        month_aggregates.last_measured_on,
        {{ dbt.datediff(
            'month_aggregates.last_measured_on',
            dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_aggregates.period_month')),
            'day'
        ) }} < definitions.complete_last_days as is_complete,
        month_aggregates.raw_rows,
        month_aggregates.last_loaded_at
    from month_aggregates
    inner join definitions
        on month_aggregates.kpi_id = definitions.kpi_id

)

select
    kpi_id,
    period_month,
    aggregation,
    frequency,
    case when is_complete then measured_value end as actual_value,
    is_complete,
    measurement_count,
    last_measured_on,
    raw_rows,
    last_loaded_at,
    {{ run_started_timestamp() }} as computed_at
from aggregated
{%- if is_incremental() %}

union all

{#- Tombstones: KPI-months no longer in the result (removed again by the post-hook). #}
select
    built.kpi_id,
    built.period_month,
    built.aggregation,
    built.frequency,
    built.actual_value,
    built.is_complete,
    cast(0 as {{ dbt.type_bigint() }}) as measurement_count,
    built.last_measured_on,
    built.raw_rows,
    built.last_loaded_at,
    {{ run_started_timestamp() }} as computed_at
from {{ this }} as built
inner join affected_months
    on built.kpi_id = affected_months.kpi_id
    and built.period_month = affected_months.period_month
where affected_months.is_gone
{%- endif %}
