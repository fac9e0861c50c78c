select
    cr_id,
    project_id,
    raised_on,
    decided_on,
    decision,
    cost_impact,
    schedule_impact_days,
    billable,
    {{ lineage_columns() }}
from {{ source('raw', 'change_requests') }}
