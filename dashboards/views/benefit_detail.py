"""Benefit detail: one benefit's KPI against baseline, target and ramp, its owner's check-ins
beside the measured status, and its parameters."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import filters as sidebar
from dashboards import queries
from dashboards.formatting import code_label, md, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common
from pipelines.formatting import MISSING, count, money, number, pct, plain_value

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _kpi_title(b: pd.Series) -> str:
    """The KPI's name with its unit once: 'Average handling time (minutes)', whether or not the
    register's name already ends with the unit."""
    name, unit = str(b["kpi_name"]).strip(), b["unit"]
    if pd.isna(unit) or not str(unit).strip():
        return name
    suffix = f"({str(unit).strip()})"
    while name.endswith(suffix):  # a name that already carries its unit (even twice) keeps one
        name = name[: -len(suffix)].rstrip()
    return f"{name} {suffix}"


def _pairs(column, rows: list[tuple[str, str]]) -> None:
    """A two-column table of parameter names and their values, tall enough to show every row."""
    column.dataframe(pd.DataFrame(rows, columns=["parameter", "value"]), hide_index=True, width="stretch",
                     height=35 * (len(rows) + 1) + 3,
                     column_config={"parameter": st.column_config.TextColumn("Parameter", width=170),
                                    "value": st.column_config.TextColumn("Value", width="large")})


def _day(value) -> str:
    return MISSING if pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def at_target(b: pd.Series, months: pd.DataFrame) -> tuple[str, pd.Timestamp | None, float | None]:
    """What the page says about the target month: ("forecast", None, forecast) while it is ahead of
    the evaluation month; once it has passed, ("actual", target month, the trailing realization
    measured then) — a forecast drawn back into the past would be a guess where there is a fact."""
    target = pd.Timestamp(b["target_month"]) if pd.notna(b["target_month"]) else None
    if target is None or target > pd.Timestamp(b["evaluation_month"]):
        forecast = b["forecast_realization_at_target"]
        return "forecast", target, None if pd.isna(forecast) else float(forecast)
    row = months.loc[months["period_month"] == target, "trailing_realization_pct"]
    actual = None if row.empty or pd.isna(row.iloc[0]) else float(row.iloc[0])
    return "actual", target, actual


EVENT_MERGE_DAYS = 62  # events this close share one label ("realization starts · project closed")


def _events(b: pd.Series) -> list[tuple[pd.Timestamp, str]]:
    """Realization start, project close and target date, in date order, close ones merged."""
    events = sorted((pd.Timestamp(date), label) for date, label in (
        (b["realization_start"], "realization starts"), (b["actual_close_date"], "project closed"),
        (b["target_date"], "target date")) if pd.notna(date))
    merged: list[tuple[pd.Timestamp, str]] = []
    for date, label in events:
        if merged and (date - merged[-1][0]).days <= EVENT_MERGE_DAYS:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]} · {label}")
        else:
            merged.append((date, label))
    return merged


LABEL_ROW_PX, LABEL_CHAR_PX, PLOT_PX = 20, 7.5, 820  # a 13 px label's line and character; the plot's width


def _label_rows(months: pd.DataFrame, target, events) -> list[tuple[int, bool]]:
    """(row above the plot, anchored right) for each event label: anchored right in the last fifth of
    the time axis (a label there would run off the chart), in the lowest row where its estimated box
    overlaps no label placed before it."""
    dates = [d for d in (months["period_month"].min() if not months.empty else None,
                         months["period_month"].max() if not months.empty else None, target,
                         *(date for date, _ in events)) if d is not None and pd.notna(d)]
    if not dates:
        return []
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)
    placed: list[tuple[int, float, float]] = []
    result = []
    for date, label in events:
        x = (date - start).days / span * PLOT_PX
        width = LABEL_CHAR_PX * len(label) + 8
        right = x > 0.8 * PLOT_PX
        left_edge, right_edge = (x - width, x) if right else (x, x + width)
        row = 0
        while any(r == row and left_edge < b and right_edge > a for r, a, b in placed):
            row += 1
        placed.append((row, left_edge, right_edge))
        result.append((row, right))
    return result


