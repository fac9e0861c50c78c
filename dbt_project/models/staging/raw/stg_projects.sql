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
    contract_value is not null as is_client_project,
    {{ lineage_columns() }}
from {{ source('raw', 'projects') }}
