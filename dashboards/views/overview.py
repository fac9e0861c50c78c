"""Portfolio overview: how much of the approved benefit is real today, and what needs attention."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters as sidebar
from dashboards import queries
from dashboards.formatting import md, plot_series, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common, tables
from pipelines.formatting import CURRENCY_SYMBOLS, count, money, pct


def render() -> None:
    st.title("Portfolio overview")
    if not common.warehouse_ready():
        return
    f = sidebar.current()
    counts = q.status_counts(f)
    if counts.empty:
        st.info(common.no_benefits_message())
        return
    vocabulary = queries.vocabulary()
    attention_labels = [vocabulary.label(code) for code in vocabulary.attention]
    head = q.headline(f).iloc[0]
    attention = q.attention(f)
    realized, planned = head["cumulative_realized_value"], head["cumulative_planned_value"]
    at_stake = attention.loc[attention["currency"] == f.currency, "annual_planned_value"].sum(min_count=1)

    cols = st.columns(4)
    cols[0].metric("Annual planned value", money(head["annual_planned_value"], f.currency, compact=True),
                   help=f"TI × attribution × value per unit × 12, benefits in {md(f.currency)}")
    cols[1].metric("Realized to date", money(realized, f.currency, compact=True),
                   delta=f"{pct(realized / planned) if planned and planned > 0 else '–'} of planned to date",
                   delta_color="off")
    cols[2].metric("Planned to date", money(planned, f.currency, compact=True))
    cols[3].metric("Benefits needing attention", f"{count(len(attention))} of {count(counts['benefits'].sum())}",
                   delta=f"{money(at_stake, f.currency, compact=True)} a year at stake", delta_color="off",
                   help=f"Status {md(common.in_words(attention_labels, 'or'))}; at stake: their annual "
                        f"planned value in {md(f.currency)}")

    _trend_section(f)
    _status_section(f, counts)
    _attention_section(attention, attention_labels, vocabulary)


def _trend_section(f) -> None:
    trend = q.realization_trend(f)
    st.subheader(f"Realization trend ({md(f.currency)}, cumulative)")
    if trend.empty:
        st.info(f"No {md(f.currency)} benefits have started realizing under these filters.")
        return
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
                      legend={"orientation": "h", "y": -0.2}, font={"size": 15}, margin={"t": 10},
                      yaxis={"tickformat": "~s", "tickprefix": CURRENCY_SYMBOLS.get(f.currency or "", "")})
    st.plotly_chart(fig, width="stretch")
    amounts = ("realized_value", "planned_value", "cumulative_realized_value", "cumulative_planned_value")
    with st.expander("Monthly realized vs planned value"):
        common.table(trend, "realization trend", "realization_trend.csv",
                     shown=common.as_text(trend, money=amounts, currency=f.currency), column_config={
                         "period_month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                         **{c: common.money_column(c.replace("_", " ").capitalize()) for c in amounts}})


def _status_section(f, counts) -> None:
    order = common.status_labels_in_order(counts)
    colours = common.status_colours(counts)
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Benefits by status")
        fig = px.bar(counts, x="benefits", y="status_label", orientation="h", color="status_label",
                     color_discrete_map=colours, category_orders={"status_label": order}, text="benefits",
                     height=420, labels={"benefits": "Benefits", "status_label": "Status"})
        fig.update_traces(textposition="outside", textangle=0, cliponaxis=False)
        fig.update_layout(showlegend=False, yaxis={"title": None}, font={"size": 15}, margin={"t": 10, "r": 30})
        st.plotly_chart(fig, width="stretch")
    with right:
        st.subheader("Status by portfolio")
        by_portfolio = q.status_by_portfolio(f)
        # portfolio names become tick labels and hover text (plotly HTML): escaped for the chart only
        shown = by_portfolio.assign(portfolio=plot_series(by_portfolio["portfolio"]))
        fig = px.bar(shown, x="benefits", y="portfolio", color="status_label", orientation="h",
                     color_discrete_map=colours, category_orders={"status_label": order}, height=420,
                     labels={"benefits": "Benefits", "status_label": "Status"})
        fig.update_layout(yaxis_title=None, legend={"orientation": "h", "y": -0.25, "title": None},
                          font={"size": 15}, margin={"t": 10})
        st.plotly_chart(fig, width="stretch")


def _attention_section(attention, attention_labels: list[str], vocabulary) -> None:
    st.subheader("Needs attention first")
    st.caption(f"Benefits {md(common.in_words(attention_labels, 'or'))}, worst status first, with their owners "
               "and the money they carry.")
    with st.expander("What the statuses mean"):
        st.dataframe(
            [{"Status": s.label, "Means": s.description} for s in vocabulary.statuses],
            hide_index=True, width="stretch", column_config={"Means": st.column_config.TextColumn(width="large")},
        )
    if attention.empty:
        st.success(f"No benefit is {md(common.in_words(attention_labels, 'or'))}.")
        return
    tables.show(attention, "attention list", "attention.csv",
                ["status_label", "benefit_id", "benefit_name", "annual_planned_value", "cumulative_realized_value",
                 "trailing_realization_pct", "planned_pct", "benefit_owner", "project_name"], compact=True,
                project_name=st.column_config.TextColumn("Project"))
