{#- An 8-byte float on every engine (dbt.type_float() is 4-byte REAL on DuckDB). -#}
{% macro type_double() -%}
    double
{%- endmacro %}
