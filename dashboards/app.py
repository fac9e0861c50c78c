"""The Streamlit app (`brw dashboard`). Pages are registered with st.navigation."""

from __future__ import annotations

import streamlit as st

from dashboards.views import data_quality

st.set_page_config(page_title="Benefits Realization Warehouse", layout="wide")

pages = [st.Page(data_quality.render, title="Data quality", url_path="data-quality", default=True)]
st.navigation(pages).run()