def _chart(b: pd.Series, months: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.08)
    fig.add_scatter(x=months["period_month"], y=months["actual_value"], name="actual (monthly)",
                    mode="lines+markers", line={"color": "#0969da", "width": 3}, row=1, col=1)
    fig.add_scatter(x=months["period_month"], y=months["planned_value"], name="planned ramp",
                    mode="lines", line={"color": "#8c959f", "dash": "dot", "width": 2}, row=1, col=1)
    if pd.notna(b["baseline_value"]):
        fig.add_hline(y=b["baseline_value"], line={"color": "#6e7781", "dash": "dash"}, row=1, col=1,
                      annotation_text="baseline", annotation_position="bottom left")
    fig.add_hline(y=b["target_value"], line={"color": "#1a7f37", "dash": "dash"}, row=1, col=1,
                  annotation_text="target", annotation_position="bottom right")
    fig.add_scatter(x=months["period_month"], y=months["trailing_realization_pct"] * 100, name="trailing 3-month %",
                    mode="lines", line={"color": "#cf222e", "width": 3}, row=2, col=1)
    fig.add_scatter(x=months["period_month"], y=months["planned_pct"] * 100, name="planned %",
                    mode="lines", line={"color": "#8c959f", "dash": "dot"}, row=2, col=1)
    kind, target, value = at_target(b, months)
    last = months.dropna(subset=["trailing_realization_pct"]).tail(1)
    if kind == "forecast" and value is not None and not last.empty:
        fig.add_scatter(x=[last["period_month"].iloc[0], target],
                        y=[last["trailing_realization_pct"].iloc[0] * 100, value * 100],
                        name="forecast at target", mode="lines+markers",
                        line={"color": "#e16f24", "dash": "dash"}, row=2, col=1)
    elif kind == "actual" and value is not None:
        fig.add_scatter(x=[target], y=[value * 100], name=f"at target ({target:%b %Y}): {pct(value)}",
                        mode="markers", marker={"color": "#e16f24", "size": 13, "symbol": "diamond"}, row=2, col=1)
    # the events' labels sit above the plot, clear of the title and of the data: each in the lowest
    # row where it overprints no other label (its width estimated from its length)
    rows = _label_rows(months, target, _events(b))
    for (date, label), (row, right) in zip(_events(b), rows):
        fig.add_vline(x=date.timestamp() * 1000, line={"color": "#57606a", "dash": "dot"})
        fig.add_annotation(x=date, y=1, xref="x", yref="paper", yanchor="bottom", yshift=2 + LABEL_ROW_PX * row,
                           text=label, showarrow=False, xanchor="right" if right else "left",
                           xshift=-2 if right else 2, font={"color": "#57606a", "size": 13})
    fig.update_yaxes(title_text=plot_text(_kpi_title(b)), row=1, col=1)
    fig.update_yaxes(title_text="realization (% of target)", row=2, col=1)
    label_rows = 1 + max((row for row, _ in rows), default=0)
    fig.update_layout(height=620 + LABEL_ROW_PX * label_rows, legend={"orientation": "h", "y": -0.1},
                      font={"size": 15}, margin={"t": 16 + LABEL_ROW_PX * label_rows, "l": 10, "r": 10})
    return fig


def _incomplete_month_note(b: pd.Series) -> None:
    """SPEC section 3: an evaluation month the KPI's feed did not reach the end of reads as no data;
    say so, and why, where the status is read."""
    if b["is_evaluation_month_complete"] or not b["evaluation_month_measurements"]:
        return
    days = queries.vocabulary().thresholds.get(f"complete_month_last_days_{b['frequency']}")
    needs = (f"a {b['frequency']} KPI needs a measurement in the month's last {plain_value(float(days))} days"
             if days is not None else "the month is not complete for the KPI's frequency")
    st.warning(f"**{b['evaluation_month']:%B %Y} is incomplete for {md(b['kpi_id'])}**: its data runs to "
               f"{_day(b['evaluation_month_last_measured_on'])} ({count(b['evaluation_month_measurements'])} "
               f"measurements), and {md(needs)}. The month reads as no data: the trailing realization and "
               "the status rest on the months before it.")


DISAGREEMENT_WORDS = {"owner_more_optimistic": "owner more optimistic than the measures",
                      "owner_more_pessimistic": "owner more pessimistic than the measures"}


def _owner_checkin(b: pd.Series) -> None:
    """The owner's check-in for the evaluation month beside the status (rpt_benefit_board), the
    disagreement flagged: the watermelon test for this benefit."""
    month = f"{pd.Timestamp(b['evaluation_month']):%B %Y}"
    if pd.isna(b.get("owner_confidence")):
        st.caption(f"No check-in from the owner for {month}.")
        return
    said = (f"**Owner's check-in for {month}: {md(b['owner_confidence_label'])}** "
            f"({md(b['owner_checked_in_by'])}, {_day(b['owner_checked_in_at'])})")
    commentary = b.get("owner_commentary")
    quoted = ("  \n" + "  \n".join(f"> {md(line)}" for line in str(commentary).splitlines())
              if pd.notna(commentary) and str(commentary).strip() else "")
    disagreement = b.get("owner_disagreement")
    if pd.notna(disagreement):
        st.warning(f"⚠ **{md(b['owner_disagreement_note'])}** ({DISAGREEMENT_WORDS.get(disagreement, md(disagreement))}).  \n"
                   + said + quoted)
    else:
        agrees = pd.notna(b.get("owner_disagrees")) and not bool(b.get("owner_disagrees"))
        st.info(said + (" — agrees with the measured status." if agrees else
                        " — the measured status says nothing about delivery this month." if pd.notna(b.get("status"))
                        and pd.isna(b.get("owner_disagrees")) else "") + quoted)


