{#- One row per threshold of the status rules, the derived RAG and KPI freshness (SPEC sections 4
    and 6): its value from the dbt vars, its unit and the rule it drives. Explanations ("tolerance
    110%", "CPI < 0.85") quote these values rather than repeating them. -#}

{{ literal_rows(status_thresholds(), [
    ['threshold_name', dbt.type_string()],
    ['threshold_value', type_double()],
    ['unit', dbt.type_string()],
    ['rule', dbt.type_string()],
    ['description', dbt.type_string()],
]) }}
