"""The portfolio board (`brw dashboard`): Streamlit pages registered with st.navigation, behind a
sign-in gate.

Reads the reporting layer (reporting.rpt_*), the public marts and the audit tables, from the read
copy the pipeline publishes, through dashboards.queries, which filters every row by the session's
principal (st.session_state["principal"], set here before any page runs).

The gate, on every run:
- no `[auth]` in the secrets: local single-user mode (access.LOCAL_PRINCIPAL), only when served on
  this machine; a banner says so on every page. Served on another address it shows no data.
- `[auth]`, not signed in: the sign-in page (st.login, Streamlit's OIDC through Authlib), at every
  URL; nothing else.
- signed in, but access.yml grants the account nothing (or the file is missing or invalid): the
  "No access" page with a Sign out button; nothing else.
- signed in with roles: the pages the roles allow (access.PAGES_BY_ROLE) in the menu; a page URL
  the roles do not allow shows only a notice (recorded as `denied`), never the page.
Audit events (dashboards.audit): sign_in once per session, page_view on every page run,
sign_out, denied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from streamlit import config

from dashboards import access, audit, filters, queries
from dashboards.formatting import md
from dashboards.signin import EXAMPLE_FILE, README_SECTION, access_policy, auth_problems, is_loopback
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

PRODUCT = "Benefits Realization Warehouse"
st.set_page_config(page_title=PRODUCT, page_icon="📈", layout="wide")

# (menu section, page key = url path, title, render), in menu order. The keys are access.PAGE_KEYS.
PAGES: list[tuple[str, str, str, Callable[[], None]]] = [
    ("Benefits", "overview", "Portfolio overview", overview.render),
    ("Benefits", BENEFIT_PAGE, "Benefit detail", benefit_detail.render),
    ("Benefits", "after-closure", "After closure", after_closure.render),
    ("Benefits", "check-in", "Owner check-in", check_in.render),
    ("Delivery", PROJECT_PAGE, "Delivery health", delivery_health.render),
    ("Warehouse", "data-quality", "Data quality", data_quality.render),
    ("Warehouse", "sql", "SQL console", sql_console.render),
    ("Warehouse", "access-log", "Access log", access_log.render),
]


def auth_section() -> Mapping[str, Any] | None:
    """The [auth] section of the secrets Streamlit serves with (`brw dashboard --secrets`), or None."""
    try:
        return st.secrets["auth"] if "auth" in st.secrets else None
    except FileNotFoundError:  # no secrets file at all (StreamlitSecretNotFoundError is one)
        return None


def served_locally() -> bool:
    """Whether the server listens on this machine only. An unset address means every interface
    (a bare `streamlit run`); AppTest serves nothing."""
    address = config.get_option("server.address")  # through the module: AppTest patches it there
    if address:
        return is_loopback(address)
    return bool(config.get_option("global.appTest"))


def role_text(principal: access.Principal) -> str:
    """'Benefit owner (Oliver Hamilton), Board': the roles and the rows they are scoped to."""
    if principal.local:
        return "local single-user mode"
    parts = []
    for role in access.ROLES:
        if role in principal.roles:
            label = role.replace("_", " ").capitalize()
            scope = {"portfolio_lead": principal.portfolios, "benefit_owner": principal.owner_names}.get(role)
            parts.append(f"{label} ({', '.join(scope)})" if scope else label)
    return ", ".join(parts)


# --- pages shown instead of the data: at every URL, no sidebar, no data ---------------------------

def gate(render: Callable[[], None], title: str) -> None:
    """Serve one page at the root and at every page's URL (a link from the board pack lands on it
    too, without Streamlit's "Page not found"), with no menu, and stop."""
    pages = [st.Page(render, title=title, url_path="home", default=True)]
    pages += [st.Page(partial(render), title=title, url_path=key) for _, key, _, _ in PAGES]
    st.navigation(pages, position="hidden").run()
    st.stop()


def sign_in_page() -> None:
    st.title(PRODUCT)
    st.markdown("The portfolio board: benefits against plan, delivery health and data quality.")
    st.markdown("Sign in with your organisation account to see the benefits, portfolios and pages you are "
                "granted.")
    if st.button("Sign in", type="primary", key="sign_in"):
        st.login()


def no_access_page(user: Mapping[str, Any], reason: str | None) -> None:
    st.title("No access")
    who = str(user.get("email") or user.get("name") or user.get("sub") or "this account")
    st.markdown(f"You are signed in as **{md(who)}**, but this dashboard grants that account no role, so it "
                "shows nothing.")
    if reason:
        st.error(f"The access file cannot be used: {md(reason)}")
    st.markdown("Ask the PMO admin, who keeps the dashboard's access file (access.yml), to grant you a role; "
                "then sign in again. If you meant to use another account, sign out first.")
    if st.button("Sign out", key="sign_out"):
        st.logout()


