{#- Models land in the schema their folder names (staging, intermediate, marts), not in
    "<target schema>_<custom schema>": SQL users query marts.fct_benefit_status. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
