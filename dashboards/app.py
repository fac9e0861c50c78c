"""The portfolio board (`brw dashboard`): Streamlit pages registered with st.navigation.

Reads the reporting layer (reporting.rpt_*), the public marts and the audit tables, from the read
copy the pipeline publishes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import filters, queries
from dashboards.views import after_closure, benefit_detail, data_quality, delivery_health, overview, sql_console
from pipelines.board.links import BENEFIT_PAGE, PROJECT_PAGE

st.set_page_config(page_title="Benefits Realization Warehouse", page_icon="📈", layout="wide")

OVERVIEW = st.Page(overview.render, title="Portfolio overview", url_path="overview")


def _home() -> None:
    """The root URL opens the overview at its own address, /overview: a default page is served only at
    the root (Streamlit ignores its url_path), so /overview would be "Page not found" were the
    overview itself the default. Query parameters are kept."""
    st.switch_page(OVERVIEW, query_params=st.query_params.to_dict())


pages = {
    "": [st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")],
    "Benefits": [
        OVERVIEW,
        st.Page(benefit_detail.render, title="Benefit detail", url_path=BENEFIT_PAGE),
        st.Page(after_closure.render, title="After closure", url_path="after-closure"),
    ],
    "Delivery": [st.Page(delivery_health.render, title="Delivery health", url_path=PROJECT_PAGE)],
    "Warehouse": [
        st.Page(data_quality.render, title="Data quality", url_path="data-quality"),
        st.Page(sql_console.render, title="SQL console", url_path="sql"),
    ],
}

try:
    if queries.source_path().exists() and queries.has_relation("reporting", "rpt_benefit_board"):
        filters.sidebar_filters()
        as_of = queries.query(
            f"SELECT max(as_of_date) AS d, max(evaluation_month) AS e FROM {queries.BENEFIT_BOARD}"
        )
        if not as_of.empty and pd.notna(as_of["d"].iloc[0]):  # no benefits: max() is NaT
            st.sidebar.caption(
                f"As of {as_of['d'].iloc[0]:%d %b %Y} · evaluation month {as_of['e'].iloc[0]:%B %Y}"
            )
except queries.WarehouseUnavailable:
    pass

st.navigation(pages).run()