def _manual_measurement_note(b: pd.Series) -> None:
    """A KPI measured by hand: who recorded its latest measurement, and the evidence given."""
    if not b.get("is_manually_measured"):
        return
    if pd.isna(b.get("last_manual_measured_on")):
        st.caption(f"{md(b['kpi_id'])} is measured by hand; no measurement recorded by hand yet.")
        return
    evidence = b.get("last_manual_evidence")
    st.caption(f"{md(b['kpi_id'])} is measured by hand. Latest recorded: {_day(b['last_manual_measured_on'])}, "
               f"{number(b['last_manual_value'], b['unit'])}, by {md(b['last_manual_recorded_by'])}"
               + (f"; evidence: {md(evidence)}" if pd.notna(evidence) and str(evidence).strip() else "") + ".")


def _checkin_history(benefit_id: str) -> None:
    checkins = q.benefit_checkins(benefit_id)
    st.subheader("Owner check-ins")
    if checkins.empty:
        st.caption("The owner has not checked in on this benefit yet.")
        return
    shown = checkins.assign(disagreement=checkins["disagreement_note"].fillna(""))
    common.table(checkins, "owner check-ins", f"{benefit_id}_checkins.csv",
                 shown=shown.drop(columns=["disagreement_note"]), column_config={
        "period_month": st.column_config.DateColumn("Month", format="MMM YYYY", width=80),
        "confidence_label": st.column_config.TextColumn("Owner says", width=90),
        "measured_status_label": st.column_config.TextColumn("Measured", width=100),
        "disagreement": st.column_config.TextColumn("Disagreement", width="medium"),
        "commentary": st.column_config.TextColumn("Commentary", width="large"),
        "recorded_by": st.column_config.TextColumn("Checked in by"),
        "recorded_at": st.column_config.DatetimeColumn("At", format="D MMM YYYY HH:mm"),
        "superseded_checkins": st.column_config.NumberColumn("Superseded", format="%d", width=80,
                                                             help="Earlier check-ins for the month this one replaces"),
    })