def misconfigured_page(problems: list[str]) -> None:
    st.title(PRODUCT)
    st.error("Sign-in is configured, but its settings cannot be used, so this dashboard shows nothing. "
             "The server's administrator can fix its secrets file ([auth]):")
    for problem in problems:
        st.markdown(f"- {md(problem)}")
    st.markdown(f"See {EXAMPLE_FILE} and {README_SECTION}.")


def exposed_page() -> None:
    st.title(PRODUCT)
    address = config.get_option("server.address") or "every network interface"
    st.error(f"This dashboard has no sign-in configured and is served on {md(address)}, where others can "
             "reach it, so it shows no data. Serve it on this machine only (`brw dashboard` does, on "
             f"127.0.0.1), or configure sign-in: {EXAMPLE_FILE}, {README_SECTION}.")


# --- the data pages ---------------------------------------------------------------------------------

def show_page(key: str, render: Callable[[], None]) -> None:
    audit.record_page_view(access.current(), key, st.query_params.to_dict())
    render()


def not_available(key: str, title: str) -> None:
    """A page URL the principal's roles do not allow: a notice, recorded, never the page."""
    principal = access.current()
    audit.record("denied", principal, page=key, detail="page not allowed for the roles")
    st.title(title)
    st.warning(f"This page is not available to you ({md(role_text(principal))}). Ask the PMO admin if you "
               "need it.")


def data_pages(principal: access.Principal) -> dict[str, list]:
    allowed = [(section, key, title, render) for section, key, title, render in PAGES if principal.can(key)]
    first = next(st.Page(partial(show_page, key, render), title=title, url_path=key)
                 for _, key, title, render in allowed)

    def home() -> None:
        """The root URL opens the first page at its own address (/overview): a default page is served
        only at the root (Streamlit ignores its url_path), so /overview would be "Page not found"
        were the overview itself the default. Query parameters are kept."""
        st.switch_page(first, query_params=st.query_params.to_dict())

    pages: dict[str, list] = {"": [st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")]}
    for section, key, title, render in PAGES:
        if principal.can(key):
            page = first if key == first.url_path else st.Page(partial(show_page, key, render), title=title,
                                                                url_path=key)
        else:
            page = st.Page(partial(not_available, key, title), title=title, url_path=key, visibility="hidden")
        pages.setdefault(section, []).append(page)
    return pages


def signed_in_sidebar(principal: access.Principal) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{md(principal.name)}**" + (f"  \n{md(principal.email)}"
                                                               if principal.email != principal.name else ""))
        st.caption(md(role_text(principal)))
        if st.button("Sign out", key="sign_out"):
            audit.record("sign_out", principal)
            st.session_state.pop("principal", None)
            st.logout()
            st.stop()


def warehouse_sidebar() -> None:
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


def signed_in_principal() -> access.Principal:
    """The signed-in user's principal; shows the "No access" page (and stops) when there is none."""
    user = st.user.to_dict()
    try:
        principal = access.resolve(user, access_policy(access.access_file_path()))
        reason = None
    except access.AccessFileError as exc:
        principal, reason = None, str(exc)
    if principal is None:
        st.session_state.pop("principal", None)
        email = str(user.get("email") or user.get("sub") or "")
        if st.session_state.get("_audit_denied") != email:
            nobody = access.Principal(email=email, name=str(user.get("name") or email), roles=frozenset())
            audit.record("denied", nobody, detail=reason or "no grant in the access file")
            st.session_state["_audit_denied"] = email
        gate(partial(no_access_page, user, reason), "No access")
    if st.session_state.get("_audit_signed_in") != principal.email:
        audit.record("sign_in", principal)
        st.session_state["_audit_signed_in"] = principal.email
    return principal


def main() -> None:
    auth = auth_section()
    if auth is None:
        st.session_state.pop("principal", None)
        if not served_locally():
            gate(exposed_page, PRODUCT)
        principal = access.LOCAL_PRINCIPAL
        st.session_state["principal"] = principal
        address = config.get_option("server.address") or "127.0.0.1"
        st.caption(f":material/lock: Local single-user mode: no sign-in, served on this machine only "
                   f"({md(address)}). To share the board, configure sign-in ({README_SECTION}).")
    else:
        problems = auth_problems(auth)
        if problems:
            st.session_state.pop("principal", None)
            gate(partial(misconfigured_page, problems), PRODUCT)
        if not st.user.get("is_logged_in"):
            st.session_state.pop("principal", None)
            gate(sign_in_page, "Sign in")
        principal = signed_in_principal()
        st.session_state["principal"] = principal
        signed_in_sidebar(principal)
    warehouse_sidebar()
    st.navigation(data_pages(principal)).run()


main()
