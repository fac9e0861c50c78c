{#- The rate of every currency in use to the reporting currency (reporting_currency(): setting
    BRW_REPORTING_CURRENCY, default GBP), for every month of the calendar: the rate of
    fx_rates.csv for that currency and month; the reporting currency itself at 1 (no row
    needed; a row for it in fx_rates.csv is ignored). A month without a rate has a null rate:
    never carried over from another month, never 1, so a converted amount is null, not a guess.
    Currencies in use: the project register's, those of fx_rates.csv, and the reporting one. -#}

with months as (

    select period_month from {{ ref('int_calendar_months') }}

),

currencies as (

    select currency from {{ ref('stg_projects') }}
    union
    select currency from {{ ref('stg_fx_rates') }}
    union
    select {{ reporting_currency() }} as currency

),

rates as (

    select currency, period_month, rate from {{ ref('stg_fx_rates') }}

)

select
    currencies.currency,
    months.period_month,
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    cast(case
        when currencies.currency = {{ reporting_currency() }} then 1
        else rates.rate
    end as {{ type_double() }}) as rate,
    months.period_month = {{ evaluation_month() }} as is_evaluation_month
from currencies
cross join months
left join rates
    on rates.currency = currencies.currency
    and rates.period_month = months.period_month
