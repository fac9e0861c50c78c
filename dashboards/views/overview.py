"""Portfolio overview: the money at stake first (the planned value the benefits needing attention
are not realizing, who owns it, per portfolio), what changed since last month, then how much of
the approved benefit is real today and what needs attention. Every benefit and project in a list
links to its detail page (/benefit?benefit_id=…, /delivery-health?project_id=…)."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters as sidebar
from dashboards import queries
from dashboards.formatting import md, plot_series, plot_text
from dashboards.queries import benefits as q
from dashboards.views import common
from pipelines.board.links import benefit_url, project_url
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
    over_claimed = q.over_claimed_kpis(f)

    cols = st.columns(4)
    at_stake = int(head["benefits_at_stake"])
    cols[0].metric("Value at stake", money(head["value_at_stake"], _shown(f), compact=True),
                   delta=f"{count(at_stake)} {'benefit needs' if at_stake == 1 else 'benefits need'} attention",
                   delta_color="off", delta_arrow="off",
                   help=f"Planned value the benefits {md(common.in_words(attention_labels, 'or'))} are not realizing: "
                        "planned minus realized to date, plus the rest of their review window at the current "
                        f"3-month trend ({md(_shown(f))})")
    cols[1].metric("Net annual planned value", money(head["annual_planned_net"], _shown(f), compact=True),
                   delta=f"{money(head['annual_planned_benefit'], _shown(f), compact=True)} − "
                         f"{money(head['annual_planned_disbenefit'], _shown(f), compact=True)} dis-benefits",
                   delta_color="off", delta_arrow="off",
                   help="TI × attribution × value per unit × 12 of the benefits in their review window; a "
                        f"dis-benefit is a cost ({md(_shown(f))})")
    cols[2].metric("Realized to date", money(realized, _shown(f), compact=True),
                   delta=f"{pct(realized / planned) if planned and planned > 0 else '–'} of "
                         f"{money(planned, _shown(f), compact=True)} planned", delta_color="off", delta_arrow="off")
    cols[3].metric("Benefits needing attention", f"{count(len(attention))} of {count(counts['benefits'].sum())}",
                   help=f"Status {md(common.in_words(attention_labels, 'or'))}")
    if head["benefits_without_rate"]:
        st.warning(f"{count(head['benefits_without_rate'])} benefits have amounts in a currency without an exchange "
                   f"rate to {md(_shown(f))} for a month they need (fx_rates.csv): the totals they belong to show "
                   "'–' rather than a partial sum. Add the rates, or pick one original currency in the sidebar.")
    if not over_claimed.empty:
        st.caption(f"Totals count each KPI's improvement at most once: benefits claim more than 100 % of "
                   f"{md(', '.join(over_claimed['kpi_id']))} (see Data quality).")

    _value_at_stake_section(f)
    _changes_section(f)
    _trend_section(f)
    _status_section(f, counts)
    _attention_section(attention, attention_labels, vocabulary)


def _shown(f) -> str:
    """The currency the figures are in: the chosen original one, else (all) the reporting currency."""
    return f.shown_currency(queries.reporting_currency())


def _links(frame, benefit: str = "benefit_id", project: str | None = "project_id"):
    """`frame` with its ids as links to their detail pages (the displayed text stays the id)."""
    extra = {benefit: frame[benefit].map(benefit_url)}
    if project:
        extra[project] = frame[project].map(project_url)
    return frame.assign(**extra)


def _link_columns(project: bool = True) -> dict:
    config = {"benefit_id": st.column_config.LinkColumn("Benefit", display_text=r"benefit_id=(.*)$", width=85)}
    if project:
        config["project_id"] = st.column_config.LinkColumn("Project", display_text=r"project_id=(.*)$", width=85)
    return config


def _value_at_stake_section(f) -> None:
    st.subheader(f"Money at stake ({md(_shown(f))})")
    ranked = q.value_at_stake(f)
    if ranked.empty:
        st.success(f"No benefit needing attention has {md(_shown(f))} value at stake.")
        return
    # the ranked list, then the totals per portfolio under it
    amounts = ("shortfall_to_date", "shortfall_remaining", "value_at_stake")
    shown = _links(common.as_text(ranked, money=amounts, currency=_shown(f), compact=True))
    common.table(ranked, "value at stake", "value_at_stake.csv", shown=shown,
                 column_order=["benefit_id", "benefit_name", "status_label", "benefit_owner", "value_at_stake",
                               "shortfall_to_date", "shortfall_remaining"],
                 column_config={
                     **_link_columns(project=False),
                     "benefit_name": st.column_config.TextColumn("Name", width=260),
                     "status_label": st.column_config.TextColumn("Status", width=80),
                     "benefit_owner": st.column_config.TextColumn("Owner", width=110),
                     "value_at_stake": common.money_column("At stake", width=90,
                                                           help="To date + rest of the review"),
                     "shortfall_to_date": common.money_column("To date", width=90,
                                                              help="Planned − realized so far"),
                     "shortfall_remaining": common.money_column(
                         "Rest of review", width=110,
                         help="Planned − projected at the current 3-month trend, to review_until"),
                 })
    by_portfolio = q.value_at_stake_by_portfolio(f)
    shown = by_portfolio.assign(portfolio=plot_series(by_portfolio["portfolio"]),
                                label=[money(v, _shown(f), compact=True) for v in by_portfolio["value_at_stake"]])
    fig = px.bar(shown, x="value_at_stake", y="portfolio", orientation="h", text="label",
                 height=80 + 45 * len(shown), labels={"value_at_stake": "Value at stake", "portfolio": ""},
                 color_discrete_sequence=["#cf222e"])
    fig.update_traces(textposition="outside", cliponaxis=False,
                      hovertemplate="%{y}: %{text}<extra></extra>")
    fig.update_layout(yaxis={"autorange": "reversed", "title": None}, font={"size": 14},
                      margin={"t": 40, "r": 80, "l": 10, "b": 10}, title="Value at stake per portfolio",
                      xaxis={"tickprefix": CURRENCY_SYMBOLS.get(_shown(f) or "", ""), "tickformat": "~s",
                             "title": None})
    st.plotly_chart(fig, width="stretch")


def _changes_section(f) -> None:
    st.subheader("What changed since last month")
    changed = q.changes(f)
    if changed.empty:
        st.info("No benefit newly needs attention, recovered, went stale or was rebaselined since last month.")
        return
    shown = _links(common.as_text(changed, money=("value_at_stake",), compact=True))
    shown.loc[changed["category"] == "non_financial", "value_at_stake"] = "non-financial"
    common.table(changed, "changes since last month", "changes.csv", shown=shown,
                 column_order=["change_label", "benefit_id", "benefit_name", "status_before_label", "status_label",
                               "benefit_owner", "project_id", "value_at_stake"],
                 column_config={
                     **_link_columns(),
                     "change_label": st.column_config.TextColumn("Change", width=150),
                     "benefit_name": st.column_config.TextColumn("Name", width=180),
                     "status_before_label": st.column_config.TextColumn("Last month", width=95),
                     "status_label": st.column_config.TextColumn("Now", width=95),
                     "benefit_owner": st.column_config.TextColumn("Owner", width=120),
                     "value_at_stake": common.money_column("At stake", width=80),
                 })


def _trend_section(f) -> None:
    trend = q.realization_trend(f)
    st.subheader(f"Realization trend ({md(_shown(f))}, cumulative)")
    if trend.empty:
        st.info(f"No {md(_shown(f))} benefits have started realizing under these filters.")
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
    fig.update_layout(height=420, yaxis_title=f"cumulative value ({plot_text(_shown(f))})", xaxis_title=None,
                      legend={"orientation": "h", "y": -0.2}, font={"size": 15}, margin={"t": 10},
                      yaxis={"tickformat": "~s", "tickprefix": CURRENCY_SYMBOLS.get(_shown(f) or "", "")})
    st.plotly_chart(fig, width="stretch")
    amounts = ("realized_value", "planned_value", "cumulative_realized_value", "cumulative_planned_value")
    with st.expander("Monthly realized vs planned value"):
        common.table(trend, "realization trend", "realization_trend.csv",
                     shown=common.as_text(trend, money=amounts, currency=_shown(f)), column_config={
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
    money_columns = ("value_at_stake", "cumulative_realized_value")
    shown = _links(common.as_text(attention, money=money_columns, pct=("trailing_realization_pct", "planned_pct"),
                                  compact=True))
    non_financial = attention["category"] == "non_financial"
    for column in money_columns:
        shown.loc[non_financial, column] = "non-financial"
    common.table(attention, "attention list", "attention.csv", shown=shown,
                 column_order=["status_label", "benefit_id", "benefit_name", "value_at_stake",
                               "trailing_realization_pct", "planned_pct", "benefit_owner", "project_id"],
                 column_config={
                     **_link_columns(),
                     "status_label": st.column_config.TextColumn("Status", width=90),
                     "benefit_name": st.column_config.TextColumn("Name", width=200),
                     "value_at_stake": common.money_column("At stake", width=85),
                     "trailing_realization_pct": common.pct_column("Realization", help="Trailing 3-month realization"),
                     "planned_pct": common.pct_column("Planned", help="Planned realization by now"),
                     "benefit_owner": st.column_config.TextColumn("Owner", width=130),
                 })
