"""Queries of the check-in page: the signed-in owner's benefits (their scope already limits
reporting.rpt_benefit_board to them), whether each benefit's KPI is measured by hand
(marts.dim_kpi.is_manually_measured), and the check-ins the warehouse has loaded
(marts.fct_benefit_checkin)."""

from __future__ import annotations

import pandas as pd

from dashboards.queries import BENEFIT_BOARD, has_relation, query

_CHECKIN = "marts.fct_benefit_checkin"


def my_benefits() -> pd.DataFrame:
    """The benefits the principal may check in for, with their KPI and whether it is manual."""
    return query(
        f"""SELECT r.benefit_id, r.benefit_name, r.project_name, r.status, r.status_label, r.evaluation_month,
               r.last_measured_on, r.kpi_id, k.kpi_name, k.unit, k.frequency, k.source_system, k.is_manually_measured
        FROM {BENEFIT_BOARD} r JOIN marts.dim_kpi k ON k.kpi_id = r.kpi_id
        ORDER BY r.benefit_id"""
    )


def checkins(benefit_id: str) -> pd.DataFrame:
    """The loaded check-ins of one benefit, the newest month first."""
    if not has_relation("marts", "fct_benefit_checkin"):
        return pd.DataFrame()
    return query(
        f"""SELECT period_month, confidence_label, measured_status_label, disagreement_label, commentary,
               recorded_by, recorded_at
        FROM {_CHECKIN} WHERE benefit_id = ? ORDER BY period_month DESC""",
        (benefit_id,),
    )

