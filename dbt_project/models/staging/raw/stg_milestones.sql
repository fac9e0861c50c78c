select
    milestone_id,
    project_id,
    milestone_name,
    is_key,
    baseline_date,
    forecast_date,
    actual_date,
    {{ lineage_columns() }}
from {{ source('raw', 'milestones') }}
