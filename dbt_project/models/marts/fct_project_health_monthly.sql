{#- Project x month history of delivery health: every month end from the project's start to the
    evaluation month, measured with what was known by that month end (financial month <= that
    month, events on or before its last day). watermelon_streak_months counts the consecutive
    months, up to this one, that were watermelons. -#}

with health as (

    select * from {{ ref('int_project_health') }}
    where reference_kind = 'month'

),

{#- the rate of each month of the project's currency (int_fx_rates): a month's amounts at its rate -#}
rates as (

    select projects.project_id as rate_project_id, fx.period_month as rate_month, fx.rate
    from {{ ref('dim_project') }} as projects
    inner join {{ ref('int_fx_rates') }} as fx
        on projects.currency = fx.currency

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
    cast(watermelon_streak_months as {{ dbt.type_bigint() }}) as watermelon_streak_months,
    {#- the money in the reporting currency, at this month's rate -#}
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    {{ to_reporting('approved_change_cost', 'rates.rate') }} as approved_change_cost_reporting,
    {{ to_reporting('margin_leakage', 'rates.rate') }} as margin_leakage_reporting,
    rates.rate is null and coalesce(approved_change_cost, margin_leakage) is not null as fx_rate_missing
from health
left join rates
    on health.project_id = rates.rate_project_id
    and health.reference_month = rates.rate_month
