"""Portfolio overview: how much of the approved benefit is real today, and what needs attention."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters as sidebar
from dashboards.formatting import ATTENTION_STATUSES, STATUS_COLOURS, md, money, pct, plot_series, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common


def render() -> None:
    st.title("Portfolio overview")
    if not common.warehouse_ready():
        return
    f = sidebar.current()
    counts = q.status_counts(f)
    if counts.empty:
        st.info(common.no_benefits_message())
        return
    head = q.headline(f).iloc[0]
    total = int(counts["benefits"].sum())
    attention_n = int(counts[counts["status"].isin(ATTENTION_STATUSES)]["benefits"].sum())
    realized, planned = head["cumulative_realized_value"], head["cumulative_planned_value"]

    cols = st.columns(4)
    cols[0].metric("Annual planned value", money(head["annual_planned_value"], f.currency),
                   help=f"TI × attribution × value per unit × 12, benefits in {md(f.currency)}")
    cols[1].metric("Realized to date", money(realized, f.currency),
                   delta=f"{pct(realized / planned) if planned and planned > 0 else '–'} of planned to date",
                   delta_color="off")
    cols[2].metric("Planned to date", money(planned, f.currency))
    cols[3].metric("Benefits needing attention", f"{attention_n} of {total}",
                   help="off_track, eroding, stale or exceeded dis-benefits")

    trend = q.realization_trend(f)
    st.subheader(f"Realization trend ({md(f.currency)}, cumulative)")
    if trend.empty:
        st.info(f"No {md(f.currency)} benefits have started realizing under these filters.")
    else:
        fig = go.Figure()
        palette = px.colors.qualitative.Safe
        for i, (portfolio, part) in enumerate(trend.groupby("portfolio", sort=True)):
            colour = palette[i % len(palette)]
            # legend names are plotly HTML: the portfolio name is escaped
            fig.add_scatter(x=part["period_month"], y=part["cumulative_realized_value"],
                            name=f"{plot_text(portfolio)} realized", mode="lines", line={"color": colour, "width": 3})
            fig.add_scatter(x=part["period_month"], y=part["cumulative_planned_value"],
                            name=f"{plot_text(portfolio)} planned", mode="lines",
                            line={"color": colour, "width": 2, "dash": "dot"})
        fig.update_layout(height=420, yaxis_title=f"cumulative value ({plot_text(f.currency)})", xaxis_title=None,
                          legend={"orientation": "h", "y": -0.2}, font={"size": 15}, margin={"t": 10})
        st.plotly_chart(fig, width="stretch")
        with st.expander("Monthly realized vs planned value"):
            common.table(trend, "realization trend", "realization_trend.csv")

    left, right = st.columns([1, 1])
    with left:
        st.subheader("Benefits by status")
        fig = px.bar(counts, x="benefits", y="status", orientation="h", color="status",
                     color_discrete_map=STATUS_COLOURS, text="benefits", height=420)
        fig.update_layout(showlegend=False, yaxis={"categoryorder": "total ascending", "title": None},
                          font={"size": 15}, margin={"t": 10})
        st.plotly_chart(fig, width="stretch")
    with right:
        st.subheader("Status by portfolio")
        by_portfolio = q.status_by_portfolio(f)
        # portfolio names become tick labels and hover text (plotly HTML): escaped for the chart only
        shown_by_portfolio = by_portfolio.assign(portfolio=plot_series(by_portfolio["portfolio"]))
        fig = px.bar(shown_by_portfolio, x="benefits", y="portfolio", color="status", orientation="h",
                     color_discrete_map=STATUS_COLOURS, height=420)
        fig.update_layout(yaxis_title=None, legend={"orientation": "h", "y": -0.25}, font={"size": 15},
                          margin={"t": 10})
        st.plotly_chart(fig, width="stretch")

    st.subheader("Needs attention first")
    st.caption("Off track, eroding, stale (no measurement for three months) and exceeded dis-benefits, with their owners.")
    attention = q.attention(f, ATTENTION_STATUSES)
    if attention.empty:
        st.success("Nothing is off track, eroding, stale or exceeded.")
    else:
        shown = attention.assign(
            realization=attention["trailing_realization_pct"].map(pct),
            planned=attention["planned_pct"].map(pct),
            realized_to_date=[money(v, c) for v, c in zip(attention["cumulative_realized_value"], attention["currency"])],
        )[["status", "benefit_id", "benefit_name", "project_name", "benefit_owner", "realization", "planned",
           "last_measured_on", "months_since_close", "realized_to_date"]]
        st.dataframe(shown, hide_index=True, width="stretch")
        common.download(attention, "attention list", "attention.csv")
