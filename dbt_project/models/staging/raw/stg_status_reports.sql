select
    project_id,
    report_date,
    overall_rag,
    schedule_rag,
    cost_rag,
    benefits_rag,
    commentary,
    {{ lineage_columns() }}
from {{ source('raw', 'status_reports') }}
