{#- The status of a benefit at an evaluation month (SPEC section 4): the rules in order, first
    match wins, statuses named by their rule key (stored as their code, var benefit_statuses).
    Arguments are SQL expressions, so fct_benefit_status (at e) and fct_benefit_status_monthly
    (at every month) apply the very same rules. Boundaries compare values rounded to 9 decimals
    so that float noise (0.8999999999) does not move a benefit across a threshold.
      baseline         B (null: no baseline)
      month            the evaluation month
      realization      month(realization_start)
      review_until     month(review_until)
      measured_months  months with measurements in [month - 2, month] (staleness reads
                       measurements, not complete months: SPEC section 3)
      is_disbenefit    the benefit is a dis-benefit
      t3               T3 at the month
      peak             max T3 over months realization..month
      planned          P at the month -#}
{% macro benefit_status_rule(baseline, month, realization, review_until, measured_months, is_disbenefit, t3, peak, planned) -%}
    case
        when {{ baseline }} is null then {{ status('no_baseline') }}
        when {{ month }} < {{ realization }} then {{ status('not_started') }}
        when {{ month }} > {{ review_until }} then {{ status('tracking_ended') }}
        when {{ measured_months }} = 0 then {{ status('stale') }}
        when {{ is_disbenefit }} then
            case
                when round({{ t3 }}, 9) > {{ var('disbenefit_exceeded_above') }} then {{ status('exceeded') }}
                else {{ status('within_tolerance') }}
            end
        when round({{ peak }}, 9) >= {{ var('erosion_peak_min') }}
            and round({{ t3 }}, 9) <= round({{ peak }} - {{ var('erosion_drop') }}, 9) then {{ status('eroding') }}
        when round({{ t3 }}, 9) >= 1 then {{ status('achieved') }}
        when {{ planned }} = 0 then
            case
                when round({{ t3 }}, 9) >= {{ var('zero_plan_tolerance') }} then {{ status('on_track') }}
                else {{ status('off_track') }}
            end
        when round({{ t3 }} / nullif({{ planned }}, 0), 9) >= {{ var('on_track_attainment') }} then {{ status('on_track') }}
        when round({{ t3 }} / nullif({{ planned }}, 0), 9) >= {{ var('at_risk_attainment') }} then {{ status('at_risk') }}
        else {{ status('off_track') }}
    end
{%- endmacro %}
