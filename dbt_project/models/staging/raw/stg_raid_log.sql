select
    raid_id,
    project_id,
    raid_type,
    title,
    severity,
    owner,
    raised_on,
    due_on,
    closed_on,
    mitigation,
    {{ lineage_columns() }}
from {{ source('raw', 'raid_log') }}
