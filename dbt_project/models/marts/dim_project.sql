{#- One row per project in the register (SPEC section 7). Budget and contract value are stock
    values: in the reporting currency at the evaluation month's rate (int_fx_rates). -#}

with projects as (

    select * from {{ ref('stg_projects') }}

),

rates as (

    select currency, rate from {{ ref('int_fx_rates') }}
    where is_evaluation_month

),

converted as (

    select
        projects.*,
        rates.rate as fx_rate,
        {{ to_reporting('projects.budget_at_completion', 'rates.rate') }} as budget_at_completion_reporting,
        {{ to_reporting('projects.contract_value', 'rates.rate') }} as contract_value_reporting
    from projects
    left join rates
        on projects.currency = rates.currency

)

select
    project_id,
    project_name,
    portfolio,
    programme,
    sponsor,
    project_manager,
    business_unit,
    stage,
    start_date,
    planned_end_date,
    actual_close_date,
    budget_at_completion,
    currency,
    contract_value,
    is_client_project,
    cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
    cast(fx_rate as {{ type_double() }}) as fx_rate,
    budget_at_completion_reporting,
    contract_value_reporting,
    {{ fx_rate_missing(['budget_at_completion', 'contract_value']) }} as fx_rate_missing
from converted
