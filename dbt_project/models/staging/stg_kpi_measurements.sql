{#- The current view of KPI measurements (SPEC section 2): for one (kpi_id, measured_on) the row
    with the latest recorded_at wins; earlier versions stay in raw.kpi_measurements. Exact
    duplicates (same file delivered twice, or repeated rows) count once. Conflicting duplicates
    never reach raw: ingestion quarantines them. -#}

with measurements as (

    select
        kpi_id,
        measured_on,
        value,
        recorded_at,
        _source_file,
        _row_number,
        _loaded_at
    from {{ source('raw', 'kpi_measurements') }}

),

versions as (

    select
        kpi_id,
        measured_on,
        count(distinct recorded_at) as recorded_versions
    from measurements
    group by kpi_id, measured_on

),

ranked as (

    select
        *,
        row_number() over (
            partition by kpi_id, measured_on
            order by recorded_at desc, _loaded_at desc, _source_file desc, _row_number desc
        ) as recency_rank
    from measurements

)

select
    ranked.kpi_id,
    ranked.measured_on,
    {{ month_of('ranked.measured_on') }} as measured_month,
    ranked.value,
    ranked.recorded_at,
    versions.recorded_versions > 1 as is_restated,
    versions.recorded_versions - 1 as restatements,
    {{ lineage_columns('ranked.') }}
from ranked
inner join versions
    on ranked.kpi_id = versions.kpi_id
    and ranked.measured_on = versions.measured_on
where ranked.recency_rank = 1
