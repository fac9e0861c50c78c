{#- The latest status report on or before each reference point (reported RAG). -#}

with ranked as (

    select
        reference_dates.project_id,
        reference_dates.reference_kind,
        reference_dates.cutoff_date,
        reports.report_date,
        reports.overall_rag,
        reports.benefits_rag,
        row_number() over (
            partition by reference_dates.project_id, reference_dates.reference_kind, reference_dates.cutoff_date
            order by reports.report_date desc
        ) as recency
    from {{ ref('int_project_reference_dates') }} as reference_dates
    inner join {{ ref('stg_status_reports') }} as reports
        on reports.project_id = reference_dates.project_id
        and reports.report_date <= reference_dates.cutoff_date

)

select project_id, reference_kind, cutoff_date, report_date, overall_rag, benefits_rag
from ranked
where recency = 1
