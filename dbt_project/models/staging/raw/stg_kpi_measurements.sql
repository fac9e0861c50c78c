{#- The current view of KPI measurements (SPEC section 2): for one (kpi_id, measured_on) the row
    with the latest recorded_at wins; earlier versions stay in raw.kpi_measurements. Exact
    duplicates (same file delivered twice, or repeated rows) count once. Conflicting duplicates
    never reach raw: ingestion quarantines them.

    Incremental (delete+insert on kpi_id, measured_on). A run recomputes, from all their raw
    rows, only the affected keys:
    - keys with a raw row loaded after the high-water mark max(last_loaded_at) of this table
      (new files, changed files reloaded, restatements of old dates);
    - keys that lost raw rows without gaining any (a changed file that dropped rows, earlier rows
      moved to quarantine by a later conflicting duplicate). Rows only ever leave raw that way,
      and every insert carries a newer _loaded_at, so: if the raw rows loaded up to the
      high-water mark still number sum(raw_rows) of this table, nothing was deleted and this
      check is skipped; otherwise the per-key row counts of raw are compared with raw_rows.
    A key with no raw row left is written as a tombstone (raw_rows = 0) so that delete+insert
    removes its old row, and the post-hook deletes the tombstone in the same transaction. -#}

{#- On Spark (Parquet tables) a table, rebuilt whole every run: delete+insert on a key needs row-level
    deletes, which Parquet lacks (Delta/Iceberg `merge` on Databricks has them); see README "Running on Spark". -#}
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        incremental_strategy='delete+insert',
        unique_key=['kpi_id', 'measured_on'],
        on_schema_change='fail',
        post_hook="{% if target.type != 'spark' %}delete from {{ this }} where raw_rows = 0{% endif %}",
    )
}}

{%- set raw_relation = source('raw', 'kpi_measurements') -%}
{%- set incremental = is_incremental() -%}
{%- set high_water = none -%}
{%- set check_deletions = false -%}
{%- if incremental and execute -%}
    {%- set existing_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'raw_rows' not in existing_columns or 'last_loaded_at' not in existing_columns -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built before it became incremental (no raw_rows / last_loaded_at columns): "
            ~ "rebuild it once with `dbt build --full-refresh --select stg_kpi_measurements+`") }}
    {%- endif -%}
    {%- set state_query -%}
        select
            known.high_water,
            known.rows_known,
            (
                select count(*)
                from {{ raw_relation }}
                where _loaded_at <= known.high_water
            ) as rows_still_present,
            (
                select count(*)
                from {{ raw_relation }}
                where _loaded_at > known.high_water or known.high_water is null
            ) as rows_new
        from (
            select
                max(last_loaded_at) as high_water,
                coalesce(sum(raw_rows), 0) as rows_known
            from {{ this }}
        ) as known
    {%- endset -%}
    {%- set state = run_query(state_query).rows[0] -%}
    {%- set high_water = state[0] -%}
    {%- set check_deletions = high_water is not none and state[1] != state[2] -%}
    {%- do log(
        "stg_kpi_measurements incremental: high-water " ~ high_water ~ ", " ~ state[3]
        ~ " raw rows loaded since, " ~ (state[1] - state[2]) ~ " raw rows deleted since"
        ~ (" (comparing per-key row counts)" if check_deletions else ""), info=true) -%}
{%- endif -%}
{%- set narrowed = incremental and high_water is not none %}

with

{% if narrowed -%}
new_keys as (

    select distinct
        kpi_id,
        measured_on
    from {{ raw_relation }}
    where _loaded_at > cast('{{ high_water }}' as {{ dbt.type_timestamp() }})

),

{% if check_deletions -%}
raw_key_rows as (

    select
        kpi_id,
        measured_on,
        count(*) as raw_rows
    from {{ raw_relation }}
    group by kpi_id, measured_on

),

shrunk_keys as (

    select
        current_rows.kpi_id,
        current_rows.measured_on,
        raw_key_rows.raw_rows is null as is_gone
    from {{ this }} as current_rows
    left join raw_key_rows
        on current_rows.kpi_id = raw_key_rows.kpi_id
        and current_rows.measured_on = raw_key_rows.measured_on
    where raw_key_rows.raw_rows is null
        or raw_key_rows.raw_rows <> current_rows.raw_rows

),

{% endif -%}
affected_keys as (

    select kpi_id, measured_on from new_keys
    {%- if check_deletions %}
    union
    select kpi_id, measured_on from shrunk_keys where not is_gone
    {%- endif %}

),

{% endif -%}
measurements as (

    select
        raw_rows.kpi_id,
        raw_rows.measured_on,
        raw_rows.value,
        raw_rows.recorded_at,
        raw_rows.recorded_by,
        raw_rows.evidence,
        raw_rows._source_file,
        raw_rows._row_number,
        raw_rows._loaded_at
    from {{ raw_relation }} as raw_rows
    {%- if narrowed %}
    inner join affected_keys
        on raw_rows.kpi_id = affected_keys.kpi_id
        and raw_rows.measured_on = affected_keys.measured_on
    {%- endif %}

),

{#- One row per key: the latest version (recorded_at, then the latest load, file and row: a
    total order, so exact duplicates resolve the same way every time), with the key's raw row
    count, its distinct recorded_at values and its latest _loaded_at (macros/latest_row.sql). #}
current_versions as (

    select *
    from {{ latest_row_per_key(
        'measurements',
        key=['kpi_id', 'measured_on'],
        order_by=['recorded_at', '_loaded_at', '_source_file', '_row_number'],
        columns=['value', 'recorded_at', 'recorded_by', 'evidence', '_source_file', '_row_number', '_loaded_at'],
        row_count='raw_rows',
        max_of={'last_loaded_at': '_loaded_at'},
        distinct_count={'recorded_versions': 'recorded_at'},
    ) }} as latest_per_key

)

select
    current_versions.kpi_id,
    current_versions.measured_on,
    {{ month_of('current_versions.measured_on') }} as measured_month,
    current_versions.value,
    current_versions.recorded_at,
    current_versions.recorded_by,
    current_versions.evidence,
    current_versions.recorded_versions > 1 as is_restated,
    current_versions.recorded_versions - 1 as restatements,
    {{ lineage_columns('current_versions.') }},
    current_versions.raw_rows,
    current_versions.last_loaded_at,
    {{ run_started_timestamp() }} as computed_at
from current_versions
{%- if check_deletions %}

union all

{#- Tombstones: keys with no raw row left (removed again by the post-hook). #}
select
    current_rows.kpi_id,
    current_rows.measured_on,
    current_rows.measured_month,
    current_rows.value,
    current_rows.recorded_at,
    current_rows.recorded_by,
    current_rows.evidence,
    current_rows.is_restated,
    current_rows.restatements,
    current_rows.source_file,
    current_rows.source_row_number,
    current_rows.loaded_at,
    cast(0 as {{ dbt.type_bigint() }}) as raw_rows,
    current_rows.last_loaded_at,
    {{ run_started_timestamp() }} as computed_at
from {{ this }} as current_rows
inner join shrunk_keys
    on current_rows.kpi_id = shrunk_keys.kpi_id
    and current_rows.measured_on = shrunk_keys.measured_on
where shrunk_keys.is_gone
{%- endif %}
