{#- Every month (its first day) from the start of the plausible date window (SPEC section 2:
    BRW_EARLIEST_DATE, default 1990-01-01) to the evaluation month. It never depends on the
    data's extreme dates: ingestion quarantines dates outside the window, and a mistyped year
    (0205 for 2025) can no longer push the evaluation month past the end of the calendar.
    Built from a digits table (10,000 months) so it is portable. -#}

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

first_month as (

    select {{ month_of(earliest_date()) }} as first_month

)

select
    cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'first_month.first_month') }} as date) as period_month,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'month_offsets.month_offset + 1', 'first_month.first_month')) }} as date)
        as month_end
from month_offsets
cross join first_month
where month_offsets.month_offset <= {{ months_between('first_month.first_month', evaluation_month()) }}
