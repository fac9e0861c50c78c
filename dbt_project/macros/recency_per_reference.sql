{#- 1 for the latest row (by order_expr) of each project's reference point (reference_dates:
    project, kind and cutoff), 2 for the one before ... -#}
{% macro recency_per_reference(order_expr) -%}
    row_number() over (
        partition by reference_dates.project_id, reference_dates.reference_kind, reference_dates.cutoff_date
        order by {{ order_expr }} desc
    )
{%- endmacro %}
