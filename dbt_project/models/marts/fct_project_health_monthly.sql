{#- Project x month history of delivery health: every month end from the project's start to the
    evaluation month, measured with what was known by that month end (financial month <= that
    month, events on or before its last day). watermelon_streak_months counts the consecutive
    months, up to this one, that were watermelons. -#}

with health as (

    select * from {{ ref('int_project_health') }}
    where reference_kind = 'month'

)

select
    project_id,
    reference_month as period_month,
    cutoff_date as month_end,
    latest_financial_month,
    cast(cpi as {{ type_double() }}) as cpi,
    cast(spi as {{ type_double() }}) as spi,
    cast(max_key_slippage_days as {{ dbt.type_bigint() }}) as max_key_slippage_days,
    cast(open_raid_items as {{ dbt.type_bigint() }}) as open_raid_items,
    cast(documented_not_mitigated as {{ dbt.type_bigint() }}) as documented_not_mitigated,
    cast(overdue_decisions as {{ dbt.type_bigint() }}) as overdue_decisions,
    cast(approved_change_cost as {{ type_double() }}) as approved_change_cost,
    cast(margin_leakage as {{ type_double() }}) as margin_leakage,
    reported_rag,
    derived_rag,
    derived_rag_reasons,
    is_watermelon,
    cast(watermelon_streak_months as {{ dbt.type_bigint() }}) as watermelon_streak_months
from health
