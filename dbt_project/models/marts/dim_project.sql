{#- One row per project in the register (SPEC section 7). -#}

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
    is_client_project
from {{ ref('stg_projects') }}
