{#- The reporting currency (SPEC section 8, BRW_REPORTING_CURRENCY, default GBP) as a SQL string
    literal: var('reporting_currency') when given (unit tests, hand-run dbt), else env
    BRW_DBT_REPORTING_CURRENCY (handed to dbt's own environment by the Dagster dbt step for every
    run, like the as-of date), else env BRW_REPORTING_CURRENCY, else GBP. Money columns X of the
    marts and the reporting layer have a sibling X_reporting in this currency (int_fx_rates). -#}
{% macro reporting_currency() -%}
    {%- set code = var('reporting_currency', '') or env_var('BRW_DBT_REPORTING_CURRENCY', '')
        or env_var('BRW_REPORTING_CURRENCY', '') or 'GBP' -%}
    {%- if not modules.re.fullmatch('[A-Z]{3}', code) -%}
        {{ exceptions.raise_compiler_error("the reporting currency '" ~ code ~ "' is not a 3-letter ISO 4217 code in upper case (BRW_REPORTING_CURRENCY)") }}
    {%- endif -%}
    '{{ code }}'
{%- endmacro %}

{#- An amount in its original currency converted with a rate to the reporting currency (null
    when either is null: a missing rate never becomes a zero). -#}
{% macro to_reporting(amount, rate) -%}
    cast({{ amount }} * {{ rate }} as {{ type_double() }})
{%- endmacro %}

{#- True when a rate was missing: some amount is present but its converted sibling is null.
    `columns`: the original column names; their siblings are <name>_reporting (prefix: an alias
    with its dot). -#}
{% macro fx_rate_missing(columns, prefix='') -%}
    coalesce(
    {%- for column in columns %}
        ({{ prefix }}{{ column }} is not null and {{ prefix }}{{ column }}_reporting is null)
        {%- if not loop.last %} or{% endif %}
    {%- endfor %}, false)
{%- endmacro %}

{#- Sum of converted amounts that is null as soon as one amount lacks its converted value: a
    total missing some of its parts must never read as the total. `amount`, `converted`: SQL
    expressions of the original amount and its reporting-currency value. -#}
{% macro sum_reporting(amount, converted) -%}
    cast(case
        when count(case when ({{ amount }}) is not null and ({{ converted }}) is null then 1 end) = 0
            then sum({{ converted }})
    end as {{ type_double() }})
{%- endmacro %}
