"""Queries of the check-in page: the signed-in owner's own benefits (their scoped catalog already
limits reporting.rpt_benefit_board to the rows they may see; this keeps those they own) and whether
each benefit's KPI is measured by hand (marts.dim_kpi.is_manually_measured). The loaded check-ins:
dashboards.queries.benefits.benefit_checkins."""

from __future__ import annotations

import pandas as pd

from dashboards.queries import BENEFIT_BOARD, query


def my_benefits(owner_names: tuple[str, ...]) -> pd.DataFrame:
    """The benefits owned by `owner_names` (the principal's benefit_owner grants; compared as the
    scoped catalog compares them: trimmed, case-insensitive), with their KPI and the evaluation
    month's check-in."""
    names = sorted({n.strip().lower() for n in owner_names})
    if not names:
        return query(f"SELECT * FROM {BENEFIT_BOARD} WHERE FALSE")
    return query(
        f"""SELECT r.benefit_id, r.benefit_name, r.project_name, r.status, r.status_label, r.evaluation_month,
               r.owner_confidence_label, r.owner_checkin_month, r.last_measured_on,
               r.kpi_id, k.kpi_name, k.unit, k.frequency, k.source_system, k.is_manually_measured
        FROM {BENEFIT_BOARD} r JOIN marts.dim_kpi k ON k.kpi_id = r.kpi_id
        WHERE lower(trim(r.benefit_owner)) IN ({', '.join('?' for _ in names)})
        ORDER BY r.benefit_id""",
        names,
    )