def render() -> None:
    st.title("Benefit detail")
    if not common.warehouse_ready():
        return
    choices = q.benefit_choices(sidebar.current())
    if choices.empty:
        st.info(common.no_benefits_message())
        return
    labels = {r.benefit_id: f"{r.benefit_id} · {r.benefit_name} ({r.project_name})" for r in choices.itertuples()}
    # ?benefit_id=… (a link from the overview, another page or the board pack) preselects the benefit,
    # even one outside the sidebar's filters
    wanted = st.query_params.get("benefit_id")
    if wanted is not None and wanted not in labels:
        linked = q.benefit(wanted)
        if linked.empty:
            st.warning(f"No benefit {md(wanted)} in the warehouse.")
        else:
            row = linked.iloc[0]
            labels = {wanted: f"{wanted} · {row['benefit_name']} ({row['project_name']})", **labels}
            st.caption(f"{md(wanted)} is outside the sidebar filters.")
    common.pick_from_url("benefit_id", "benefit_pick", list(labels))
    benefit_id = st.selectbox("Benefit (type to search by id or name)", list(labels),
                              format_func=labels.get, key="benefit_pick")
    common.keep_in_url("benefit_id", "benefit_pick", benefit_id)
    b = q.benefit(benefit_id).iloc[0]
    months = q.benefit_months(benefit_id)

    # the vocabulary's colour goes into a style attribute: only a hex colour is let through
    colour = b["status_colour"] if _HEX_COLOUR.fullmatch(str(b["status_colour"])) else "#57606a"
    # every value from the registers through md(): literal text, not Markdown or HTML
    st.markdown(
        f"### {md(b['benefit_name'])}  \n"
        f"<span style='background:{colour};color:white;padding:2px 10px;border-radius:10px'>"
        f"{md(b['status_label'])}</span> "
        f"&nbsp; {md(b['project_name'])} · {md(b['portfolio'])} · owner **{md(b['benefit_owner'])}**",
        unsafe_allow_html=True,
    )
    st.caption(md(queries.vocabulary().status(b["status"]).description))
    _owner_checkin(b)
    _incomplete_month_note(b)
    _manual_measurement_note(b)
    cols = st.columns(5)
    cols[0].metric("Trailing realization", pct(b["trailing_realization_pct"]),
                   help="Trailing 3-month realization at the evaluation month")
    cols[1].metric("Planned by now", pct(b["planned_pct"]))
    kind, target, value = at_target(b, months)
    if kind == "forecast":
        cols[2].metric("Forecast at target", pct(value),
                       help="Where the trend of the last months reaches by the target month")
    else:  # the target month has passed: what was measured then, not a forecast into the past
        cols[2].metric(f"At target ({target:%b %Y})", pct(value),
                       help="Trailing 3-month realization measured in the target month")
    cols[3].metric("Realized to date", money(b["cumulative_realized_value"], b["currency"], compact=True))
    cols[4].metric("Annual planned value", money(b["annual_planned_value"], b["currency"], compact=True))
    st.plotly_chart(_chart(b, months), width="stretch")

    st.subheader("Parameters")
    left, right = st.columns(2)
    _pairs(left, [
        ("KPI", f"{b['kpi_id']} · {_kpi_title(b)}"),
        ("Direction", code_label(b["direction"])),
        ("Baseline", f"{number(b['baseline_value'], b['unit'])} ({b['baseline_source'] or 'none'})"),
        ("Target", number(b["target_value"], b["unit"])),
        ("Category", code_label(b["category"]) + (" · dis-benefit" if b["is_disbenefit"] else "")),
        ("Profile", code_label(b["profile"])),
        ("Attribution", pct(b["attribution_pct"])),
    ])
    _pairs(right, [
        (f"Value per unit ({b['unit']})",
         number(b["value_per_unit"], b["currency"], digits=2 if abs(b["value_per_unit"] or 0) < 100 else 0)),
        ("Realization start", _day(b["realization_start"])),
        ("Target date", _day(b["target_date"])),
        ("Review until", _day(b["review_until"])),
        ("Last measured", _day(b["last_measured_on"])),
        ("Months since close", count(b["months_since_close"])),
    ])

    _checkin_history(benefit_id)

    st.subheader("Rebaselining history")
    if int(b["times_rebaselined"]) == 0:
        st.caption("The goalposts have not moved since the first run.")
    else:
        st.warning(f"Rebaselined {int(b['times_rebaselined'])} time(s), last on {b['last_rebaselined_at']:%d %b %Y}.")
    history = q.rebaselining_history(benefit_id)
    day = {c: st.column_config.DateColumn(c.replace("_", " ").capitalize(), format="D MMM YYYY")
           for c in ("baseline_start", "baseline_end", "target_date", "realization_start", "review_until")}
    common.table(history, "rebaselining history", f"{benefit_id}_versions.csv",
                 shown=history.assign(profile=history["profile"].map(code_label)), column_config={
        "version": st.column_config.NumberColumn("Version", format="%d", width=65),
        "valid_from": st.column_config.DatetimeColumn("Valid from", format="D MMM YYYY HH:mm"),
        "valid_to": st.column_config.DatetimeColumn("Valid to", format="D MMM YYYY HH:mm"),
        "baseline_value": st.column_config.NumberColumn("Baseline", format="%,.2f"),
        "target_value": st.column_config.NumberColumn("Target", format="%,.2f"),
        "profile": "Profile", **day})

    st.subheader("Month by month")
    amounts = {"monetized_value": "Value", "planned_monetized_value": "Plan value",
               "cumulative_realized_value": "Realized to date", "cumulative_planned_value": "Planned to date"}
    measures = {"actual_value": "Actual", "planned_value": "Ramp", "improvement": "Improvement"}
    common.table(months, "monthly measures", f"{benefit_id}_monthly.csv",
                 shown=common.as_text(months, money=amounts, currency=b["currency"],
                                      pct=("realization_pct", "planned_pct", "trailing_realization_pct")),
                 column_config={
                     "period_month": st.column_config.DateColumn("Month", format="MMM YYYY", width=80),
                     # constant, or visible from the actual value: in the CSV only
                     "has_data": None, "baseline_value": None, "target_value": None, "measurement_count": None,
                     "is_complete_month": st.column_config.CheckboxColumn(
                         "Complete", width=70, help="The month counts: the feed reached its last days (SPEC 3)"),
                     **{c: st.column_config.NumberColumn(label, format="%,.2f", width=75 if c != "improvement"
                                                         else 95) for c, label in measures.items()},
                     "realization_pct": common.pct_column("Realization", width=78),
                     "planned_pct": common.pct_column("Planned %", width=75),
                     "trailing_realization_pct": common.pct_column("3-month", help="Trailing 3-month realization",
                                                                   width=75),
                     **{c: common.money_column(label, width=80 if c in ("monetized_value", "planned_monetized_value")
                                               else 95) for c, label in amounts.items()},
                 })
