{#- A relation of whole-month offsets first .. first + 10^places - 1, as column month_offset,
    built from a digits table so that it is portable (no generate_series): the month calendar
    (int_calendar_months, 10,000 months) and the months ahead of the evaluation month
    (int_benefit_future_months, 1,000) count months with it. -#}
{% macro month_offsets(places, first=0) -%}
(
    select
        {%- for place in range(places) %}
        digits_{{ place }}.d * {{ 10 ** place }} +
        {%- endfor %}
        {{ first }} as month_offset
    from {{ _digits() }} as digits_0
    {%- for place in range(1, places) %}
    cross join {{ _digits() }} as digits_{{ place }}
    {%- endfor %}
)
{%- endmacro %}

{% macro _digits() -%}
(
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
)
{%- endmacro %}
