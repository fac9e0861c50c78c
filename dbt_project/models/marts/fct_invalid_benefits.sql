{#- Benefits that passed ingestion but cannot be tracked: the target is not an improvement
    over the resolved (measured) baseline (SPEC section 4: TI <= 0). Given baselines are caught
    at ingestion and are in audit.quarantine; these are the measured ones. Nothing vanishes. -#}

select
    benefit_id,
    project_id,
    benefit_name,
    kpi_id,
    direction,
    cast(baseline_value as {{ type_double() }}) as baseline_value,
    baseline_source,
    target_value,
    cast(target_improvement as {{ type_double() }}) as target_improvement,
    invalid_reason as reason,
    benefit_owner,
    source_file,
    source_row_number
from {{ ref('int_benefits_resolved') }}
where invalid_reason is not null
