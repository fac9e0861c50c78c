"""Sidebar filters shared by every page: portfolio, programme, business unit, owner, currency
(default: all currencies in the reporting currency; or one original currency).

Drawn once by app.py before the page runs; widget keys live in st.session_state, so a choice
stays when the user moves between pages.
"""

from __future__ import annotations

import streamlit as st

from dashboards.queries import BENEFIT_BOARD, PROJECT_BOARD, Filters, query, reporting_currency
from dashboards.queries.delivery import currencies as register_currencies


def _options():
    projects = query(f"SELECT DISTINCT portfolio, programme, business_unit FROM {PROJECT_BOARD}")
    owners = query(f"SELECT DISTINCT benefit_owner FROM {BENEFIT_BOARD} ORDER BY 1")
    return projects, owners, register_currencies()


def sidebar_filters() -> Filters:
    projects, owners, currencies = _options()
    with st.sidebar:
        st.header("Filters")
        portfolios = st.multiselect("Portfolio", sorted(projects["portfolio"].dropna().unique()), key="f_portfolio")
        scope = projects[projects["portfolio"].isin(portfolios)] if portfolios else projects
        programmes = st.multiselect("Programme", sorted(scope["programme"].dropna().unique()), key="f_programme")
        units = st.multiselect("Business unit", sorted(scope["business_unit"].dropna().unique()), key="f_unit")
        chosen_owners = st.multiselect("Benefit owner", owners["benefit_owner"].tolist(), key="f_owner")
        reporting = reporting_currency()
        codes = currencies["currency"].tolist()
        currency = st.selectbox(
            "Currency of money figures", [None, *codes], key="f_currency",
            format_func=lambda code: f"All, in {reporting}" if code is None else f"{code} only (original amounts)",
            help=f"All: every project's money converted to {reporting} at the monthly rates of fx_rates.csv "
                 "(an amount without a rate shows as \"no rate\", never as 0). A currency: only the projects "
                 "in it, in their own amounts. Amounts are never added across currencies unconverted.",
        )
    filters = Filters(tuple(portfolios), tuple(programmes), tuple(units), tuple(chosen_owners), currency)
    st.session_state["filters"] = filters
    return filters


def current() -> Filters:
    return st.session_state.get("filters") or Filters()
