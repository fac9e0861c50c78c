{#- Every row satisfies `expression` (rows where it is null pass, as in dbt_utils). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
