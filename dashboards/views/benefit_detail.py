"""Benefit detail: one benefit's KPI against baseline, target and ramp, and its parameters."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import filters as sidebar
from dashboards.formatting import STATUS_COLOURS, md, money, number, pct, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common


def _chart(b: pd.Series, months: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06,
                        subplot_titles=(plot_text(f"{b['kpi_name']} ({b['unit']})"), "Realization"))
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
    for date, label in ((b["actual_close_date"], "project closed"), (b["target_date"], "target date"),
                        (b["realization_start"], "realization starts")):
        if pd.notna(date):
            fig.add_vline(x=pd.Timestamp(date).timestamp() * 1000, line={"color": "#57606a", "dash": "dot"},
                          annotation_text=label, annotation_position="top")
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

    colour = STATUS_COLOURS.get(b["status"], "#57606a")  # a fixed colour, never text from the data
    # every value from the registers through md(): literal text, not Markdown or HTML
    st.markdown(
        f"### {md(b['benefit_name'])}  \n"
        f"<span style='background:{colour};color:white;padding:2px 10px;border-radius:10px'>{md(b['status'])}</span> "
        f"&nbsp; {md(b['project_name'])} · {md(b['portfolio'])} · owner **{md(b['benefit_owner'])}**",
        unsafe_allow_html=True,
    )
    cols = st.columns(5)
    cols[0].metric("Trailing realization", pct(b["trailing_realization_pct"]))
    cols[1].metric("Planned by now", pct(b["planned_pct_now"]))
    cols[2].metric("Forecast at target", pct(b["forecast_realization_at_target"]))
    cols[3].metric("Realized to date", money(b["cumulative_realized_value"], b["currency"]))
    cols[4].metric("Annual planned value", money(b["annual_planned_value"], b["currency"]))
    st.plotly_chart(_chart(b, months), width="stretch")

    left, right = st.columns(2)
    with left:
        st.subheader("Parameters")
        params = pd.DataFrame(
            [
                ("KPI", f"{b['kpi_id']} · {b['kpi_name']}"),
                ("Direction", b["direction"]),
                ("Baseline", f"{number(b['baseline_value'], b['unit'])} ({b['baseline_source'] or 'none'})"),
                ("Target", number(b["target_value"], b["unit"])),
                ("Category", b["category"] + (" · dis-benefit" if b["is_disbenefit"] else "")),
                ("Profile", b["profile"]),
                ("Attribution", pct(b["attribution_pct"])),
                ("Value per unit", money(b["value_per_unit"], b["currency"], compact=False)),
                ("Realization start", str(b["realization_start"])),
                ("Target date", str(b["target_date"])),
                ("Review until", str(b["review_until"])),
                ("Last measured", str(b["last_measured_on"])),
                ("Months since close", "–" if pd.isna(b["months_since_close"]) else str(int(b["months_since_close"]))),
            ],
            columns=["parameter", "value"],
        )
        st.dataframe(params, hide_index=True, width="stretch")
    with right:
        st.subheader("Rebaselining history")
        history = q.rebaselining_history(benefit_id)
        if int(b["times_rebaselined"]) == 0:
            st.caption("The goalposts have not moved since the first run.")
        else:
            st.warning(f"Rebaselined {int(b['times_rebaselined'])} time(s), last on {b['last_rebaselined_at']:%d %b %Y}.")
        st.dataframe(history, hide_index=True, width="stretch")

    st.subheader("Month by month")
    common.table(months, "monthly measures", f"{benefit_id}_monthly.csv")
