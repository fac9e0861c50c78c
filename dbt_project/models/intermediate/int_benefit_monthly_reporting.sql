{#- Benefit x month money of int_benefit_monthly_measures in the reporting currency: each
    monthly value converted at the rate of its own month (int_fx_rates); each cumulative value
    the running sum of the converted monthly values (not the cumulative at today's rate). A
    missing rate makes the converted value of that month null, and every converted cumulative
    value from that month on null as well: a partial sum would read as a result. fx_rate_missing
    says so on the row. -#}

with measures as (

    select
        benefit_id,
        period_month,
        monetized_value,
        planned_monetized_value,
        cumulative_realized_value,
        cumulative_planned_value
    from {{ ref('int_benefit_monthly_measures') }}

),

benefits as (

    select benefit_id, project_id from {{ ref('stg_benefits') }}

),

projects as (

    select project_id, currency from {{ ref('stg_projects') }}

),

rates as (

    select currency, period_month, rate from {{ ref('int_fx_rates') }}

),

converted as (

    select
        measures.*,
        projects.currency,
        rates.rate,
        {{ to_reporting('measures.monetized_value', 'rates.rate') }} as monetized_value_reporting,
        {{ to_reporting('measures.planned_monetized_value', 'rates.rate') }} as planned_monetized_value_reporting
    from measures
    inner join benefits
        on measures.benefit_id = benefits.benefit_id
    inner join projects
        on benefits.project_id = projects.project_id
    left join rates
        on rates.currency = projects.currency
        and rates.period_month = measures.period_month

),

running as (

    select
        *,
        case
            when cumulative_realized_value is not null
                and count(case when monetized_value is not null and rate is null then 1 end) over to_date = 0
                then coalesce(sum(monetized_value_reporting) over to_date, 0)
        end as cumulative_realized_value_reporting,
        case
            when cumulative_planned_value is not null
                and count(case when planned_monetized_value is not null and rate is null then 1 end) over to_date = 0
                then sum(planned_monetized_value_reporting) over to_date
        end as cumulative_planned_value_reporting
    from converted
    window to_date as (partition by benefit_id order by period_month rows between unbounded preceding and current row)

)

select
    benefit_id,
    period_month,
    currency,
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    cast(rate as {{ type_double() }}) as fx_rate,
    monetized_value_reporting,
    planned_monetized_value_reporting,
    cast(cumulative_realized_value_reporting as {{ type_double() }}) as cumulative_realized_value_reporting,
    cast(cumulative_planned_value_reporting as {{ type_double() }}) as cumulative_planned_value_reporting,
    {{ fx_rate_missing(['monetized_value', 'planned_monetized_value', 'cumulative_realized_value',
                        'cumulative_planned_value']) }} as fx_rate_missing
from running
