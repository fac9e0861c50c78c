"""Check-in (benefit owners): the monthly commentary and confidence on each of their benefits,
and a measurement of a KPI that is measured by hand.

Nothing here writes the warehouse. Each check-in is a new file in the source directory's landing
folders (pipelines.checkins: benefit_checkins/ and kpi_measurements/), append-only, with when and
by whom; the next pipeline run validates it like every source row (quarantine included) and the
board sees it after that run. The page checks on the server that the benefit is the owner's (the
owner's scoped catalog holds only their benefits) and that the KPI is measured by hand
(marts.dim_kpi.is_manually_measured) before it writes anything; every write is on the audit trail.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from dashboards import access, audit
from dashboards.formatting import md
from dashboards.queries import checkins as q
from dashboards.queries.benefits import benefit_checkins
from dashboards.views import common
from pipelines.formatting import MISSING
from pipelines.load.contract import OWNER_CONFIDENCE

# the owner's words (the contract's benefit_checkins.confidence values), as a reader says them
CONFIDENCE = {word: word.replace("_", " ").capitalize() for word in OWNER_CONFIDENCE}
PENDING_NOTE = ("Written to the landing folder; it shows on the board after the next pipeline run "
                "validates and loads it.")


def _source_dir():
    from pipelines.settings import Settings

    return Settings.resolve().source_dir


def _month_options(evaluation_month) -> list[date]:
    """The evaluation month and the two before it: a check-in is about a month the board reads."""
    first = pd.Timestamp(evaluation_month).to_period("M")
    return [(first - i).to_timestamp().date() for i in range(3)]


def _owned(principal: access.Principal, benefit_id: str) -> pd.Series | None:
    """The benefit's row if the principal may check in for it, read again on the server when
    the form is sent (the scoped catalog holds only the rows they may see; of those, their own)."""
    mine = q.my_benefits(principal.owner_names)
    row = mine[mine["benefit_id"] == benefit_id]
    return None if row.empty else row.iloc[0]


def _pending() -> list[dict]:
    return st.session_state.setdefault("checkins_written", [])


def render() -> None:
    st.title("Check-in")
    principal = access.current()
    if not principal.can_check_in:
        st.info("Check-ins are for benefit owners: the access file grants you no benefits of your own.")
        return
    if not common.warehouse_ready():
        return
    mine = q.my_benefits(principal.owner_names)
    if mine.empty:
        st.info(f"No benefit in the warehouse has {md(' or '.join(principal.owner_names))} as its owner. "
                "Ask the PMO to check the owner's name in the benefits register and in the access file.")
        return
    st.caption(
        "Tell the board how you judge your benefits this month, and record a measurement of a KPI you "
        "measure by hand. Each check-in is written as a new file to the source folder's landing folders "
        "with your name and the time; the next pipeline run validates it like any source row, and the board "
        "sees it after that run beside the measured status. Nothing here changes the warehouse directly."
    )
    labels = {r.benefit_id: f"{r.benefit_id} · {r.benefit_name} ({r.status_label})" for r in mine.itertuples()}
    common.pick_from_url("benefit_id", "checkin_benefit", list(labels))
    benefit_id = st.selectbox("Benefit", list(labels), format_func=labels.get, key="checkin_benefit")
    common.keep_in_url("benefit_id", "checkin_benefit", benefit_id)
    b = mine[mine["benefit_id"] == benefit_id].iloc[0]

    left, right = st.columns(2, gap="large")
    with left:
        _commentary_form(principal, b)
    with right:
        _measurement_form(principal, b)

    if _pending():
        st.subheader("Written this session")
        st.caption(PENDING_NOTE)
        st.dataframe(pd.DataFrame(_pending()), hide_index=True, width="stretch")
    loaded = benefit_checkins(benefit_id)
    st.subheader("Check-ins on the board")
    if loaded.empty:
        st.caption("None loaded yet for this benefit.")
    else:
        shown = loaded[["period_month", "confidence_label", "measured_status_label", "disagreement_note",
                        "commentary", "recorded_at"]]
        common.table(loaded, "check-ins", f"checkins_{benefit_id}.csv", shown=shown, column_config={
            "period_month": st.column_config.DateColumn("Month", format="MMM YYYY", width=75),
            "confidence_label": st.column_config.TextColumn("You said", width=75),
            "measured_status_label": st.column_config.TextColumn("Measured", width=85),
            "disagreement_note": st.column_config.TextColumn("Disagreement", width=250),
            "commentary": st.column_config.TextColumn("Commentary", width=280),
            "recorded_at": st.column_config.DatetimeColumn("Sent", format="D MMM YYYY HH:mm", width=125),
        })


def _commentary_form(principal: access.Principal, b: pd.Series) -> None:
    st.subheader("Monthly commentary")
    months = _month_options(b["evaluation_month"])
    with st.form("checkin_commentary", clear_on_submit=True):
        month = st.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="checkin_month")
        confidence = st.radio("Your confidence", list(CONFIDENCE), format_func=CONFIDENCE.get, horizontal=True,
                              key="checkin_confidence")
        commentary = st.text_area("Commentary", key="checkin_commentary_text", max_chars=2000,
                                  placeholder="What is driving the numbers, what you are doing about it")
        sent = st.form_submit_button("Send check-in", type="primary")
    said = (f" Your check-in on the board for it: **{b['owner_confidence_label']}**."
            if pd.notna(b["owner_confidence_label"]) else "")
    st.caption(f"Measured status in {pd.Timestamp(b['evaluation_month']):%B %Y}: **{b['status_label']}**.{said}")
    if not sent:
        return
    if _owned(principal, str(b["benefit_id"])) is None:  # server-side, whatever the widgets said
        audit.record("denied", principal, page="check-in", detail={"benefit_id": b["benefit_id"]})
        st.error("This benefit is not yours to check in for.")
        return
    from pipelines import checkins as writer  # the landing-folder writer (owner check-ins)

    try:
        path = writer.write_checkin(
            _source_dir(), benefit_id=str(b["benefit_id"]), period_month=month, confidence=confidence,
            commentary=commentary.strip() or None, recorded_by=principal.email or principal.name,
        )
    except writer.CheckInError as exc:
        st.error(str(exc))
        return
    audit.record("check_in", principal, page="check-in", detail={
        "kind": "commentary", "benefit_id": b["benefit_id"], "period_month": month.isoformat(),
        "confidence": confidence, "file": path.name})
    _pending().append({"written": path.name, "benefit": b["benefit_id"], "what": f"{CONFIDENCE[confidence]}, "
                       f"{month:%B %Y}", "commentary": commentary.strip() or MISSING})
    st.success(f"Check-in for {month:%B %Y} written ({path.name}). {PENDING_NOTE}")


def _measurement_form(principal: access.Principal, b: pd.Series) -> None:
    st.subheader("Record a measurement")
    kpi = f"{b['kpi_id']} · {b['kpi_name']}"
    if not bool(b["is_manually_measured"]):
        st.info(f"{md(kpi)} arrives from {md(b['source_system'])}: only a KPI measured by hand "
                "(source system \"Manual …\") takes a measurement here.")
        return
    last = MISSING if pd.isna(b["last_measured_on"]) else f"{pd.Timestamp(b['last_measured_on']):%d %b %Y}"
    st.caption(f"{md(kpi)}, in {md(b['unit'])}, {b['frequency']}; last measured {last}.")
    with st.form("checkin_measurement", clear_on_submit=True):
        measured_on = st.date_input("Measured on", value=date.today(), max_value=date.today(), key="checkin_measured_on",
                                    format="DD/MM/YYYY")
        value = st.number_input(f"Value ({b['unit']})", value=None, step=None, format="%g", key="checkin_value")
        evidence = st.text_input("Evidence", key="checkin_evidence", max_chars=500,
                                 placeholder="Where the number comes from: survey, report, file")
        sent = st.form_submit_button("Record measurement", type="primary")
    if not sent:
        return
    if value is None or not math.isfinite(value):
        st.error("Enter the measured value.")
        return
    if not evidence.strip():
        st.error("Say where the number comes from (Evidence): the board reads it beside the value.")
        return
    owned = _owned(principal, str(b["benefit_id"]))
    if owned is None or not bool(owned["is_manually_measured"]):
        audit.record("denied", principal, page="check-in", detail={"kpi_id": b["kpi_id"]})
        st.error("This KPI is not one of yours to record by hand.")
        return
    from pipelines import checkins as writer

    try:
        path = writer.write_measurement(
            _source_dir(), kpi_id=str(b["kpi_id"]), measured_on=measured_on, value=float(value),
            evidence=evidence.strip(), recorded_by=principal.email or principal.name,
        )
    except writer.CheckInError as exc:
        st.error(str(exc))
        return
    audit.record("check_in", principal, page="check-in", detail={
        "kind": "measurement", "benefit_id": b["benefit_id"], "kpi_id": b["kpi_id"],
        "measured_on": measured_on.isoformat(), "value": value, "file": path.name})
    _pending().append({"written": path.name, "benefit": b["benefit_id"],
                       "what": f"{b['kpi_id']} = {value:g} on {measured_on:%d %b %Y}", "commentary": evidence.strip()})
    st.success(f"Measurement written ({path.name}). {PENDING_NOTE}")
