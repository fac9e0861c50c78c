{#- The run's as-of date (SPEC section 3) as a SQL date literal: var('as_of') when given (unit
    tests, hand-run dbt), else env BRW_DBT_AS_OF (handed to dbt's own environment by the Dagster
    dbt step for every run, from its run options; an env var rather than --vars so that dbt's
    partial parse survives a new as-of date), else env BRW_AS_OF (SPEC section 3, for dbt run by
    hand), else today. Every "as of" rule reads it through this macro so a run is reproducible. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', '') or env_var('BRW_DBT_AS_OF', '') or env_var('BRW_AS_OF', '') -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- The evaluation month: the first day of the last complete month before as_of. -#}
{% macro evaluation_month() -%}
    cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', as_of_date())) }} as date)
{%- endmacro %}

{#- First day of the month of a date expression, as a date. -#}
{% macro month_of(expr) -%}
    cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{#- Whole months from one first-of-month date expression to another. In parentheses: dbt-spark's
    month datediff is a sum of two CASE expressions, which `x * months_between(...)` would split. -#}
{% macro months_between(start_month, end_month) -%}
    ({{ dbt.datediff(start_month, end_month, 'month') }})
{%- endmacro %}

{#- The first day of the plausible date window (SPEC section 2): env BRW_EARLIEST_DATE, default
    1990-01-01, as ingestion applies it. The month calendar starts here. -#}
{% macro earliest_date() -%}
    cast('{{ env_var('BRW_EARLIEST_DATE', '1990-01-01') }}' as date)
{%- endmacro %}
