select
    kpi_id,
    kpi_name,
    unit,
    aggregation,
    frequency,
    data_owner,
    source_system,
    {{ lineage_columns() }}
from {{ source('raw', 'kpi_definitions') }}
