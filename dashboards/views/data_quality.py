"""Data quality: what was loaded, what was rejected and why, and which KPIs went quiet (SPEC 5)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards import queries
from dashboards.formatting import code_label, md, plot_series
from dashboards.queries import quality as q
from dashboards.views import common
from pipelines.formatting import count, plain_value

_FRESHNESS = "freshness_days_"  # the thresholds of KPI freshness, one per frequency
_COMPLETE = "complete_month_last_days_"  # SPEC section 3: the last days a complete month needs, per frequency
_ROWS = {column: st.column_config.NumberColumn(label, format="localized") for column, label in (
    ("rows_read", "Rows read"), ("rows_loaded", "Rows loaded"), ("rows_quarantined", "Rows quarantined"))}


def render() -> None:
    st.title("Data quality")
    if not common.warehouse_ready():
        return
    last = q.last_load_per_file()
    reasons = q.quarantine_by_reason()
    freshness = q.kpi_freshness()
    read, loaded, quarantined = (int(last[c].sum()) for c in ("rows_read", "rows_loaded", "rows_quarantined"))
    late = int(freshness["is_late"].sum())

    cols = st.columns(5)
    cols[0].metric("Source files", count(last["source_file"].nunique()),
                   help="Files (and workbook sheets) loaded; a mapped file may feed more than one table")
    cols[1].metric("Rows read", count(read), help="Rows read by the latest load of each file")
    cols[2].metric("Rows loaded", count(loaded))
    cols[3].metric("Rows quarantined", count(quarantined), help="Rejected rows, each with file, row and reason")
    cols[4].metric("Late KPIs", f"{count(late)} of {count(len(freshness))}",
                   help="KPIs whose latest measurement is older than their frequency allows")

    st.subheader("Latest load per source file")
    common.table(last, "latest loads", "latest_loads.csv", column_config=_ROWS | {
        "source": "Table", "source_file": st.column_config.TextColumn("File", width="large"),
        "last_loaded_at": st.column_config.DatetimeColumn("Loaded at", format="D MMM YYYY HH:mm")})

    if reasons.empty:
        st.success("No row has been quarantined.")
    else:
        st.subheader("Quarantine by reason")
        # reasons and file names become ticks, legend entries and hover text (plotly HTML): escaped
        shown = reasons.assign(reason=plot_series(reasons["reason"].map(code_label)),
                               source_file=plot_series(reasons["source_file"]))
        fig = px.bar(shown, x="rows", y="reason", color="source_file", orientation="h", height=360)
        fig.update_layout(yaxis_title=None, xaxis_title="rows quarantined", legend_title="file", font={"size": 15})
        fig.update_xaxes(tickformat=",d", **({"dtick": 1} if reasons["rows"].max() <= 10 else {}))  # whole rows
        st.plotly_chart(fig, width="stretch")
        st.subheader("Rejected rows")
        rejected = q.quarantined_rows()
        common.table(rejected, "rejected rows", "quarantine.csv",
                     shown=rejected.assign(reason=rejected["reason"].map(code_label)), column_order=["source_file", "row_number", "reason", "column_name", "detail"], column_config={
                         "source_file": st.column_config.TextColumn("File", width=220),
                         "row_number": st.column_config.NumberColumn("Row", format="%d", width=60),
                         "reason": st.column_config.TextColumn("Reason", width=140),
                         "column_name": st.column_config.TextColumn("Column", width=110),
                         "detail": st.column_config.TextColumn("Detail", width="large")})  # record: in the CSV

    st.subheader("KPI freshness")
    allowed = [(name.removeprefix(_FRESHNESS), value) for name, value in queries.vocabulary().thresholds.items()
               if name.startswith(_FRESHNESS)]
    st.caption("A KPI is late when its latest measurement is older than its frequency allows ("
               + md(", ".join(f"{frequency} {plain_value(float(days))} days" for frequency, days in allowed))
               + "), as of the run.")
    common.table(freshness, "KPI freshness", "kpi_freshness.csv",
                 shown=freshness.assign(frequency=freshness["frequency"].map(code_label)), column_order=[
        "kpi_id", "kpi_name", "frequency", "is_late", "last_measured_on", "days_since_last_measurement",
        "allowed_days", "data_owner", "source_system"], column_config={
        "kpi_id": st.column_config.TextColumn("KPI", width=80),
        "kpi_name": st.column_config.TextColumn("Name", width=230),
        "frequency": st.column_config.TextColumn("Frequency", width=80),
        "is_late": st.column_config.CheckboxColumn("Late", width=50),
        "last_measured_on": st.column_config.DateColumn("Last measured", format="D MMM YYYY", width=100),
        "days_since_last_measurement": st.column_config.NumberColumn("Days since", format="%d", width=75),
        "allowed_days": st.column_config.NumberColumn("Allowed", format="%d", width=65,
                                                      help="Days its frequency allows"),
        "data_owner": st.column_config.TextColumn("Data owner", width=130), "source_system": "Source system"})

    _incomplete_evaluation_months()

    invalid = q.invalid_benefits()
    if not invalid.empty:
        st.subheader("Benefits that cannot be tracked")
        st.caption("The target is no improvement over the measured baseline (SPEC 4): ask the owner for a corrected target.")
        common.table(invalid, "invalid benefits", "invalid_benefits.csv")

    st.subheader("Loads by run")
    common.table(q.loads_by_run(), "loads by run", "loads_by_run.csv", column_config=_ROWS | {
        "run_id": st.column_config.TextColumn("Run", width="large"),
        "loaded_at": st.column_config.DatetimeColumn("Loaded at", format="D MMM YYYY HH:mm"),
        "files": st.column_config.NumberColumn("Files", format="localized")})

    _double_counting_section()  # issue 14 part 2 (helper D): benefits claiming one KPI more than once

def _incomplete_evaluation_months() -> None:
    """KPIs whose evaluation month is incomplete (SPEC section 3: a month counts only when complete
    for its frequency), from marts.dim_kpi: the month reads as no data for their benefits, whose
    trailing realization then rests on the months before."""
    incomplete = q.incomplete_evaluation_months()
    st.subheader("KPIs with an incomplete evaluation month")
    windows = [(name.removeprefix(_COMPLETE), value) for name, value in queries.vocabulary().thresholds.items()
               if name.startswith(_COMPLETE)]
    rule = ", ".join(f"{frequency} any day" if float(days) >= 31 else  # every day of any month
                     f"{frequency} in its last {plain_value(float(days))} days" for frequency, days in windows)
    st.caption("A month counts for a KPI only when the feed reached its end (" + md(rule) + "). "
               "An incomplete month reads as no data, so a half-reported month never looks like a collapse; "
               "the benefits on these KPIs are judged on the months before.")
    if incomplete.empty:
        st.success("Every KPI measured in the evaluation month is complete.")
        return
    common.table(incomplete, "incomplete evaluation months", "incomplete_evaluation_months.csv",
                 shown=incomplete.assign(frequency=incomplete["frequency"].map(code_label)), column_order=[
        "kpi_id", "kpi_name", "frequency", "evaluation_month_last_measured_on", "evaluation_month_measurements",
        "benefits", "data_owner", "source_system"], column_config={
        "kpi_id": st.column_config.TextColumn("KPI", width=80),
        "kpi_name": st.column_config.TextColumn("Name", width=230),
        "frequency": st.column_config.TextColumn("Frequency", width=80),
        "evaluation_month_last_measured_on": st.column_config.DateColumn("Data up to", format="D MMM YYYY", width=100),
        "evaluation_month_measurements": st.column_config.NumberColumn("Measurements", format="%d", width=100),
        "benefits": st.column_config.NumberColumn("Benefits", format="%d", width=70),
        "data_owner": st.column_config.TextColumn("Data owner", width=130), "source_system": "Source system"})


def _double_counting_section() -> None:
    over_claimed = q.over_claimed_kpis()
    st.subheader("Double counting")
    if over_claimed.empty:
        st.success("No KPI's improvement is claimed more than once: attribution_pct adds up to at most 100 %.")
        return
    st.caption("Benefits claiming the same KPI's improvement with attribution_pct adding up to more than 100 % in "
               "the same months. Portfolio totals count each such improvement once (each claim scaled by 1 / the "
               "sum); fix the shares in the benefits register.")
    shown = common.as_text(over_claimed, money=("over_claimed_value",), pct=("max_claimed_attribution_pct",))
    common.table(over_claimed, "double counting", "double_counting.csv", shown=shown, column_order=[
        "kpi_id", "kpi_name", "claiming_benefit_ids", "benefit_owners", "max_claimed_attribution_pct",
        "first_overlap_month", "last_overlap_month", "over_claimed_value"], column_config={
        "kpi_id": st.column_config.TextColumn("KPI", width=80),
        "kpi_name": st.column_config.TextColumn("Name", width=200),
        "claiming_benefit_ids": st.column_config.TextColumn("Claimed by", width=150),
        "benefit_owners": st.column_config.TextColumn("Owners", width=170),
        "max_claimed_attribution_pct": common.pct_column("Claimed", help="Largest monthly sum of attribution_pct"),
        "first_overlap_month": st.column_config.DateColumn("From", format="MMM YYYY", width=80),
        "last_overlap_month": st.column_config.DateColumn("To", format="MMM YYYY", width=80),
        "over_claimed_value": common.money_column("Left out", width=90,
                                                  help="Realized value to date the cap leaves out of the totals"),
    })
