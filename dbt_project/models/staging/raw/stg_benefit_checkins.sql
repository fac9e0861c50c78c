{#- The current owner check-in per benefit and month: of the check-ins loaded for one
    (benefit_id, period_month), the one with the latest recorded_at wins (a later check-in
    supersedes, like a restated measurement); the earlier ones stay in raw.benefit_checkins and
    are counted here. -#}

with checkins as (

    select * from {{ source('raw', 'benefit_checkins') }}

),

ranked as (

    select
        *,
        count(*) over (partition by benefit_id, period_month) as checkins_in_month,
        row_number() over (
            partition by benefit_id, period_month
            order by recorded_at desc, _loaded_at desc, _source_file desc, _row_number desc
        ) as recency_rank
    from checkins

)

select
    benefit_id,
    period_month,
    confidence,
    commentary,
    recorded_by,
    recorded_at,
    cast(checkins_in_month - 1 as {{ dbt.type_bigint() }}) as superseded_checkins,
    {{ lineage_columns() }}
from ranked
where recency_rank = 1
