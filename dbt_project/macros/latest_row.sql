{#- The latest row per key, as one relation (a select): for every distinct `key` of `relation`,
    the `columns` of its row that sorts last by `order_by` (every column descending; the
    order_by columns must identify a row within its key, so there are no ties), plus:
    - `row_count`: the name of a column counting the key's rows;
    - `max_of`: {name: column}, the greatest value of the column among the key's rows;
    - `distinct_count`: {name: column}, the number of distinct non-null values of the column
      among the key's rows.
    `relation` is a relation or the name of a CTE. The key and order_by columns must be among
    `columns` or not; both are handled (each column is selected once).

    Engines differ in what is cheap (README "Where the time goes"), hence adapter.dispatch:
    - default (DuckDB): a row_number() window over every row costs a sort of the whole table; a
      max() of a struct is slower still; a GROUP BY that carries the payload along with
      any_value() runs out of memory at 100M rows (its hash table of wide rows does not spill).
      Nearly every key has a single row (restatements are rare), so: a GROUP BY of the key
      alone finds the keys with more than one row (narrow, it spills to disk); every other row
      passes through untouched (an anti-join against those few keys, streamed); only the
      repeated keys' rows are ranked, by a window over those rows.
    - spark: one GROUP BY with max_by(struct of the columns, struct of order_by). -#}
{% macro latest_row_per_key(relation, key, order_by, columns, row_count, max_of={}, distinct_count={}) -%}
    {{ return(adapter.dispatch('latest_row_per_key')(relation, key, order_by, columns, row_count, max_of, distinct_count)) }}
{%- endmacro %}

{% macro default__latest_row_per_key(relation, key, order_by, columns, row_count, max_of, distinct_count) -%}
{%- set payload = [] -%}
{%- for column in columns if column not in key -%}{%- do payload.append(column) -%}{%- endfor -%}
{%- set partition -%}
    partition by {% for column in key %}rows_of_key.{{ column }}{{ ", " if not loop.last }}{% endfor %}
{%- endset -%}
(
    with repeated_keys as (

        select
            {%- for column in key %}
            {{ column }},
            {%- endfor %}
            count(*) as {{ row_count }}
        from {{ relation }}
        group by {{ key | join(', ') }}
        having count(*) > 1

    ),

    repeated as (

        select
            {%- for column in key %}
            rows_of_key.{{ column }},
            {%- endfor %}
            repeated_keys.{{ row_count }},
            {%- for name, column in max_of.items() %}
            max(rows_of_key.{{ column }}) over ({{ partition }}) as {{ name }},
            {%- endfor %}
            {%- for name, column in distinct_count.items() %}
            count(distinct rows_of_key.{{ column }}) over ({{ partition }}) as {{ name }},
            {%- endfor %}
            {%- for column in payload %}
            rows_of_key.{{ column }},
            {%- endfor %}
            row_number() over (
                {{ partition }}
                order by {% for column in order_by %}rows_of_key.{{ column }} desc{{ ", " if not loop.last }}{% endfor %}
            ) as recency_rank
        from {{ relation }} as rows_of_key
        inner join repeated_keys
            on {% for column in key -%}
            rows_of_key.{{ column }} = repeated_keys.{{ column }}{{ " and " if not loop.last }}
            {%- endfor %}

    )

    {#- A key's only row: its greatest value is its value, its count of distinct non-null values
        its count of non-null ones. #}
    select
        {%- for column in key %}
        rows_of_key.{{ column }},
        {%- endfor %}
        cast(1 as {{ dbt.type_bigint() }}) as {{ row_count }},
        {%- for name, column in max_of.items() %}
        rows_of_key.{{ column }} as {{ name }},
        {%- endfor %}
        {%- for name, column in distinct_count.items() %}
        cast(case when rows_of_key.{{ column }} is null then 0 else 1 end as {{ dbt.type_bigint() }}) as {{ name }},
        {%- endfor %}
        {%- for column in payload %}
        rows_of_key.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }} as rows_of_key
    where not exists (
        select 1
        from repeated_keys
        where {% for column in key -%}
            repeated_keys.{{ column }} = rows_of_key.{{ column }}{{ " and " if not loop.last }}
            {%- endfor %}
    )

    union all

    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {{ row_count }},
        {%- for name in max_of %}
        {{ name }},
        {%- endfor %}
        {%- for name in distinct_count %}
        {{ name }},
        {%- endfor %}
        {%- for column in payload %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from repeated
    where recency_rank = 1
)
{%- endmacro %}

{% macro spark__latest_row_per_key(relation, key, order_by, columns, row_count, max_of, distinct_count) -%}
{%- set payload = [] -%}
{%- for column in columns if column not in key -%}{%- do payload.append(column) -%}{%- endfor -%}
(
    select
        {%- for column in key %}
        {{ column }},
        {%- endfor %}
        {{ row_count }},
        {%- for name in max_of %}
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
            {%- for name, column in max_of.items() %}
            max({{ column }}) as {{ name }},
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
