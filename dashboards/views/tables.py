"""Tables of reporting rows (benefit board, project board, monthly health): one short heading,
width and format per column, its long meaning in the help and thresholds quoted from the
vocabulary. A table shows the columns its reader needs within the page's width, amounts and
percentages as pipelines.formatting writes them; its CSV download keeps every column as numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.formatting import code_label
from dashboards.views import common

MONEY = {
    "annual_planned_value": "Annual plan", "cumulative_realized_value": "Realized", "realized_to_date": "Realized",
    "margin_leakage": "Leakage", "planned_margin": "Planned margin", "forecast_margin": "Forecast margin",
    "unbilled_approved_change_cost": "Unbilled changes", "approved_change_cost": "Approved changes",
    "contract_value": "Contract value", "budget_at_completion": "Budget (BAC)",
}
# register codes shown as words (red → Red, no report → No report); statuses come as status_label
CODES = ("reported_rag", "derived_rag", "stage", "project_stage", "reported_benefits_rag", "frequency")
PCT = {  # heading, meaning, width
    "trailing_realization_pct": ("Realization", "Trailing 3-month realization", 82),
    "peak_trailing_realization_pct": ("Peak", "Highest 3-month realization so far", 65),
    "planned_pct": ("Planned", "Planned realization by now", 68),
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
        "status_label": _text("Status", 90), "benefit_id": _text("Benefit", 78), "benefit_name": _text("Name", 165),
        "benefit_owner": _text("Owner", 115), "kpi_name": _text("KPI to measure", 150),
        "last_measured_on": _day("Last measured"), "review_until": _day("Review until"),
        "months_without_measurement": _whole("No data", 65, help="Months from the last measurement to the "
                                             "evaluation month"),
        "months_since_close": _whole("Closed", 65, help="Months since the project closed; empty while it is open"),
        # projects
        "project_id": _text("Project", 78), "project_name": _text("Name", 150), "portfolio": _text("Portfolio"),
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
        **{column: common.money_column(label, width=88) for column, label in MONEY.items()},
        **{column: common.pct_column(label, help=meaning, width=width)
           for column, (label, meaning, width) in PCT.items()},
    }


def _with_width(config, fallback):
    """A column's own configuration, taking the catalogue's width when it sets none (an override that
    only renames a column must not let it grow to its content and push key columns off-screen)."""
    if isinstance(config, dict) and fallback and not config.get("width") and fallback.get("width"):
        return {**config, "width": fallback["width"]}
    return config


def show(frame: pd.DataFrame, label: str, file_name: str, order: list[str], currency: str | None = None,
         compact: bool = False, **specific) -> None:
    """`frame` with the `order` columns shown, the whole frame in its CSV. Money in `currency`, or
    in each row's own `currency` without one (compact: £1.23m); register codes (RAG, stage) as
    words; `specific` adds or overrides column headings (keeping the catalogue's width unless it
    sets one). A `row_height` of more than 64 px lets long text wrap (reasons)."""
    catalogue = _catalogue()
    row_height = specific.pop("row_height", None)
    shown = common.as_text(frame, money=[c for c in order if c in MONEY], pct=[c for c in order if c in PCT],
                           currency=currency, compact=compact)
    codes = [c for c in CODES if c in shown.columns]
    if codes:
        shown = shown.assign(**{c: shown[c].map(code_label) for c in codes})
    config = {c: catalogue[c] for c in order if c in catalogue}
    config |= {c: _with_width(value, catalogue.get(c)) for c, value in specific.items()}
    common.table(frame, label, file_name, shown=shown, column_order=order, column_config=config,
                 **({"row_height": row_height} if row_height else {}))
