{#- One row per benefit status of SPEC section 4 (var benefit_statuses), in the order a board
    reads them (worst first): the code fct_benefit_status stores, the rule key, label, colour,
    tone and flags, the status in a benefit owner's words, and a description quoting the current thresholds. The CLI, the board pack and
    the dashboard read statuses from here, never from a list of their own. -#}

{%- set rows = [] -%}
{%- for entry in benefit_statuses() -%}
    {%- do rows.append({
        'status': entry.code,
        'status_key': entry.key,
        'status_label': entry.label,
        'board_order': loop.index,
        'colour': entry.colour,
        'tone': entry.tone,
        'needs_attention': entry.needs_attention,
        'closure_attention': entry.closure_attention,
        'flags_benefits_watermelon': entry.flags_benefits_watermelon,
        'is_tracked': entry.is_tracked,
        'owner_confidence_equivalent': entry.get('owner_confidence'),
        'status_description': with_threshold_values(entry.description),
    }) -%}
{%- endfor %}

{{ literal_rows(rows, [
    ['status', dbt.type_string()],
    ['status_key', dbt.type_string()],
    ['status_label', dbt.type_string()],
    ['board_order', dbt.type_int()],
    ['colour', dbt.type_string()],
    ['tone', dbt.type_string()],
    ['needs_attention', dbt.type_boolean()],
    ['closure_attention', dbt.type_boolean()],
    ['flags_benefits_watermelon', dbt.type_boolean()],
    ['is_tracked', dbt.type_boolean()],
    ['owner_confidence_equivalent', dbt.type_string()],
    ['status_description', dbt.type_string()],
]) }}
