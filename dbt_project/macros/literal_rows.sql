{#- A Python/YAML value as a SQL literal: null, true/false, a number as written, anything else a
    quoted string (single quotes doubled). -#}
{% macro sql_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        {{ dbt.string_literal(dbt.escape_single_quotes(value | string)) }}
    {%- endif -%}
{%- endmacro %}

{#- A relation from data known at compile time (a var): one `select` of typed literals per row,
    unioned. rows: mappings; columns: [name, SQL type] pairs, in output order. No rows: an empty
    relation with those columns. -#}
{% macro literal_rows(rows, columns) -%}
    {%- for row in (rows or [none]) %}
{{ 'union all' if not loop.first }}
select
    {%- for name, type in columns %}
    cast({{ sql_literal(row[name] if row is not none else none) }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- if row is none %}
where 1 = 0
{%- endif %}
    {%- endfor %}
{%- endmacro %}
