"""Tables of reporting rows (benefit board, project board, monthly health): one short heading,
width and format per column, its long meaning in the help and thresholds quoted from the
vocabulary. A table shows the columns its reader needs within the page's width, amounts and
percentages as pipelines.formatting writes them; its CSV download keeps every column as numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.views import common

MONEY = {
    "annual_planned_value": "Annual plan", "cumulative_realized_value": "Realized", "realized_to_date": "Realized",
    "margin_leakage": "Leakage", "planned_margin": "Planned margin", "forecast_margin": "Forecast margin",
    "unbilled_approved_change_cost": "Unbilled changes", "approved_change_cost": "Approved changes",
    "contract_value": "Contract value", "budget_at_completion": "Budget (BAC)",
}
PCT = {  # heading, meaning, width
    "trailing_realization_pct": ("Realization", "Trailing 3-month realization", 85),
    "peak_trailing_realization_pct": ("Peak", "Highest 3-month realization so far", 65),
    "planned_pct": ("Planned", "Planned realization by now", 70),
}


def _whole(label: str, width: int = 70, **extra) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="%d", width=width, **extra)


def _text(label: str, width: int | str = 120) -> st.column_config.TextColumn:
    return st.column_config.TextColumn(label, width=width)


def _day(label: str, width: int = 95, month: bool = False) -> st.column_config.DateColumn:
    return st.column_config.DateColumn(label, format="MMM YYYY" if month else "D MMM YYYY", width=width)


def _catalogue() -> dict:
    t = queries.threshold_text
    return {
        # benefits
        "status_label": _text("Status", 95), "benefit_id": _text("Benefit", 80), "benefit_name": _text("Name", 160),
        "benefit_owner": _text("Owner", 115), "kpi_name": _text("KPI to measure", 150),
        "last_measured_on": _day("Last measured"), "review_until": _day("Review until"),
        "months_without_measurement": _whole("No data", 65, help="Months from the last measurement to the "
                                             "evaluation month"),
        "months_since_close": _whole("Closed", 65, help="Months since the project closed; empty while it is open"),
        # projects
        "project_id": _text("Project", 80), "project_name": _text("Name", 160), "portfolio": _text("Portfolio"),
        "sponsor": _text("Sponsor"), "project_manager": _text("Project manager"), "stage": _text("Stage", 65),
        "currency": _text("Currency", 75), "owners": _text("Their owners", 150),
        "reported_rag": _text("Reported", 75), "derived_rag": _text("Derived", 70),
        "derived_rag_reasons": _text("Why", 360),
        "period_month": _day("Month", 80, month=True), "last_report_date": _day("Last report"),
        "cpi": st.column_config.NumberColumn("CPI", format="%.2f", width=55),
        "spi": st.column_config.NumberColumn("SPI", format="%.2f", width=55),
        "max_key_slippage_days": _whole("Slippage", 75, help="Worst slippage of a key milestone, days"),
        "watermelon_months": _whole("Months", help="Consecutive month ends reported green with red measures"),
        "watermelon_streak_months": _whole("Streak", help="Consecutive months as a watermelon"),
        "flagged_benefits": _whole("Flagged", help="Benefits whose status contradicts the green benefits RAG"),
        "open_raid_items": _whole("Open items", 75, help="Open RAID items"),
        "oldest_open_item_days": _whole("Oldest (days)", 85, help="Age of the oldest open RAID item, days"),
        "documented_not_mitigated": _whole(
            "Unmitigated", 85, help="Documented, not mitigated: high or critical risks and issues open "
            f"> {t('mitigation_overdue_days')} days without mitigation"),
        "critical_documented_not_mitigated": _whole("Critical", 65, help="… of them critical"),
        "open_decisions": _whole("Decisions", 75, help="Open decisions"),
        "overdue_decisions": _whole("Overdue", help=f"Decisions open for more than {t('decision_overdue_days')} days"),
        "median_decision_latency_days": st.column_config.NumberColumn(
            "Latency (days)", format="%.0f", width=85, help="Median days from raising to deciding a decision"),
        "pending_change_requests": _whole("Pending CRs", 80, help="Change requests not yet decided"),
        **{column: common.money_column(label, width=95) for column, label in MONEY.items()},
        **{column: common.pct_column(label, help=meaning, width=width)
           for column, (label, meaning, width) in PCT.items()},
    }


def show(frame: pd.DataFrame, label: str, file_name: str, order: list[str], currency: str | None = None,
         compact: bool = False, **specific) -> None:
    """`frame` with the `order` columns shown, the whole frame in its CSV. Money in `currency`, or
    in each row's own `currency` without one (compact: £1.23m); `specific` adds or overrides
    column headings."""
    catalogue = _catalogue()
    shown = common.as_text(frame, money=[c for c in order if c in MONEY], pct=[c for c in order if c in PCT],
                           currency=currency, compact=compact)
    common.table(frame, label, file_name, shown=shown, column_order=order,
                 column_config={c: catalogue[c] for c in order if c in catalogue} | specific)
