{#- STAND-IN until the lead's fct_benefit_status_monthly (issue 14 part 1) is merged: the same
    interface (benefit x month: status, trailing_realization_pct, planned_pct), but only the
    evaluation month's row (fct_benefit_status), so "what changed since last month" finds no
    month before and lists no status change. The lead's model replaces this file. -#}

select
    benefit_id,
    evaluation_month as period_month,
    status,
    trailing_realization_pct,
    planned_pct
from {{ ref('fct_benefit_status') }}
