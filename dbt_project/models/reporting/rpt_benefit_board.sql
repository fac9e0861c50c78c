{#- One row per valid benefit: everything a board row shows about it. Its status with the
    vocabulary's label, order, colour and flags; the numbers behind the status; its project,
    portfolio and owner; how long since its project closed and since its last measurement; its
    owner's check-in for the evaluation month and whether it disagrees with the status. The
    dashboard, the board pack, the alerts and the CLI select and format these rows; they never
    join the marts or derive a measure again. -#}

with status as (

    select * from {{ ref('fct_benefit_status') }}

),

benefits as (

    select * from {{ ref('dim_benefit') }}

),

projects as (

    select * from {{ ref('dim_project') }}

),

vocabulary as (

    select * from {{ ref('dim_benefit_status') }}

),

monthly as (

    select benefit_id, period_month, cumulative_planned_value, cumulative_planned_value_reporting,
        is_complete_month, measurement_count
    from {{ ref('fct_benefit_monthly') }}

),

at_stake as (

    select * from {{ ref('fct_benefit_value_at_stake') }}

),

checkins as (

    select * from {{ ref('fct_benefit_checkin') }}

),

board as (

select
    status.benefit_id,
    benefits.benefit_name,
    benefits.category,
    benefits.is_disbenefit,
    benefits.kpi_id,
    benefits.kpi_name,
    benefits.unit,
    benefits.currency,
    status.benefit_owner,
    status.project_id,
    projects.project_name,
    projects.portfolio,
    projects.programme,
    projects.business_unit,
    projects.sponsor,
    projects.project_manager,
    projects.stage as project_stage,
    projects.actual_close_date,
    projects.stage = 'closed' as is_after_closure,
    status.status,
    vocabulary.status_label,
    vocabulary.board_order as status_board_order,
    vocabulary.colour as status_colour,
    vocabulary.tone as status_tone,
    vocabulary.needs_attention,
    vocabulary.closure_attention,
    vocabulary.flags_benefits_watermelon,
    vocabulary.is_tracked,
    status.trailing_realization_pct,
    status.planned_pct,
    status.plan_attainment,
    status.peak_trailing_realization_pct,
    status.forecast_realization_at_target,
    status.cumulative_realized_value,
    monthly.cumulative_planned_value,
    status.annual_planned_value,
    {#- one definition of annual planned value for every reader: benefits and dis-benefits apart,
        a dis-benefit a positive cost, the net their difference (null: non-financial) -#}
    cast(case when not benefits.is_disbenefit then benefits.annual_planned_value
        when benefits.annual_planned_value is not null then 0 end as {{ type_double() }}) as annual_planned_benefit,
    cast(case when benefits.is_disbenefit then benefits.annual_planned_value
        when benefits.annual_planned_value is not null then 0 end as {{ type_double() }}) as annual_planned_disbenefit,
    cast(benefits.annual_planned_value * case when benefits.is_disbenefit then -1 else 1 end as {{ type_double() }})
        as annual_planned_net,
    benefits.realization_month <= status.evaluation_month
        and status.evaluation_month <= benefits.review_until_month as is_in_review_window,
    coalesce(at_stake.attribution_scale, 1) as attribution_scale,
    at_stake.shortfall_to_date,
    at_stake.shortfall_remaining,
    at_stake.value_at_stake,
    status.last_measured_on,
    coalesce(monthly.is_complete_month, false) as is_evaluation_month_complete,
    coalesce(monthly.measurement_count, 0) as evaluation_month_measurements,
    cast({{ months_between(month_of('status.last_measured_on'), 'status.evaluation_month') }}
        as {{ dbt.type_bigint() }}) as months_without_measurement,
    status.months_since_close,
    benefits.target_date,
    benefits.review_until,
    benefits.times_rebaselined,
    benefits.last_rebaselined_at,
    status.evaluation_month,
    status.as_of_date,
    {#- the money in the reporting currency -#}
    status.reporting_currency,
    status.cumulative_realized_value_reporting,
    monthly.cumulative_planned_value_reporting,
    status.annual_planned_value_reporting,
    coalesce(status.fx_rate_missing
        or (monthly.cumulative_planned_value is not null and monthly.cumulative_planned_value_reporting is null),
        false) as fx_rate_missing,
    {#- the owner's check-in for the evaluation month beside the measured status (the watermelon
        test per benefit); none: all null -#}
    checkins.confidence as owner_confidence,
    checkins.confidence_label as owner_confidence_label,
    checkins.commentary as owner_commentary,
    checkins.recorded_by as owner_checked_in_by,
    checkins.recorded_at as owner_checked_in_at,
    checkins.period_month as owner_checkin_month,
    checkins.disagrees as owner_disagrees,
    checkins.disagreement as owner_disagreement,
    checkins.disagreement_note as owner_disagreement_note
from status
inner join benefits
    on status.benefit_id = benefits.benefit_id
inner join projects
    on status.project_id = projects.project_id
inner join vocabulary
    on status.status = vocabulary.status
left join monthly
    on status.benefit_id = monthly.benefit_id
    and status.evaluation_month = monthly.period_month
left join at_stake
    on status.benefit_id = at_stake.benefit_id
left join checkins
    on status.benefit_id = checkins.benefit_id
    and status.evaluation_month = checkins.period_month

),

{#- what the final select computes from but does not show (no `* exclude`: portable SQL) -#}
board_helpers as (

select
    status.benefit_id,
    at_stake.cumulative_realized_value_capped,
    at_stake.cumulative_planned_value_capped,
    at_stake.value_at_stake_capped,
    at_stake.cumulative_realized_value_capped_reporting,
    at_stake.cumulative_planned_value_capped_reporting,
    projects.fx_rate as evaluation_fx_rate
from status
inner join projects
    on status.project_id = projects.project_id
left join at_stake
    on status.benefit_id = at_stake.benefit_id

)

select
    board.*,
    {#- what the benefit adds to its portfolio's totals (rpt_portfolio_board, the dashboard's
        headline, the run summary): annual planned value while realization has started and the
        review has not ended; realized and planned value to date from realization start; value at
        stake of an attention benefit; each at its KPI's attribution cap -#}
    cast(case when is_in_review_window then annual_planned_benefit * attribution_scale
        when annual_planned_benefit is not null then 0 end as {{ type_double() }}) as annual_planned_benefit_in_totals,
    cast(case when is_in_review_window then annual_planned_disbenefit * attribution_scale
        when annual_planned_disbenefit is not null then 0 end as {{ type_double() }}) as annual_planned_disbenefit_in_totals,
    cast(case when is_in_review_window then annual_planned_net * attribution_scale
        when annual_planned_net is not null then 0 end as {{ type_double() }}) as annual_planned_net_in_totals,
    cumulative_realized_value_capped as cumulative_realized_value_in_totals,
    cumulative_planned_value_capped as cumulative_planned_value_in_totals,
    cast(case when needs_attention then value_at_stake_capped end as {{ type_double() }}) as value_at_stake_in_totals,
    cast(case when needs_attention and value_at_stake > 0 then row_number() over (
        partition by needs_attention and value_at_stake > 0, currency order by value_at_stake desc, board.benefit_id
    ) end as {{ dbt.type_bigint() }}) as value_at_stake_rank,
    {#- the board's figures in the reporting currency: annual planned value and value at stake at
        the evaluation month's rate (dim_project.fx_rate), values to date month by month -#}
    {%- for column in ['annual_planned_benefit', 'annual_planned_disbenefit', 'annual_planned_net',
                       'shortfall_to_date', 'shortfall_remaining', 'value_at_stake'] %}
    {{ to_reporting(column, 'evaluation_fx_rate') }} as {{ column }}_reporting,
    {%- endfor %}
    {%- for column in ['annual_planned_benefit', 'annual_planned_disbenefit', 'annual_planned_net'] %}
    {{ to_reporting('case when is_in_review_window then ' ~ column ~ ' * attribution_scale when ' ~ column
        ~ ' is not null then 0 end', 'evaluation_fx_rate') }} as {{ column }}_in_totals_reporting,
    {%- endfor %}
    cumulative_realized_value_capped_reporting as cumulative_realized_value_in_totals_reporting,
    cumulative_planned_value_capped_reporting as cumulative_planned_value_in_totals_reporting,
    {{ to_reporting('case when needs_attention then value_at_stake_capped end', 'evaluation_fx_rate') }}
        as value_at_stake_in_totals_reporting,
    cast(case when needs_attention and value_at_stake > 0 then row_number() over (
        partition by needs_attention and value_at_stake > 0
        order by value_at_stake * evaluation_fx_rate desc nulls last, board.benefit_id
    ) end as {{ dbt.type_bigint() }}) as value_at_stake_rank_reporting
from board
inner join board_helpers
    on board.benefit_id = board_helpers.benefit_id
