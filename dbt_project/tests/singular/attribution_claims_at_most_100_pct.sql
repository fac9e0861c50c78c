{{ config(severity='warn') }}
{#- Benefits claiming more than 100 % of one KPI's improvement (issue 14, no double counting):
    a warning, not an error. The portfolio totals cap the claims at 100 %; fix the register's
    attribution_pct so the benefits share the improvement. One row per over-claimed KPI. -#}

select kpi_id, is_disbenefit, currency, claiming_benefit_ids, max_claimed_attribution_pct,
    first_overlap_month, last_overlap_month
from {{ ref('rpt_attribution_overlap') }}
