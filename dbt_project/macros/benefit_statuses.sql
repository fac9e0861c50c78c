{#- The benefit-status vocabulary (var benefit_statuses in dbt_project.yml) for SQL: models name a
    status by its SPEC rule key and get the code the warehouse stores, so renaming a code is one
    edit of the var. -#}

{#- var('benefit_statuses'), checked: every field present, keys and codes unique, a known tone,
    flags true or false. A mistake is a compile error naming the status. -#}
{% macro benefit_statuses() -%}
    {%- set statuses = var('benefit_statuses') -%}
    {%- set seen = {'key': [], 'code': []} -%}
    {%- for entry in statuses -%}
        {%- for field in ['key', 'code', 'label', 'colour', 'tone', 'description'] + status_flags() -%}
            {%- if entry.get(field) is none -%}
                {{ exceptions.raise_compiler_error("var benefit_statuses: status " ~ entry ~ " has no " ~ field) }}
            {%- endif -%}
        {%- endfor -%}
        {%- for flag in status_flags() if entry[flag] is not sameas true and entry[flag] is not sameas false -%}
            {{ exceptions.raise_compiler_error("var benefit_statuses: " ~ flag ~ " of status '" ~ entry.key ~ "' is not true or false") }}
        {%- endfor -%}
        {%- if entry.tone not in ['red', 'amber', 'green', 'grey'] -%}
            {{ exceptions.raise_compiler_error("var benefit_statuses: tone of status '" ~ entry.key ~ "' is " ~ entry.tone ~ ", not red, amber, green or grey") }}
        {%- endif -%}
        {%- if entry.get('owner_confidence') is not none
                and entry.owner_confidence not in owner_confidences() | map(attribute='code') | list -%}
            {{ exceptions.raise_compiler_error("var benefit_statuses: owner_confidence of status '" ~ entry.key ~ "' is "
                ~ entry.owner_confidence ~ ", not one of var owner_confidences (" ~ owner_confidences() | map(attribute='code') | join(', ') ~ ") or null") }}
        {%- endif -%}
        {%- for field in ['key', 'code'] -%}
            {%- if entry[field] in seen[field] -%}
                {{ exceptions.raise_compiler_error("var benefit_statuses: two statuses have the " ~ field ~ " '" ~ entry[field] ~ "'") }}
            {%- endif -%}
            {%- do seen[field].append(entry[field]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(statuses) }}
{%- endmacro %}

{#- The yes/no properties a status has (columns of marts.dim_benefit_status). -#}
{% macro status_flags() -%}
    {{ return(['needs_attention', 'closure_attention', 'flags_benefits_watermelon', 'is_tracked']) }}
{%- endmacro %}

{#- The status with SPEC rule key `key` (its var entry); a compile error for an unknown key. -#}
{% macro benefit_status(key) -%}
    {%- set statuses = benefit_statuses() -%}
    {%- for entry in statuses if entry.key == key -%}
        {{ return(entry) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "status('" ~ key ~ "'): no such benefit status in var benefit_statuses (keys: "
        ~ statuses | map(attribute='key') | join(', ') ~ ")") }}
{%- endmacro %}

{#- The code stored for the status with rule key `key`, as a quoted SQL literal: status('stale'). -#}
{% macro status(key) -%}
    {{ sql_literal(benefit_status(key).code) }}
{%- endmacro %}

{#- The codes of the statuses with `flag` true, as a SQL list for `in`: ('off_track', 'eroding').
    No status with the flag: (null), which matches nothing. -#}
{% macro statuses_where(flag) -%}
    {%- if flag not in status_flags() -%}
        {{ exceptions.raise_compiler_error(
            "statuses_where('" ~ flag ~ "'): not a status flag (flags: " ~ status_flags() | join(', ') ~ ")") }}
    {%- endif -%}
    {%- set codes = [] -%}
    {%- for entry in benefit_statuses() if entry[flag] -%}
        {%- do codes.append(sql_literal(entry.code)) -%}
    {%- endfor -%}
    ({{ codes | join(', ') if codes else 'null' }})
{%- endmacro %}

{#- var('owner_confidences'): the words of an owner's check-in, most optimistic first, each with
    a code and a label. -#}
{% macro owner_confidences() -%}
    {%- set levels = var('owner_confidences') -%}
    {%- for entry in levels -%}
        {%- if entry.get('code') is none or entry.get('label') is none -%}
            {{ exceptions.raise_compiler_error("var owner_confidences: entry " ~ entry ~ " needs a code and a label") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(levels) }}
{%- endmacro %}

{#- The owner confidences as rows (confidence, confidence_label, confidence_rank: 1 = most
    optimistic) for a CTE. -#}
{% macro owner_confidence_rows() -%}
    {%- set rows = [] -%}
    {%- for entry in owner_confidences() -%}
        {%- do rows.append({'confidence': entry.code, 'confidence_label': entry.label, 'confidence_rank': loop.index}) -%}
    {%- endfor -%}
    {{ literal_rows(rows, [
        ['confidence', dbt.type_string()],
        ['confidence_label', dbt.type_string()],
        ['confidence_rank', dbt.type_int()],
    ]) }}
{%- endmacro %}
