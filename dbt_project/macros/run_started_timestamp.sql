{#- When this dbt invocation started, as a SQL timestamp (UTC): the computed_at column of the
    incremental models tells which rows the latest run (re)computed. -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
