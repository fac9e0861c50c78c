{#- The lineage every staging model carries from raw: which file and row a record came from
    and when it was loaded (prefix: a table alias with its dot, e.g. 'ranked.'). -#}
{% macro lineage_columns(prefix='') -%}
    {{ prefix }}_source_file as source_file,
    {{ prefix }}_row_number as source_row_number,
    {{ prefix }}_loaded_at as loaded_at
{%- endmacro %}
