{#- The thresholds the status rules, the derived RAG and KPI freshness apply (SPEC sections 4
    and 6): the value of each comes from its var in dbt_project.yml (the one place to change
    it); this adds what it is measured in and which rule it drives, for marts.dim_status_threshold
    and for explanations that quote it. unit: ratio (of the target improvement or of plan), days
    or months. -#}
{% macro status_thresholds() -%}
    {%- set thresholds = [
        {'threshold_name': 'stale_after_months', 'unit': 'months',
         'rule': 'benefit status rule 4: stale',
         'description': 'A benefit with no measurement of its KPI in this many months up to the evaluation month ([e-2, e] for 3) is stale.'},
        {'threshold_name': 'disbenefit_exceeded_above', 'unit': 'ratio',
         'rule': 'benefit status rule 5: exceeded, within_tolerance',
         'description': 'A dis-benefit whose trailing realization T3(e) is above this is exceeded, else within tolerance.'},
        {'threshold_name': 'erosion_peak_min', 'unit': 'ratio',
         'rule': 'benefit status rule 6: eroding',
         'description': 'Eroding needs a peak T3 since realization start of at least this ...'},
        {'threshold_name': 'erosion_drop', 'unit': 'ratio',
         'rule': 'benefit status rule 6: eroding',
         'description': '... and T3(e) at least this far below that peak.'},
        {'threshold_name': 'zero_plan_tolerance', 'unit': 'ratio',
         'rule': 'benefit status rule 8: on_track, off_track',
         'description': 'With nothing planned yet (P_e = 0), T3(e) at least this is on track, below it off track.'},
        {'threshold_name': 'on_track_attainment', 'unit': 'ratio',
         'rule': 'benefit status rule 9: on_track',
         'description': 'Plan attainment T3(e) / P_e at least this is on track.'},
        {'threshold_name': 'at_risk_attainment', 'unit': 'ratio',
         'rule': 'benefit status rule 9: at_risk, off_track',
         'description': 'Plan attainment at least this (and below on_track_attainment) is at risk, below it off track.'},
        {'threshold_name': 'default_review_months', 'unit': 'months',
         'rule': 'benefit status rule 3: tracking_ended',
         'description': 'Without a review_until, tracking ends this many months after the target date.'},
        {'threshold_name': 'forecast_window_months', 'unit': 'months',
         'rule': 'forecast at target',
         'description': 'The forecast fits a line through the last this many months with data up to the evaluation month.'},
        {'threshold_name': 'forecast_min_points', 'unit': 'months',
         'rule': 'forecast at target',
         'description': 'With fewer months with data than this in the window there is no forecast.'},
        {'threshold_name': 'cpi_red_below', 'unit': 'ratio',
         'rule': 'derived RAG: red',
         'description': 'A CPI (EV / AC) below this makes the derived RAG red.'},
        {'threshold_name': 'cpi_amber_below', 'unit': 'ratio',
         'rule': 'derived RAG: amber',
         'description': 'A CPI below this (and not below cpi_red_below) makes it amber.'},
        {'threshold_name': 'spi_red_below', 'unit': 'ratio',
         'rule': 'derived RAG: red',
         'description': 'An SPI (EV / PV) below this makes the derived RAG red.'},
        {'threshold_name': 'spi_amber_below', 'unit': 'ratio',
         'rule': 'derived RAG: amber',
         'description': 'An SPI below this (and not below spi_red_below) makes it amber.'},
        {'threshold_name': 'slippage_red_over_days', 'unit': 'days',
         'rule': 'derived RAG: red',
         'description': 'A key milestone more than this many days late makes the derived RAG red.'},
        {'threshold_name': 'slippage_amber_over_days', 'unit': 'days',
         'rule': 'derived RAG: amber',
         'description': 'A key milestone more than this many days late (and not more than slippage_red_over_days) makes it amber.'},
        {'threshold_name': 'mitigation_overdue_days', 'unit': 'days',
         'rule': 'derived RAG: red (critical), amber (high)',
         'description': 'A high or critical risk or issue open more than this many days without mitigation is documented, not mitigated.'},
        {'threshold_name': 'decision_overdue_days', 'unit': 'days',
         'rule': 'derived RAG: amber',
         'description': 'An open decision older than this many days is overdue.'},
    ] -%}
    {%- set rows = [] -%}
    {%- for threshold in thresholds -%}
        {%- set row = {'threshold_value': var(threshold.threshold_name)} -%}
        {%- do row.update(threshold) -%}
        {%- do rows.append(row) -%}
    {%- endfor -%}
    {%- for frequency, days in var('freshness_days').items() -%}
        {%- do rows.append({
            'threshold_name': 'freshness_days_' ~ frequency, 'threshold_value': days, 'unit': 'days',
            'rule': 'KPI freshness: dim_kpi.is_late',
            'description': 'A ' ~ frequency ~ ' KPI whose last measurement is older than this many days is late.'}) -%}
    {%- endfor -%}
    {%- for frequency, days in var('complete_month_last_days').items() -%}
        {%- do rows.append({
            'threshold_name': 'complete_month_last_days_' ~ frequency, 'threshold_value': days, 'unit': 'days',
            'rule': 'complete month (SPEC section 3): int_kpi_monthly.is_complete',
            'description': 'A month counts for a ' ~ frequency ~ ' KPI only with a measurement in its last this many days; else it reads as no data.'}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}

{#- `text` with every {threshold_name} replaced by that threshold's value, so explanations
    follow the vars. -#}
{% macro with_threshold_values(text) -%}
    {%- set rendered = namespace(text=text) -%}
    {%- for threshold in status_thresholds() -%}
        {%- set rendered.text = rendered.text | replace('{' ~ threshold.threshold_name ~ '}', threshold.threshold_value | string) -%}
    {%- endfor -%}
    {{ return(rendered.text) }}
{%- endmacro %}
