{#- Every month (its first day) from the earliest month any project or benefit needs to the
    evaluation month. Built from a digits table (10,000 months) so it is portable. -#}

with digits as (

    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9

),

month_offsets as (

    select thousands.d * 1000 + hundreds.d * 100 + tens.d * 10 + units.d as month_offset
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units

),

starts as (

    select {{ month_of('start_date') }} as start_month from {{ ref('stg_projects') }}
    union all
    select {{ month_of('baseline_start') }} from {{ ref('stg_benefits') }}
    union all
    select cast({{ dbt.dateadd('month', -1 * var('chart_lead_months'), month_of('realization_start')) }} as date)
    from {{ ref('int_benefits_resolved') }}
    union all
    select cast({{ dbt.dateadd('month', -2, evaluation_month()) }} as date)

),

first_month as (

    select min(start_month) as first_month from starts

)

select
    cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'first_month.first_month') }} as date) as period_month,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'month_offsets.month_offset + 1', 'first_month.first_month')) }} as date)
        as month_end
from month_offsets
cross join first_month
where month_offsets.month_offset <= {{ months_between('first_month.first_month', evaluation_month()) }}
