select
    currency,
    period_month,
    rate,
    {{ lineage_columns() }}
from {{ source('raw', 'fx_rates') }}
