{#- The planned ramp P_m of SPEC section 4, shared by the monthly spine up to the evaluation
    month (int_benefit_months) and the months after it that value at stake looks ahead to
    (int_benefit_future_months): one expression, so both read the same plan.

    `spine` names a relation or CTE with benefit_id, profile, period_month, realization_month,
    target_month, ramp_months and months_since_start (months from realization_month to
    period_month). -#}

{#- The CTEs plan_points and custom_ramp (custom profile: linear interpolation between the
    benefit_plan points, the last point's value after it, nothing before the first point), to
    place in the model's WITH list. -#}
{% macro custom_ramp_ctes(spine) -%}
plan_points as (

    select
        benefit_id,
        period_month as point_month,
        planned_pct as point_pct,
        lead(period_month) over (partition by benefit_id order by period_month) as next_point_month,
        lead(planned_pct) over (partition by benefit_id order by period_month) as next_point_pct
    from {{ ref('stg_benefit_plan') }}

),

custom_ramp as (

    select
        spine.benefit_id,
        spine.period_month,
        case
            when plan_points.next_point_month is null then plan_points.point_pct
            else plan_points.point_pct
                + (plan_points.next_point_pct - plan_points.point_pct)
                * {{ months_between('plan_points.point_month', 'spine.period_month') }}
                / (1.0 * {{ months_between('plan_points.point_month', 'plan_points.next_point_month') }})
        end as custom_pct
    from {{ spine }} as spine
    inner join plan_points
        on spine.benefit_id = plan_points.benefit_id
        and spine.period_month >= plan_points.point_month
        and (plan_points.next_point_month is null or spine.period_month < plan_points.next_point_month)
    where spine.profile = 'custom'

)
{%- endmacro %}

{#- P_m of the spine row `spine` (alias), with the custom_ramp row `custom` left-joined on
    benefit and month: 0 before r, 1 from the target month, else by profile. -#}
{% macro planned_pct(spine='spine', custom='custom_ramp') -%}
cast(case
    when {{ spine }}.period_month < {{ spine }}.realization_month then 0
    when {{ spine }}.period_month >= {{ spine }}.target_month then 1
    when {{ spine }}.profile = 'linear' then {{ spine }}.months_since_start / (1.0 * {{ spine }}.ramp_months)
    when {{ spine }}.profile = 'step' then 0
    when {{ spine }}.profile = 's_curve'
        then 3 * power({{ spine }}.months_since_start / (1.0 * {{ spine }}.ramp_months), 2)
            - 2 * power({{ spine }}.months_since_start / (1.0 * {{ spine }}.ramp_months), 3)
    when {{ spine }}.profile = 'custom' then coalesce({{ custom }}.custom_pct, 0)
end as {{ type_double() }})
{%- endmacro %}
