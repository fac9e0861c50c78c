{#- What changed since last month, one row per benefit and change: its status at the evaluation
    month e against its status at e - 1 (marts.fct_benefit_status_monthly: the status rules
    applied with e - 1 as the evaluation month, on today's data), and rebaselines recorded since
    the start of e (marts.fct_benefit_versions). Kinds, in board order:
    - new_attention: needs attention at e and did not at e - 1 (except a newly stale one);
    - newly_stale: stale at e, not at e - 1;
    - recovered: needed attention at e - 1 and does not at e;
    - rebaselined: a new version of its goalposts recorded since the start of e.
    A benefit without a status at e - 1 (its history starts at e) has no status change. -#}

with board as (

    select * from {{ ref('rpt_benefit_board') }}

),

vocabulary as (

    select status, status_label, needs_attention from {{ ref('dim_benefit_status') }}

),

before as (

    select
        monthly.benefit_id,
        monthly.status,
        vocabulary.status_label,
        vocabulary.needs_attention,
        monthly.trailing_realization_pct
    from {{ ref('fct_benefit_status_monthly') }} as monthly
    inner join vocabulary
        on monthly.status = vocabulary.status
    where monthly.period_month = cast({{ dbt.dateadd('month', -1, evaluation_month()) }} as date)

),

status_changes as (

    select
        case
            when board.status = {{ status('stale') }} and before.status <> {{ status('stale') }} then 'newly_stale'
            when board.needs_attention and not before.needs_attention then 'new_attention'
            when before.needs_attention and not board.needs_attention then 'recovered'
        end as change_kind,
        board.benefit_id,
        before.status as status_before,
        before.status_label as status_before_label,
        before.trailing_realization_pct as trailing_realization_pct_before,
        cast(null as timestamp) as rebaselined_at
    from board
    inner join before
        on board.benefit_id = before.benefit_id

),

rebaselines as (

    select
        'rebaselined' as change_kind,
        benefit_id,
        cast(null as {{ dbt.type_string() }}) as status_before,
        cast(null as {{ dbt.type_string() }}) as status_before_label,
        cast(null as {{ type_double() }}) as trailing_realization_pct_before,
        max(valid_from) as rebaselined_at
    from {{ ref('fct_benefit_versions') }}
    where version_number > 1
        and valid_from >= cast({{ evaluation_month() }} as timestamp)
    group by benefit_id

),

changes as (

    select * from status_changes where change_kind is not null
    union all
    select * from rebaselines

)

select
    changes.change_kind,
    case changes.change_kind
        when 'new_attention' then 'Newly needs attention'
        when 'newly_stale' then 'Newly stale'
        when 'recovered' then 'Recovered'
        when 'rebaselined' then 'Rebaselined'
    end as change_label,
    cast(case changes.change_kind
        when 'new_attention' then 1 when 'newly_stale' then 2 when 'recovered' then 3 else 4
    end as {{ dbt.type_int() }}) as change_order,
    board.benefit_id,
    board.benefit_name,
    board.benefit_owner,
    board.project_id,
    board.project_name,
    board.portfolio,
    board.currency,
    board.category,
    board.status,
    board.status_label,
    board.status_tone,
    board.status_board_order,
    changes.status_before,
    changes.status_before_label,
    board.trailing_realization_pct,
    cast(changes.trailing_realization_pct_before as {{ type_double() }}) as trailing_realization_pct_before,
    {#- money at stake only where the status needs attention (a recovered benefit has none to act on) -#}
    case when board.needs_attention then board.value_at_stake end as value_at_stake,
    board.reporting_currency,
    case when board.needs_attention then board.value_at_stake_reporting end as value_at_stake_reporting,
    changes.rebaselined_at,
    board.evaluation_month
from changes
inner join board
    on changes.benefit_id = board.benefit_id
