{#- One row per version of a benefit's goalposts (baseline, target, dates, ramp) as runs saw
    them: the snap_benefits history numbered per benefit, the latest one current unless the
    benefit left the register. A benefit with more than one version was rebaselined.
    Where the target keeps no snapshots (Spark on Parquet tables, macros/snapshots_supported.sql):
    each benefit's current goalposts as its one version, valid from this build, as a first
    snapshot would hold them; no history, so no benefit shows as rebaselined. -#}

{#- A benefit's goalposts: what a version holds. -#}
{%- set goalposts = ['baseline_value', 'baseline_start', 'baseline_end', 'target_value', 'target_date',
                     'realization_start', 'review_until', 'profile'] -%}

{%- if snapshots_supported() %}

select
    benefit_id,
    cast(row_number() over (partition by benefit_id order by dbt_valid_from) as {{ dbt.type_bigint() }})
        as version_number,
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to,
    dbt_valid_to is null as is_current,
    {%- for column in goalposts %}
    {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('snap_benefits') }}
{%- else %}

select
    benefit_id,
    cast(1 as {{ dbt.type_bigint() }}) as version_number,
    {{ run_started_timestamp() }} as valid_from,
    cast(null as {{ dbt.type_timestamp() }}) as valid_to,
    true as is_current,
    {%- for column in goalposts %}
    {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('stg_benefits') }}
{%- endif %}
