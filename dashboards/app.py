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
- signed in with roles: only the pages the roles allow (access.PAGES_BY_ROLE) are registered. The
  URL of another page is not served: Streamlit says "Page not found" and runs the default page,
  which names the page as not available to the user's roles (recorded as `denied`).
Audit events (dashboards.audit): sign_in once per session, page_view once per page opened (with
its query parameters; not on the reruns its widgets make), sign_out, denied.
The sign-in, no-access and refusal pages are drawn without st.navigation, so that they, and only
they, answer at every URL (a board pack link included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlparse
from uuid import uuid4

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
    ("Benefits", "check-in", "Check-in", check_in.render),
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

def gate(render: Callable[[], None]) -> None:
    """Draw one page instead of the board and stop. No st.navigation: this page answers at every URL
    (no "Page not found"), and no other page is registered."""
    render()
    st.stop()


def literal(text: str) -> str:
    """Text from outside (an email claim, a file's error) shown exactly as written: inline code,
    else escaped Markdown (dashboards.formatting.md)."""
    return f"`{text}`" if text and "`" not in text and "\n" not in text else md(text)


def sign_in_page() -> None:
    st.title(PRODUCT)
    st.markdown("The portfolio board: benefits against plan, delivery health and data quality.")
    st.markdown("Sign in with your organisation account to see the benefits, portfolios and pages you are "
                "granted.")
    if st.button("Sign in", type="primary", key="sign_in"):
        st.login()


def no_access_page(email: str, reason: str | None) -> None:
    st.title("No access")
    who = literal(email) if email else "an account without an email address"
    if reason:
        st.error(f"You are signed in as {who}, but the access file cannot be used, so this dashboard shows "
                 f"nothing: {literal(reason)}")
    else:
        st.error(f"You are signed in as {who}, but the access file grants this account no role, so this "
                 "dashboard shows nothing.")
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
    st.error(f"This dashboard has no sign-in configured and is served on {literal(address)}, where others can "
             "reach it, so it shows no data. Serve it on this machine only (`brw dashboard` does, on "
             f"127.0.0.1), or configure sign-in: {EXAMPLE_FILE}, {README_SECTION}.")


# --- the data pages ---------------------------------------------------------------------------------

def show_page(key: str, render: Callable[[], None]) -> None:
    """A page run: on the audit trail once per view (not on every rerun a widget makes), then the page."""
    params = st.query_params.to_dict()
    if st.session_state.get("_audit_last_view") != (key, params):
        audit.record_page_view(access.current(), key, params)
        st.session_state["_audit_last_view"] = (key, params)
    render()


def requested_page() -> str | None:
    """The page key of the URL the browser asked for (the last path segment: baseUrlPath allowed)."""
    path = urlparse(st.context.url or "").path.rstrip("/")
    return path.rsplit("/", 1)[-1] or None


def not_available(key: str) -> None:
    """A page URL the principal's roles do not allow (Streamlit did not serve it: it is not
    registered): say so, on the audit trail, and draw nothing of the page."""
    principal = access.current()
    title = next(title for _, k, title, _ in PAGES if k == key)
    if st.session_state.get("_audit_denied_page") != key:
        audit.record("denied", principal, page=key, detail="page not allowed for the roles")
        st.session_state["_audit_denied_page"] = key
    st.title(title)
    roles = "role" if len(principal.roles) == 1 or principal.local else "roles"
    st.warning(f"This page is not available to your {roles}: {md(role_text(principal))}. Ask the PMO admin "
               "if you need it.")


def data_pages(principal: access.Principal) -> dict[str, list]:
    """The pages the principal may open, by menu section, behind a hidden default page at the root."""
    pages: dict[str, list] = {}
    for section, key, title, render in PAGES:
        if principal.can(key):
            pages.setdefault(section, []).append(
                st.Page(partial(show_page, key, render), title=title, url_path=key))
    first = next(iter(pages.values()))[0]

    def home() -> None:
        """The root URL opens the first page at its own address (/overview): a default page is served
        only at the root (Streamlit ignores its url_path), so /overview would be "Page not found"
        were the overview itself the default. Query parameters are kept. Streamlit also runs this
        page for a URL that is not registered: a page the roles do not allow is named as such."""
        requested = requested_page()
        if requested in {key for _, key, _, _ in PAGES} and not principal.can(requested):
            not_available(requested)
        else:
            st.switch_page(first, query_params=st.query_params.to_dict())

    return {"": [st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")], **pages}


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
    """The signed-in user's principal; draws the "No access" page (and stops) when there is none."""
    user = st.user.to_dict()
    try:
        principal = access.resolve(user, access_policy(access.access_file_path()))
        reason = None
    except access.AccessFileError as exc:
        principal, reason = None, str(exc)
    if principal is None:
        st.session_state.pop("principal", None)
        email = str(user.get("email") or "")
        if st.session_state.get("_audit_denied") != email:
            audit.record("denied", None, email=email, detail=reason or "no grant in the access file")
            st.session_state["_audit_denied"] = email
        gate(partial(no_access_page, email, reason))
    if st.session_state.get("_audit_signed_in") != principal.email:
        # a sign-in is one ID token (its iat): a new browser tab or a reload opens a new session
        # with the same identity cookie, which is not a new sign-in
        session = st.session_state.setdefault("_audit_session", uuid4().hex)  # without an iat: per session
        if audit.first_sight(("sign_in", principal.email, user.get("iat") or session)):
            issued = user.get("iat")
            audit.record("sign_in", principal, detail={"id_token_issued_at": datetime.fromtimestamp(
                int(issued), UTC).isoformat()} if isinstance(issued, (int, float)) else None)
        st.session_state["_audit_signed_in"] = principal.email
    return principal


def main() -> None:
    auth = auth_section()
    if auth is None:
        st.session_state.pop("principal", None)
        if not served_locally():
            gate(exposed_page)
        principal = access.LOCAL_PRINCIPAL
        st.session_state["principal"] = principal
        address = config.get_option("server.address") or "127.0.0.1"
        st.caption(f":material/lock: Local single-user mode: no sign-in, served on this machine only "
                   f"({md(address)}). To share the board, configure sign-in ({README_SECTION}).")
    else:
        problems = auth_problems(auth)
        if problems:
            st.session_state.pop("principal", None)
            gate(partial(misconfigured_page, problems))
        if not st.user.get("is_logged_in"):
            st.session_state.pop("principal", None)
            gate(sign_in_page)
        principal = signed_in_principal()
        st.session_state["principal"] = principal
        signed_in_sidebar(principal)
    warehouse_sidebar()
    st.navigation(data_pages(principal)).run()


main()
