{#- No dbt_utils here (no package hub): the combination of `combination` columns is unique.

    only_latest_of (optional): a column that holds when a row was written, for an incremental
    model. Only the keys of the rows written by the latest build are checked (against every row
    of the model): a build can only have broken uniqueness through the rows it wrote, so at
    10M measurements the daily test costs a semi-join instead of a 10M-row group-by. A full
    refresh writes every row with the same value, so then every key is checked - by one
    group-by over the rows, not a semi-join of every key against every row (a third of the
    cost). -#}
{% test unique_combination_of_columns(model, combination, only_latest_of=none) %}
{%- if only_latest_of %}
{%- set key_columns = combination | join(', ') %}
with written as (

    select
        max({{ only_latest_of }}) as latest,
        min({{ only_latest_of }}) as earliest
    from {{ model }}

),

{#- A full refresh (every row written by the latest build): one group-by over every row. #}
every_key as (

    select {{ key_columns }}, count(*) as occurrences
    from {{ model }}
    where (select latest = earliest from written)
    group by {{ key_columns }}
    having count(*) > 1

),

{#- Otherwise the keys the latest build wrote, against every row of the model. #}
latest_keys as (

    select distinct {{ key_columns }}
    from {{ model }}
    where {{ only_latest_of }} = (select latest from written)
        and not (select latest = earliest from written)

),

written_keys as (

    select
        {%- for column in combination %}
        checked.{{ column }},
        {%- endfor %}
        count(*) as occurrences
    from {{ model }} as checked
    inner join latest_keys
        on {% for column in combination -%}
        checked.{{ column }} = latest_keys.{{ column }}{{ " and " if not loop.last }}
        {%- endfor %}
    group by {% for column in combination %}checked.{{ column }}{{ ", " if not loop.last }}{% endfor %}
    having count(*) > 1

)

select * from every_key
union all
select * from written_keys
{%- else %}
select {{ combination | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{%- endif %}
{% endtest %}
