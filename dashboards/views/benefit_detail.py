"""Benefit detail: one benefit's KPI against baseline, target and ramp, and its parameters."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import filters as sidebar
from dashboards import queries
from dashboards.formatting import md, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common
from pipelines.formatting import MISSING, count, money, number, pct

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _kpi_title(b: pd.Series) -> str:
    """The KPI's name with its unit, unless the name already ends with it."""
    unit = f"({b['unit']})"
    return b["kpi_name"] if str(b["kpi_name"]).endswith(unit) else f"{b['kpi_name']} {unit}"


def _pairs(column, rows: list[tuple[str, str]]) -> None:
    """A two-column table of parameter names and their values, tall enough to show every row."""
    column.dataframe(pd.DataFrame(rows, columns=["parameter", "value"]), hide_index=True, width="stretch",
                     height=35 * (len(rows) + 1) + 3,
                     column_config={"parameter": st.column_config.TextColumn("Parameter", width=170),
                                    "value": st.column_config.TextColumn("Value", width="large")})


def _day(value) -> str:
    return MISSING if pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def _chart(b: pd.Series, months: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06,
                        subplot_titles=(plot_text(_kpi_title(b)), "Realization"))
    fig.add_scatter(x=months["period_month"], y=months["actual_value"], name="actual (monthly)",
                    mode="lines+markers", line={"color": "#0969da", "width": 3}, row=1, col=1)
    fig.add_scatter(x=months["period_month"], y=months["planned_value"], name="planned ramp",
                    mode="lines", line={"color": "#8c959f", "dash": "dot", "width": 2}, row=1, col=1)
    if pd.notna(b["baseline_value"]):
        fig.add_hline(y=b["baseline_value"], line={"color": "#6e7781", "dash": "dash"}, row=1, col=1,
                      annotation_text="baseline", annotation_position="bottom left")
    fig.add_hline(y=b["target_value"], line={"color": "#1a7f37", "dash": "dash"}, row=1, col=1,
                  annotation_text="target", annotation_position="top left")
    fig.add_scatter(x=months["period_month"], y=months["trailing_realization_pct"] * 100, name="trailing 3-month %",
                    mode="lines", line={"color": "#cf222e", "width": 3}, row=2, col=1)
    fig.add_scatter(x=months["period_month"], y=months["planned_pct"] * 100, name="planned %",
                    mode="lines", line={"color": "#8c959f", "dash": "dot"}, row=2, col=1)
    forecast = b["forecast_realization_at_target"]
    last = months.dropna(subset=["trailing_realization_pct"]).tail(1)
    if pd.notna(forecast) and not last.empty:
        fig.add_scatter(x=[last["period_month"].iloc[0], pd.Timestamp(b["target_month"])],
                        y=[last["trailing_realization_pct"].iloc[0] * 100, forecast * 100],
                        name="forecast at target", mode="lines+markers",
                        line={"color": "#e16f24", "dash": "dash"}, row=2, col=1)
    events = [(pd.Timestamp(date), label) for date, label in (
        (b["realization_start"], "realization starts"), (b["actual_close_date"], "project closed"),
        (b["target_date"], "target date")) if pd.notna(date)]
    for step, (date, label) in enumerate(sorted(events, key=lambda event: event[0])):
        fig.add_vline(x=date.timestamp() * 1000, line={"color": "#57606a", "dash": "dot"})
        # one label per line, below the KPI panel's title and stepped down so close dates do not collide
        fig.add_annotation(x=date, y=0.97 - 0.05 * step, xref="x", yref="paper", text=label, showarrow=False,
                           xanchor="left", xshift=4, bgcolor="rgba(255,255,255,0.8)", font={"color": "#57606a"})
    fig.update_yaxes(title_text=plot_text(b["unit"]), row=1, col=1)
    fig.update_yaxes(title_text="% of target", row=2, col=1)
    fig.update_layout(height=640, legend={"orientation": "h", "y": -0.12}, font={"size": 15}, margin={"t": 40})
    return fig


def render() -> None:
    st.title("Benefit detail")
    if not common.warehouse_ready():
        return
    choices = q.benefit_choices(sidebar.current())
    if choices.empty:
        st.info(common.no_benefits_message())
        return
    labels = {r.benefit_id: f"{r.benefit_id} · {r.benefit_name} ({r.project_name})" for r in choices.itertuples()}
    wanted = st.query_params.get("benefit")
    index = list(labels).index(wanted) if wanted in labels else 0
    benefit_id = st.selectbox("Benefit (type to search by id or name)", list(labels), index=index,
                              format_func=labels.get, key="benefit_pick")
    st.query_params["benefit"] = benefit_id
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
    cols = st.columns(5)
    cols[0].metric("Trailing realization", pct(b["trailing_realization_pct"]))
    cols[1].metric("Planned by now", pct(b["planned_pct"]))
    cols[2].metric("Forecast at target", pct(b["forecast_realization_at_target"]))
    cols[3].metric("Realized to date", money(b["cumulative_realized_value"], b["currency"], compact=True))
    cols[4].metric("Annual planned value", money(b["annual_planned_value"], b["currency"], compact=True))
    st.plotly_chart(_chart(b, months), width="stretch")

    st.subheader("Parameters")
    left, right = st.columns(2)
    _pairs(left, [
        ("KPI", f"{b['kpi_id']} · {b['kpi_name']}"),
        ("Direction", b["direction"]),
        ("Baseline", f"{number(b['baseline_value'], b['unit'])} ({b['baseline_source'] or 'none'})"),
        ("Target", number(b["target_value"], b["unit"])),
        ("Category", b["category"] + (" · dis-benefit" if b["is_disbenefit"] else "")),
        ("Profile", b["profile"]),
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

    st.subheader("Rebaselining history")
    if int(b["times_rebaselined"]) == 0:
        st.caption("The goalposts have not moved since the first run.")
    else:
        st.warning(f"Rebaselined {int(b['times_rebaselined'])} time(s), last on {b['last_rebaselined_at']:%d %b %Y}.")
    history = q.rebaselining_history(benefit_id)
    day = {c: st.column_config.DateColumn(c.replace("_", " ").capitalize(), format="D MMM YYYY")
           for c in ("baseline_start", "baseline_end", "target_date", "realization_start", "review_until")}
    st.dataframe(history, hide_index=True, width="stretch", column_config={
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
                     "has_data": None, "baseline_value": None, "target_value": None,
                     **{c: st.column_config.NumberColumn(label, format="%,.2f", width=75 if c != "improvement"
                                                         else 95) for c, label in measures.items()},
                     "realization_pct": common.pct_column("Realization"),
                     "planned_pct": common.pct_column("Planned %", width=75),
                     "trailing_realization_pct": common.pct_column("3-month", help="Trailing 3-month realization",
                                                                   width=75),
                     **{c: common.money_column(label, width=85 if c in ("monetized_value", "planned_monetized_value")
                                               else 100) for c, label in amounts.items()},
                 })
