select
    project_id,
    period_month,
    planned_value,
    earned_value,
    actual_cost,
    estimate_at_completion,
    {{ lineage_columns() }}
from {{ source('raw', 'financials') }}
