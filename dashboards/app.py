"""The portfolio board (`brw dashboard`): Streamlit pages registered with st.navigation.

Reads the reporting layer (reporting.rpt_*), the public marts and the audit tables, from the read
copy the pipeline publishes.

Who sees what: with sign-in configured (an [auth] section in the secrets file, OIDC through
st.login) a user signs in, the access file (dashboards.access) gives their roles, and only the
pages of those roles are registered; the rows of every page are limited in the query layer
(dashboards.queries, scoped catalogs). A user the access file does not know sees a no-access
page and no data. Without sign-in the board runs in local single-user mode, served on this
machine only, and says so on every page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import access, audit, filters, queries
from dashboards.views import (
    access_log,
    after_closure,
    benefit_detail,
    check_in,
    data_quality,
    delivery_health,
    overview,
    sql_console,
)
from pipelines.board.links import BENEFIT_PAGE, PROJECT_PAGE

st.set_page_config(page_title="Benefits Realization Warehouse", page_icon="📈", layout="wide")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_MODE_NOTE = ("Local single-user mode: no sign-in is configured, so this board is served on this machine "
                   "only (127.0.0.1). To serve it to others, configure sign-in (README, \"Sign-in and roles\").")


def auth_configured() -> bool:
    """Sign-in is on when the secrets file Streamlit reads has an [auth] section."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, OSError):
        return False
    except Exception:  # a secrets file that does not parse: Streamlit reports it; no auth here
        return False


def _sign_in_page() -> None:
    st.title("Benefits Realization Warehouse")
    st.write("The portfolio board: benefits against their baselines and plans, long after the projects close.")
    st.button("Sign in", type="primary", on_click=st.login, key="sign_in")
    st.caption("You sign in with your organisation's account; what you see depends on the role the PMO gave you.")


def _no_access_page(email: str, reason: str) -> None:
    st.title("No access")
    st.error(f"You are signed in as **{email or 'an account without an email address'}**, but {reason}")
    st.write("Ask the PMO's dashboard admin to grant you a role in the access file (access.yml).")
    st.button("Sign out", on_click=st.logout, key="sign_out_no_access")


def _principal() -> access.Principal | None:
    """The session's principal, or None after drawing the sign-in or no-access page."""
    if not auth_configured():
        address = str(st.get_option("server.address") or "")
        if address and address not in LOOPBACK:  # defence in depth: the CLI refuses this already
            st.title("Sign-in required")
            st.error(f"This board is served on {address} without sign-in. Configure sign-in (README, "
                     "\"Sign-in and roles\") or serve it on 127.0.0.1.")
            return None
        return access.LOCAL_PRINCIPAL
    if not st.user.is_logged_in:
        st.session_state.pop("principal", None)
        _sign_in_page()
        return None
    user = st.user.to_dict()
    email = str(user.get("email") or "")
    try:
        principal = access.resolve(user, access.load_policy())
    except access.AccessFileError as exc:
        _deny(email, f"the access file cannot be used: {exc}")
        return None
    if principal is None:
        _deny(email, "the access file grants this account no role.")
        return None
    if st.session_state.get("signed_in_as") != principal.email:
        audit.record("sign_in", principal, detail={"roles": sorted(principal.roles)})
        st.session_state["signed_in_as"] = principal.email
    return principal


def _deny(email: str, reason: str) -> None:
    if st.session_state.get("denied_recorded") != email:
        audit.record("denied", None, email=email, detail=reason)
        st.session_state["denied_recorded"] = email
    _no_access_page(email, reason)


def _sign_out(principal: access.Principal) -> None:
    audit.record("sign_out", principal)
    st.session_state.pop("signed_in_as", None)
    st.logout()


principal = _principal()
if principal is None:
    st.stop()
st.session_state["principal"] = principal

OVERVIEW_KEY = "overview"


def _page(render, title: str, key: str, **kwargs) -> st.Page:
    """A page whose every run is on the audit trail (who, which page, with which parameters)."""

    def run() -> None:
        params = st.query_params.to_dict()
        if st.session_state.get("last_page_view") != (key, params):  # a view, not every rerun of it
            audit.record_page_view(principal, key, params)
            st.session_state["last_page_view"] = (key, params)
        if principal.local:
            st.caption(f"🔓 {LOCAL_MODE_NOTE}")
        render()

    run.__name__ = f"page_{key.replace('-', '_')}"
    return st.Page(run, title=title, url_path=key, **kwargs)


OVERVIEW = _page(overview.render, "Portfolio overview", OVERVIEW_KEY)


def _home() -> None:
    """The root URL opens the overview at its own address, /overview: a default page is served only at
    the root (Streamlit ignores its url_path), so /overview would be "Page not found" were the
    overview itself the default. Query parameters are kept."""
    st.switch_page(OVERVIEW, query_params=st.query_params.to_dict())


SECTIONS = {
    "Benefits": [
        OVERVIEW,
        _page(benefit_detail.render, "Benefit detail", BENEFIT_PAGE),
        _page(after_closure.render, "After closure", "after-closure"),
        _page(check_in.render, "Check-in", "check-in"),
    ],
    "Delivery": [_page(delivery_health.render, "Delivery health", PROJECT_PAGE)],
    "Warehouse": [
        _page(data_quality.render, "Data quality", "data-quality"),
        _page(sql_console.render, "SQL console", "sql"),
        _page(access_log.render, "Access log", "access-log"),
    ],
}
pages = {"": [st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")]}
for section, section_pages in SECTIONS.items():
    allowed = [page for page in section_pages if principal.can(page.url_path)]
    if allowed:
        pages[section] = allowed

if not principal.local:
    with st.sidebar:
        st.caption(f"Signed in as **{principal.name}** ({principal.role_labels})")
        st.button("Sign out", on_click=_sign_out, args=(principal,), key="sign_out")

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
