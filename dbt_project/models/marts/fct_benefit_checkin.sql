{#- One row per benefit and month with an owner check-in (the current one: stg_benefit_checkins):
    the owner's confidence and commentary beside the status the measures give that month
    (fct_benefit_status_monthly), that status in the owner's words
    (dim_benefit_status.owner_confidence_equivalent) and whether the two disagree, and which
    way: the watermelon test, per benefit. Valid benefits only (dim_benefit). -#}

with checkins as (

    select * from {{ ref('stg_benefit_checkins') }}

),

benefits as (

    select benefit_id, project_id, benefit_owner from {{ ref('dim_benefit') }}

),

measured as (

    select benefit_id, period_month, status from {{ ref('fct_benefit_status_monthly') }}

),

vocabulary as (

    select status, status_label, owner_confidence_equivalent from {{ ref('dim_benefit_status') }}

),

levels as (

    {{ owner_confidence_rows() }}

),

compared as (

    select
        checkins.benefit_id,
        benefits.project_id,
        benefits.benefit_owner,
        checkins.period_month,
        checkins.confidence,
        owner_level.confidence_label,
        owner_level.confidence_rank,
        checkins.commentary,
        checkins.recorded_by,
        checkins.recorded_at,
        checkins.superseded_checkins,
        measured.status as measured_status,
        vocabulary.status_label as measured_status_label,
        vocabulary.owner_confidence_equivalent as measured_confidence,
        measured_level.confidence_label as measured_confidence_label,
        measured_level.confidence_rank as measured_confidence_rank
    from checkins
    inner join benefits
        on checkins.benefit_id = benefits.benefit_id
    inner join levels as owner_level
        on checkins.confidence = owner_level.confidence
    left join measured
        on checkins.benefit_id = measured.benefit_id
        and checkins.period_month = measured.period_month
    left join vocabulary
        on measured.status = vocabulary.status
    left join levels as measured_level
        on vocabulary.owner_confidence_equivalent = measured_level.confidence

)

select
    benefit_id,
    project_id,
    benefit_owner,
    period_month,
    confidence,
    confidence_label,
    commentary,
    recorded_by,
    recorded_at,
    superseded_checkins,
    measured_status,
    measured_status_label,
    measured_confidence,
    measured_confidence_label,
    measured_confidence_rank is not null as is_comparable,
    case when measured_confidence_rank is not null
        then confidence_rank <> measured_confidence_rank end as disagrees,
    case
        when confidence_rank < measured_confidence_rank then 'owner_more_optimistic'
        when confidence_rank > measured_confidence_rank then 'owner_more_pessimistic'
    end as disagreement,
    case when confidence_rank <> measured_confidence_rank
        then 'Owner says ' || lower(confidence_label) || '; measured ' || lower(measured_status_label)
    end as disagreement_note
from compared
