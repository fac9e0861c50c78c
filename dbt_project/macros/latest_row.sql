{#- The latest row per key, as one relation (a select): for every distinct `key` of `relation`,
    the `columns` of its row that sorts last by `order_by` (every column descending; the
    order_by columns must identify a row within its key, so there are no ties), plus:
    - `row_count`: the name of a column counting the key's rows;
    - `aggregates`: {name: portable aggregate expression over all the key's rows};
    - `distinct_count`: {name: column}, the number of distinct non-null values of the column
      among the key's rows.
    `relation` is a relation or the name of a CTE. The key and order_by columns must be among
    `columns` or not; both are handled (each column is selected once).

    Engines differ in what is cheap (README "Where the time goes"), hence adapter.dispatch:
    - default (DuckDB): a row_number() window over every row costs a sort of the whole table; a
      max() of a struct is slower still. Nearly every key has a single row (restatements are
      rare), so one GROUP BY counts each key's rows and carries its (only) row along with
      any_value(); only the keys with more than one row are ranked, by a window over those rows.
    - spark: one GROUP BY with max_by(struct of the columns, struct of order_by). -#}
{% macro latest_row_per_key(relation, key, order_by, columns, row_count, aggregates={}, distinct_count={}) -%}
    {{ return(adapter.dispatch('latest_row_per_key')(relation, key, order_by, columns, row_count, aggregates, distinct_count)) }}
{%- endmacro %}

{% macro default__latest_row_per_key(relation, key, order_by, columns, row_count, aggregates, distinct_count) -%}
{%- set payload = [] -%}
{%- for column in columns if column not in key -%}{%- do payload.append(column) -%}{%- endfor -%}
{%- set key_list = key | join(', ') -%}
(
    with keyed as (

        select
            {%- for column in key %}
            {{ column }},
            {%- endfor %}
            count(*) as {{ row_count }},
            {%- for name, expression in aggregates.items() %}
            {{ expression }} as {{ name }},
            {%- endfor %}
            {#- one row: its count of non-null values is its count of distinct ones #}
            {%- for name, column in distinct_count.items() %}
            count({{ column }}) as {{ name }},
            {%- endfor %}
            {%- for column in payload %}
            any_value({{ column }}) as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ relation }}
        group by {{ key_list }}

    ),

    repeated as (

        select
            {%- for column in key %}
            rows_of_key.{{ column }},
            {%- endfor %}
            {%- for column in payload %}
            rows_of_key.{{ column }},
            {%- endfor %}
            {%- for name, column in distinct_count.items() %}
            count(distinct rows_of_key.{{ column }}) over (partition by {% for column in key %}rows_of_key.{{ column }}{{ ", " if not loop.last }}{% endfor %}) as {{ name }},
            {%- endfor %}
            row_number() over (
                partition by {% for column in key %}rows_of_key.{{ column }}{{ ", " if not loop.last }}{% endfor %}
                order by {% for column in order_by %}rows_of_key.{{ column }} desc{{ ", " if not loop.last }}{% endfor %}
            ) as recency_rank
        from {{ relation }} as rows_of_key
        inner join keyed
            on {% for column in key -%}
            rows_of_key.{{ column }} = keyed.{{ column }}{{ " and " if not loop.last }}
            {%- endfor %}
        where keyed.{{ row_count }} > 1

    )

    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {{ row_count }},
        {%- for name in aggregates %}
        {{ name }},
        {%- endfor %}
        {%- for name in distinct_count %}
        {{ name }},
        {%- endfor %}
        {%- for column in payload %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from keyed
    where {{ row_count }} = 1

    union all

    select
        {%- for column in key %}
        keyed.{{ column }},
        {%- endfor %}
        keyed.{{ row_count }},
        {%- for name in aggregates %}
        keyed.{{ name }},
        {%- endfor %}
        {%- for name in distinct_count %}
        repeated.{{ name }},
        {%- endfor %}
        {%- for column in payload %}
        repeated.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from repeated
    inner join keyed
        on {% for column in key -%}
        repeated.{{ column }} = keyed.{{ column }}{{ " and " if not loop.last }}
        {%- endfor %}
    where repeated.recency_rank = 1
)
{%- endmacro %}

{% macro spark__latest_row_per_key(relation, key, order_by, columns, row_count, aggregates, distinct_count) -%}
{%- set payload = [] -%}
{%- for column in columns if column not in key -%}{%- do payload.append(column) -%}{%- endfor -%}
(
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {{ row_count }},
        {%- for name in aggregates %}
        {{ name }},
        {%- endfor %}
        {%- for name in distinct_count %}
        {{ name }},
        {%- endfor %}
        {%- for column in payload %}
        latest.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for column in key %}
            {{ column }},
            {%- endfor %}
            count(*) as {{ row_count }},
            {%- for name, expression in aggregates.items() %}
            {{ expression }} as {{ name }},
            {%- endfor %}
            {%- for name, column in distinct_count.items() %}
            count(distinct {{ column }}) as {{ name }},
            {%- endfor %}
            max_by(
                struct({% for column in payload %}{{ column }}{{ ", " if not loop.last }}{% endfor %}),
                struct({% for column in order_by %}{{ column }}{{ ", " if not loop.last }}{% endfor %})
            ) as latest
        from {{ relation }}
        group by {{ key | join(', ') }}
    ) as latest_per_key
)
{%- endmacro %}

{#- The value of `value` on the row with the greatest `by` within a GROUP BY group (`by` unique
    within the group). DuckDB and Spark both call it max_by. -#}
{% macro value_at_max(value, by) -%}
    {{ return(adapter.dispatch('value_at_max')(value, by)) }}
{%- endmacro %}

{% macro default__value_at_max(value, by) -%}
    max_by({{ value }}, {{ by }})
{%- endmacro %}

{% macro spark__value_at_max(value, by) -%}
    max_by({{ value }}, {{ by }})
{%- endmacro %}
