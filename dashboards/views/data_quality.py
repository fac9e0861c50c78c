"""Data quality: what was loaded, what was rejected and why (SPEC section 5)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards import queries


@st.cache_data(show_spinner=False)
def _load(version: float):  # `version` keys the cache on the warehouse's last build
    return (
        queries.last_load_per_file(),
        queries.loads_by_run(),
        queries.quarantine_by_reason(),
        queries.quarantined_rows(),
    )


def render() -> None:
    st.title("Data quality")
    try:
        if not queries.has_audit():
            st.info("The warehouse has no loads yet: run the pipeline first (`brw run` or `make run`).")
            return
        last, runs, reasons, rejected = _load(queries.warehouse_version())
    except queries.WarehouseUnavailable as exc:
        st.info(str(exc))
        return

    read, loaded, quarantined = (int(last[c].sum()) for c in ("rows_read", "rows_loaded", "rows_quarantined"))
    cols = st.columns(4)
    cols[0].metric("Source files", f"{len(last):,}")
    cols[1].metric("Rows read (latest load of each file)", f"{read:,}")
    cols[2].metric("Rows loaded", f"{loaded:,}")
    cols[3].metric("Rows quarantined", f"{quarantined:,}", help="Rejected rows, each with file, row and reason")

    st.subheader("Latest load per source file")
    st.dataframe(last, hide_index=True, width="stretch")

    if not reasons.empty:
        st.subheader("Quarantine by reason")
        fig = px.bar(reasons, x="rows", y="reason", color="source_file", orientation="h", height=360)
        fig.update_layout(yaxis_title=None, xaxis_title="rows quarantined", legend_title="file")
        st.plotly_chart(fig, width="stretch")
        st.subheader("Rejected rows")
        st.dataframe(rejected, hide_index=True, width="stretch")
        st.download_button("Download rejected rows (CSV)", rejected.to_csv(index=False), "quarantine.csv", "text/csv")

    st.subheader("Loads by run")
    st.dataframe(runs, hide_index=True, width="stretch")
