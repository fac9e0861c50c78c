{#- SPEC section 7: fct_benefit_monthly has every month from month(realization_start) to the
    evaluation month for every valid benefit that has started. Returns the benefits whose months
    vanished (issue 11: one mistyped year once emptied this table while the run exited 0).
    In Dagster it is an asset check of fct_benefit_monthly. -#}

{{ config(meta={'dagster': {'ref': {'name': 'fct_benefit_monthly'}}}) }}

with expected as (

    select
        benefit_id,
        {{ month_of('realization_start') }} as realization_month,
        {{ months_between(month_of('realization_start'), evaluation_month()) }} + 1 as expected_months
    from {{ ref('dim_benefit') }}
    where {{ month_of('realization_start') }} <= {{ evaluation_month() }}

),

present as (

    select
        expected.benefit_id,
        count(monthly.period_month) as present_months
    from expected
    left join {{ ref('fct_benefit_monthly') }} as monthly
        on monthly.benefit_id = expected.benefit_id
        and monthly.period_month between expected.realization_month and {{ evaluation_month() }}
    group by expected.benefit_id

)

select
    expected.benefit_id,
    expected.expected_months,
    present.present_months
from expected
inner join present on present.benefit_id = expected.benefit_id
where present.present_months <> expected.expected_months
