select
    benefit_id,
    period_month,
    planned_pct,
    {{ lineage_columns() }}
from {{ source('raw', 'benefit_plan') }}
