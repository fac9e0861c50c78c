"""Data quality: what was loaded, what was rejected and why, and which KPIs went quiet (SPEC 5)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards.formatting import plot_series
from dashboards.queries import quality as q
from dashboards.views import common


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
    cols[0].metric("Source files", f"{last['source_file'].nunique():,}",
                   help="Files (and workbook sheets) loaded; a mapped file may feed more than one table")
    cols[1].metric("Rows read (latest load of each file)", f"{read:,}")
    cols[2].metric("Rows loaded", f"{loaded:,}")
    cols[3].metric("Rows quarantined", f"{quarantined:,}", help="Rejected rows, each with file, row and reason")
    cols[4].metric("KPIs late against their frequency", f"{late:,} of {len(freshness):,}")

    st.subheader("Latest load per source file")
    common.table(last, "latest loads", "latest_loads.csv")

    if reasons.empty:
        st.success("No row has been quarantined.")
    else:
        st.subheader("Quarantine by reason")
        # reasons and file names become ticks, legend entries and hover text (plotly HTML): escaped
        shown = reasons.assign(reason=plot_series(reasons["reason"]), source_file=plot_series(reasons["source_file"]))
        fig = px.bar(shown, x="rows", y="reason", color="source_file", orientation="h", height=360)
        fig.update_layout(yaxis_title=None, xaxis_title="rows quarantined", legend_title="file", font={"size": 15})
        st.plotly_chart(fig, width="stretch")
        st.subheader("Rejected rows")
        common.table(q.quarantined_rows(), "rejected rows", "quarantine.csv")

    st.subheader("KPI freshness")
    st.caption("Latest measurement against the KPI's frequency (daily 3 days, weekly 10, monthly 40), as of the run.")
    common.table(freshness, "KPI freshness", "kpi_freshness.csv")

    invalid = q.invalid_benefits()
    if not invalid.empty:
        st.subheader("Benefits that cannot be tracked")
        st.caption("The target is no improvement over the measured baseline (SPEC 4): ask the owner for a corrected target.")
        common.table(invalid, "invalid benefits", "invalid_benefits.csv")

    st.subheader("Loads by run")
    common.table(q.loads_by_run(), "loads by run", "loads_by_run.csv")
