{#- Every month (its first day) from the start of the plausible date window (SPEC section 2:
    BRW_EARLIEST_DATE, default 1990-01-01) to the evaluation month. It never depends on the
    data's extreme dates: ingestion quarantines dates outside the window, and a mistyped year
    (0205 for 2025) can no longer push the evaluation month past the end of the calendar.
    Counted with macro month_offsets (10,000 months), which is portable. -#}

with month_offsets as (

    select month_offset from {{ month_offsets(4) }} as offsets

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
