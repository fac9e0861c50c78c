{#- What the alerts compare run to run, one row per benefit and per project: the state to
    remember (a benefit's status; a project's watermelon or not_watermelon) and, when that state
    asks for attention, the alert kind it raises (the status for a benefit whose status needs
    attention, 'watermelon' for a watermelon project), with what its reason and its row need.
    The alerts asset raises an alert for a row whose alert_kind is set and whose state differs
    from the one recorded by the previous alerts run (audit.alert_state). Alerts are ordered by
    kind: benefit statuses in board order (marts.dim_benefit_status.board_order, the position in
    var benefit_statuses), then watermelon, after the last status, then double counting. -#}

with benefits as (

    select * from {{ ref('rpt_benefit_board') }}

),

projects as (

    select * from {{ ref('rpt_project_board') }}

),

over_claimed_kpis as (

    select
        kpi_id,
        min(kpi_name) as kpi_name,
        {{ ordered_string_agg('claiming_benefit_ids', "', '") }} as claiming_benefit_ids,
        {{ ordered_string_agg('benefit_owners', "', '") }} as benefit_owners,
        {{ ordered_string_agg('portfolios', "', '") }} as portfolios,
        max(max_claimed_attribution_pct) as max_claimed_attribution_pct
    from {{ ref('rpt_attribution_overlap') }}
    group by kpi_id

)

select
    'benefit' as object_kind,
    benefits.benefit_id as object_id,
    benefits.status as state,
    case when benefits.needs_attention then benefits.status end as alert_kind,
    benefits.status_board_order as alert_order,
    benefits.benefit_name as object_name,
    benefits.benefit_owner as owner,
    benefits.project_id,
    benefits.portfolio,
    benefits.trailing_realization_pct,
    benefits.planned_pct,
    benefits.peak_trailing_realization_pct,
    benefits.last_measured_on,
    benefits.months_since_close,
    cast(null as {{ dbt.type_string() }}) as derived_rag_reasons,
    cast(null as {{ dbt.type_bigint() }}) as watermelon_months,
    cast(null as {{ dbt.type_string() }}) as claiming_benefit_ids,
    cast(null as {{ type_double() }}) as max_claimed_attribution_pct
from benefits

union all

select
    'project' as object_kind,
    projects.project_id as object_id,
    case when projects.is_watermelon then 'watermelon' else 'not_watermelon' end as state,
    case when projects.is_watermelon then 'watermelon' end as alert_kind,
    cast({{ benefit_statuses() | length + 1 }} as {{ dbt.type_int() }}) as alert_order,
    projects.project_name as object_name,
    {{ dbt.concat(["coalesce(projects.sponsor, '')",
                   "case when projects.sponsor is not null and projects.project_manager is not null then ' / ' else '' end",
                   "coalesce(projects.project_manager, '')"]) }} as owner,
    projects.project_id,
    projects.portfolio,
    cast(null as {{ type_double() }}) as trailing_realization_pct,
    cast(null as {{ type_double() }}) as planned_pct,
    cast(null as {{ type_double() }}) as peak_trailing_realization_pct,
    cast(null as date) as last_measured_on,
    projects.months_since_close,
    projects.derived_rag_reasons,
    projects.watermelon_months,
    cast(null as {{ dbt.type_string() }}) as claiming_benefit_ids,
    cast(null as {{ type_double() }}) as max_claimed_attribution_pct
from projects

union all

select
    'kpi' as object_kind,
    over_claimed_kpis.kpi_id as object_id,
    'over_claimed' as state,
    'double_counting' as alert_kind,
    cast({{ benefit_statuses() | length + 2 }} as {{ dbt.type_int() }}) as alert_order,
    over_claimed_kpis.kpi_name as object_name,
    over_claimed_kpis.benefit_owners as owner,
    cast(null as {{ dbt.type_string() }}) as project_id,
    over_claimed_kpis.portfolios as portfolio,
    cast(null as {{ type_double() }}) as trailing_realization_pct,
    cast(null as {{ type_double() }}) as planned_pct,
    cast(null as {{ type_double() }}) as peak_trailing_realization_pct,
    cast(null as date) as last_measured_on,
    cast(null as {{ dbt.type_bigint() }}) as months_since_close,
    cast(null as {{ dbt.type_string() }}) as derived_rag_reasons,
    cast(null as {{ dbt.type_bigint() }}) as watermelon_months,
    over_claimed_kpis.claiming_benefit_ids,
    cast(over_claimed_kpis.max_claimed_attribution_pct as {{ type_double() }}) as max_claimed_attribution_pct
from over_claimed_kpis
