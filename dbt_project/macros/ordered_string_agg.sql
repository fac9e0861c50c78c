{#- The non-null values of `expr` in a group, joined by `separator` (a SQL string literal) in the
    order of `order_by` (default: the values themselves); distinct=true: each value once (then the
    order is the values'). Null when the group has no non-null value, like string_agg.
    dbt.listagg cannot order on Spark (it warns and drops the order by), so a board list would come
    out in whatever order Spark's tasks finished. -#}
{% macro ordered_string_agg(expr, separator, order_by=none, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expr, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expr, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, {{ separator }} order by {{ order_by or expr }})
{%- endmacro %}

{#- Spark: sort the collected values (collect_set for distinct); with another order, sort
    (order key, value) structs and keep the values. Strings sort by their bytes on both engines. -#}
{% macro spark__ordered_string_agg(expr, separator, order_by, distinct) -%}
    {%- if distinct or order_by is none or order_by == expr -%}
    case when count({{ expr }}) > 0 then array_join(array_sort(
        {{- 'collect_set' if distinct else 'collect_list' }}({{ expr }})), {{ separator }}) end
    {%- else -%}
    case when count({{ expr }}) > 0 then array_join(transform(array_sort(collect_list(
        case when ({{ expr }}) is not null then struct({{ order_by }} as sort_key, {{ expr }} as value) end)),
        item -> item.value), {{ separator }}) end
    {%- endif -%}
{%- endmacro %}
