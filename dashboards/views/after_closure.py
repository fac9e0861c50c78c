"""After closure: are the benefits of closed projects still being realized, and who owns the stale ones?

Benefits are realized mostly after the project closes, when governance fades (SPEC section 1):
this page keeps closed projects on the board, and a benefit with no fresh measurement is named
with its owner.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import filters, queries
from dashboards.formatting import md, plot_series
from dashboards.queries import closure
from dashboards.views import common, tables
from pipelines.formatting import count, money


def render() -> None:
    if not common.warehouse_ready():
        return
    f = filters.current()
    currency = common.currency_in_use(f.currency)
    stale_months = queries.threshold_text("stale_after_months")

    st.title("After closure")
    st.caption(
        "Benefits are realized mostly after a project closes, when governance fades. Closed projects stay on "
        "this page until every benefit's review period has ended; a benefit without a measurement for "
        f"{stale_months} months is *stale* and is listed with its owner."
    )

    projects = closure.closed_projects(f, currency)
    mix = closure.closed_status_mix(f)
    stale = closure.stale_benefits(f)
    stale_after_close = int((stale["stage"] == "closed").sum()) if not stale.empty else 0

    realized = projects["realized_to_date"].sum(min_count=1) if not projects.empty else None
    planned = projects["annual_planned_value"].sum(min_count=1) if not projects.empty else None
    cols = st.columns(4)
    common.metric(
        cols[0], f"Realized value after closure ({md(currency)})", money(realized, currency, compact=True),
        f"{money(planned, currency, compact=True)} a year planned",
        help=f"Cumulative realized value to date of closed projects' benefits in {md(currency)}, against their "
        "annual planned value.",
    )
    cols[1].metric("Closed projects", count(len(projects)))
    cols[2].metric(
        "Their benefits still tracked", count(projects["still_tracked"].sum() if not projects.empty else 0),
        help="Benefits of closed projects whose review period has not ended.",
    )
    cols[3].metric(
        "Stale benefits", count(len(stale)),
        help=f"No measurement in the last {stale_months} months (all projects in the filter); {stale_after_close} "
        "of them belong to closed projects.",
    )

    # what needs attention first: the projects whose benefits do, the benefits, the stale ones; then
    # every closed project for reference
    _status_mix_section(mix)
    _attention_section(f, currency)
    _stale_section(f, stale, stale_months)
    _closed_projects_section(projects, mix, currency)


def _closed_projects_section(projects: pd.DataFrame, mix: pd.DataFrame, currency: str | None) -> None:
    st.subheader("Closed projects")
    if projects.empty:
        st.info("No closed project matches the filters.")
        return
    other = projects[projects["currency"] != currency]
    if not other.empty:
        st.caption(
            f"{len(other)} closed project(s) in other currencies "
            f"({md(', '.join(sorted(other['currency'].unique())))}): their money is not shown here — choose that "
            "currency in the sidebar."
        )
    # one count column per status present, named by its code (the CSV); readers see the mix in words
    ordered = mix.sort_values(["project_id", "status_board_order"])
    codes = ordered.drop_duplicates("status").sort_values("status_board_order")["status"].tolist()
    counts = ordered.pivot_table(index="project_id", columns="status", values="benefits", aggfunc="sum")
    in_words = (ordered["benefits"].astype(str) + " " + ordered["status_label"]).groupby(ordered["project_id"])
    table = (projects.merge(counts.reindex(columns=codes).reset_index(), on="project_id", how="left")
             .merge(in_words.agg(" · ".join).rename("status_mix").reset_index(), on="project_id", how="left")
             .fillna({c: 0 for c in codes}).astype({c: int for c in codes}))
    attention = common.in_words(_labels(queries.vocabulary().attention), "or")
    whole = {"format": "%d", "width": 68}
    table = table.sort_values(["needing_attention", "months_since_close"], ascending=[False, True], kind="stable")
    common.table(
        table, "closed projects", "closed_projects.csv",
        shown=common.as_text(table, money=("realized_to_date", "annual_planned_value"), currency=currency),
        column_order=["project_id", "project_name", "needing_attention", "status_mix", "realized_to_date",
                      "annual_planned_value", "months_since_close", "still_tracked"],
        column_config={
            "project_id": st.column_config.TextColumn("Project", width=78),
            "project_name": st.column_config.TextColumn("Name", width=170),
            "realized_to_date": common.money_column("Realized", help="Realized to date", width=88),
            "annual_planned_value": common.money_column("Annual plan", help="Annual planned value", width=88),
            "months_since_close": st.column_config.NumberColumn("Closed", help="Months since close", **whole),
            "still_tracked": st.column_config.NumberColumn("Tracked", help="Benefits still tracked", **whole),
            "needing_attention": st.column_config.NumberColumn("Attention", help=f"Benefits needing attention: "
                                                               f"{attention}", **whole),
            "status_mix": st.column_config.TextColumn("Benefits by status", width=290),
        },
    )


CHART_PROJECTS = 12  # the chart shows the closed projects needing attention first, at most this many


def _status_mix_section(mix: pd.DataFrame) -> None:
    st.subheader("Closed projects whose benefits need attention")
    if mix.empty:
        st.info("No benefits of closed projects match the filters.")
        return
    # worst status first (board order), then the most benefits needing attention, then the project id
    attention = set(queries.vocabulary().attention)
    flagged = mix[mix["status"].isin(attention)]
    ranking = (mix.groupby("project_id").agg(worst=("status_board_order", "min"))
               .join(flagged.groupby("project_id")["benefits"].sum().rename("needing")).fillna({"needing": 0}))
    ranking = (ranking.assign(flagged=ranking["needing"] > 0).reset_index()
               .sort_values(["flagged", "worst", "needing", "project_id"], ascending=[False, True, False, True])
               .set_index("project_id"))
    ranking = ranking.assign(rank=range(len(ranking)))
    needing = ranking[ranking["needing"] > 0]
    others = len(ranking) - len(needing)
    if needing.empty:
        st.success(f"No benefit of a closed project is {md(common.in_words(_labels(attention), 'or'))}.")
    else:
        shown_ids = needing.index[:CHART_PROJECTS]
        _status_mix_chart(mix[mix["project_id"].isin(shown_ids)], ranking["rank"], key="closure_mix_attention")
        more = len(needing) - len(shown_ids)
        st.caption((f"{more} more closed project(s) with benefits needing attention are in the table below; " if more
                    else "") + f"{others} closed project(s) have no benefit needing attention.")
    with st.expander(f"Every closed project's benefits by status ({len(ranking)})"):
        _status_mix_chart(mix, ranking["rank"], key="closure_mix_all")
    common.download(mix.drop(columns="status_colour"), "status mix", "closed_status_mix.csv")


def _status_mix_chart(mix: pd.DataFrame, rank: pd.Series, key: str) -> None:
    """Stacked bars of benefits by status per closed project, in `rank` order (top first)."""
    ordered = mix.assign(rank=mix["project_id"].map(rank)).sort_values(["rank", "status_board_order"])
    # "id name" becomes a tick label and hover text (plotly HTML): escaped for the chart only
    shown = ordered.assign(project=plot_series(ordered["project"]))
    figure = px.bar(
        shown, y="project", x="benefits", color="status_label", orientation="h", text="benefits",
        category_orders={"status_label": common.status_labels_in_order(mix),
                         "project": shown.drop_duplicates("project")["project"].tolist()},
        color_discrete_map=common.status_colours(mix),
        labels={"project": "", "benefits": "Benefits", "status_label": "Status"},
    )
    figure.update_layout(
        barmode="stack", font={"size": 15}, height=max(240, 40 * mix["project"].nunique() + 130),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "title": None},
        margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis={"dtick": 1},
    )
    figure.update_traces(textposition="inside", insidetextanchor="middle", textfont_size=15)
    st.plotly_chart(figure, width="stretch", key=key)


def _labels(codes) -> list[str]:
    return [queries.vocabulary().label(code) for code in codes]


def _stale_section(f, stale: pd.DataFrame, stale_months: str) -> None:
    st.subheader("Stale benefits by owner")
    st.caption(
        f"The list for the benefits review: no measurement in the last {stale_months} months. After handover the "
        "owner is the only person who can restart the measurement — or agree to stop tracking."
    )
    if stale.empty:
        st.success(f"No stale benefit: every tracked benefit has a measurement in the last {stale_months} months.")
        return
    owners = closure.stale_by_owner(f)
    common.table(
        owners, "stale benefits per owner", "stale_by_owner.csv",
        column_config={
            "benefit_owner": "Owner",
            "stale_benefits": "Stale benefits",
            "after_closure": "Of closed projects",
            "benefits": "Benefits",
            "projects": "Projects",
            "oldest_last_measurement": st.column_config.DateColumn("Oldest last measurement", format="D MMM YYYY"),
        },
    )
    tables.show(stale, "stale benefits", "stale_benefits.csv",
                ["benefit_owner", "benefit_id", "benefit_name", "annual_planned_value", "kpi_name",
                 "last_measured_on", "months_without_measurement", "months_since_close", "review_until"],
                compact=True, annual_planned_value=common.money_column("Annual plan", width=85))


def _attention_section(f, currency: str | None) -> None:
    st.subheader("Benefits needing attention after closure")
    vocabulary = queries.vocabulary()
    chased = common.in_words(_labels(s.code for s in vocabulary.statuses if s.closure_attention), "or")
    st.caption(f"Benefits of closed projects whose status is {md(chased)}, worst first, with the money they carry.")
    frame = closure.attention_after_closure(f, currency)
    if frame.empty:
        st.success(f"No benefit of a closed project is {md(chased)}.")
        return
    # the project is in the CSV (and on the benefit's page): the key columns fit the page without scrolling
    tables.show(frame, "benefits needing attention after closure", "attention_after_closure.csv",
                ["status_label", "benefit_id", "benefit_name", "trailing_realization_pct",
                 "peak_trailing_realization_pct", "planned_pct", "realized_to_date", "annual_planned_value",
                 "benefit_owner", "months_since_close"], currency,
                benefit_name=st.column_config.TextColumn("Name", width=190),
                realized_to_date=common.money_column("Realized", width=85),
                annual_planned_value=common.money_column("Annual plan", width=85))
