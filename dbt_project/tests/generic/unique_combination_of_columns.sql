{#- No dbt_utils here (no package hub): the combination of `combination` columns is unique.

    only_latest_of (optional): a column that holds when a row was written, for an incremental
    model. Only the keys of the rows written by the latest build are checked (against every row
    of the model): a build can only have broken uniqueness through the rows it wrote, so at
    10M measurements the daily test costs a semi-join instead of a 10M-row group-by. A full
    refresh writes every row with the same value, so then every key is checked. -#}
{% test unique_combination_of_columns(model, combination, only_latest_of=none) %}
{%- if only_latest_of %}
with latest_keys as (

    select distinct {{ combination | join(', ') }}
    from {{ model }}
    where {{ only_latest_of }} = (select max({{ only_latest_of }}) from {{ model }})

)

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
{%- else %}
select {{ combination | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{%- endif %}
{% endtest %}
