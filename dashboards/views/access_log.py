"""Access log (admins): who signed in, which pages they opened, which SQL they ran, what they
checked in and who was refused, newest first (dashboards.audit)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import access, audit
from dashboards.formatting import md
from dashboards.views import common


def render() -> None:
    st.title("Access log")
    if not access.current().can("access-log"):  # only registered for admins; defence in depth
        st.error("The access log is for admins.")
        return
    st.caption(f"Every sign-in, page view, SQL query, check-in and refusal, from {md(str(audit.log_dir()))} "
               "(one JSON line per event, appended, never rewritten). Newest first.")
    left, right = st.columns([2, 1])
    kinds = left.multiselect("Events", list(audit.EVENT_KINDS), format_func=audit.EVENT_LABELS.get,
                             key="log_kinds")
    email = right.text_input("User (email)", key="log_email").strip() or None
    events = audit.read_events(kinds=tuple(kinds), email=email)
    if events.empty:
        st.info("No events recorded yet." if not (kinds or email) else "No events match.")
        return
    summary = (events.assign(day=pd.to_datetime(events["at"]).dt.date)
               .groupby("kind").agg(events=("kind", "size"), users=("email", "nunique")).reset_index())
    cols = st.columns(max(len(summary), 1))
    for col, row in zip(cols, summary.itertuples()):
        common.metric(col, audit.EVENT_LABELS.get(row.kind, row.kind), f"{row.events:,}", f"{row.users:,} users")
    # on screen: who by email (the name is in the CSV), widths that fit 1400 px with the detail last
    shown = events.drop(columns="name").assign(kind=events["kind"].map(lambda k: audit.EVENT_LABELS.get(k, k)))
    common.table(events, "access log", "access_log.csv", shown=shown, column_config={
        "at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY HH:mm:ss", width=145),
        "kind": st.column_config.TextColumn("Event", width=105),
        "email": st.column_config.TextColumn("User", width=180),
        "roles": st.column_config.TextColumn("Roles", width=100),
        "page": st.column_config.TextColumn("Page", width=95),
        "detail": st.column_config.TextColumn("Detail (page parameters, SQL, check-in)", width=280),
    })
