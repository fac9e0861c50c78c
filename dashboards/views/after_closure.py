"""After closure: are the benefits of closed projects still being realized, and who owns the stale ones?

Benefits are realized mostly after the project closes, when governance fades (SPEC section 1):
this page keeps closed projects on the board, and a benefit with no fresh measurement is named
with its owner.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import filters, formatting
from dashboards.queries import delivery
from dashboards.views import common

STATUS_LABELS = {s: s.replace("_", " ") for s in delivery.STATUSES}


def money_column(label: str, currency: str | None) -> st.column_config.NumberColumn:
    """A money column in the chosen currency with thousands separators (raw numbers in the CSV)."""
    symbol = formatting.SYMBOLS.get(currency or "", "")
    fmt = f"{symbol}%,.0f" if symbol or not currency else f"%,.0f {currency}"
    return st.column_config.NumberColumn(label, format=fmt)


def pct_column(label: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="percent")


def currency_in_use(chosen: str | None) -> str | None:
    return chosen or delivery.default_currency()


def render() -> None:
    if not common.warehouse_ready():
        return
    f = filters.current()
    currency = currency_in_use(f.currency)

    st.title("After closure")
    st.caption(
        "Benefits are realized mostly after a project closes, when governance fades. Closed projects stay on "
        "this page until every benefit's review period has ended; a benefit without a measurement for three "
        "months is *stale* and is listed with its owner."
    )

    projects = delivery.closed_projects(f, currency)
    stale = delivery.stale_benefits(f)
    stale_after_close = int((stale["stage"] == "closed").sum()) if not stale.empty else 0

    realized = projects["realized_to_date"].sum(min_count=1) if not projects.empty else None
    planned = projects["annual_planned_value"].sum(min_count=1) if not projects.empty else None
    cols = st.columns(4)
    cols[0].metric("Closed projects", f"{len(projects):,}")
    cols[1].metric(
        "Their benefits still tracked", f"{int(projects['still_tracked'].sum()) if not projects.empty else 0:,}",
        help="Benefits of closed projects whose review period has not ended (status other than tracking_ended).",
    )
    cols[2].metric(
        "Stale benefits", f"{len(stale):,}",
        help=f"No measurement in the last three months (all projects in the filter); {stale_after_close} of them "
        "belong to closed projects.",
    )
    cols[3].metric(
        f"Realized value after closure ({formatting.md(currency)})", formatting.money(realized, currency),
        help=f"Cumulative realized value to date of closed projects' benefits in {formatting.md(currency)}; "
        f"annual planned value {formatting.money(planned, currency)}.",
    )

    _closed_projects_section(projects, currency)
    _status_mix_section(f)
    _stale_section(f, stale)
    _attention_section(f, currency)


def _closed_projects_section(projects: pd.DataFrame, currency: str | None) -> None:
    st.subheader("Closed projects")
    if projects.empty:
        st.info("No closed project matches the filters.")
        return
    other = projects[projects["currency"] != currency]
    if not other.empty:
        st.caption(
            f"{len(other)} closed project(s) in other currencies "
            f"({formatting.md(', '.join(sorted(other['currency'].unique())))}): "
            f"their money is not shown here — choose that currency in the sidebar."
        )
    present = [s for s in delivery.STATUSES if projects[s].sum() > 0]
    columns = [
        "project_id", "project_name", "portfolio", "actual_close_date", "months_since_close", "benefits",
        "still_tracked", "needing_attention", *present, "currency", "realized_to_date", "annual_planned_value",
    ]
    config = {
        "project_id": "Project",
        "project_name": "Name",
        "portfolio": "Portfolio",
        "actual_close_date": st.column_config.DateColumn("Closed on", format="D MMM YYYY"),
        "months_since_close": st.column_config.NumberColumn("Months since close", format="%d"),
        "benefits": "Benefits",
        "still_tracked": "Still tracked",
        "needing_attention": st.column_config.NumberColumn(
            "Needing attention", help="stale, off track, eroding or exceeded"
        ),
        **{s: st.column_config.NumberColumn(STATUS_LABELS[s].capitalize(), format="%d") for s in present},
        "currency": "Currency",
        "realized_to_date": money_column(f"Realized to date ({currency})", currency),
        "annual_planned_value": money_column(f"Annual planned value ({currency})", currency),
    }
    common.table(projects[columns], "closed projects", "closed_projects.csv", column_config=config)


def _status_mix_section(f) -> None:
    st.subheader("Status of closed projects' benefits")
    mix = delivery.closed_status_mix(f)
    if mix.empty:
        st.info("No benefits of closed projects match the filters.")
        return
    mix = mix.assign(status_label=mix["status"].map(STATUS_LABELS))
    order = [STATUS_LABELS[s] for s in delivery.STATUSES if s in set(mix["status"])]
    # "id name" becomes a tick label and hover text (plotly HTML): escaped for the chart only
    shown = mix.assign(project=formatting.plot_series(mix["project"]))
    figure = px.bar(
        shown, y="project", x="benefits", color="status_label", orientation="h", text="benefits",
        category_orders={"status_label": order},
        color_discrete_map={STATUS_LABELS[s]: c for s, c in formatting.STATUS_COLOURS.items()},
        labels={"project": "", "benefits": "Benefits", "status_label": "Status"},
    )
    figure.update_layout(
        barmode="stack", font={"size": 18}, legend={"orientation": "h", "y": -0.2, "title": None},
        height=max(320, 90 * mix["project"].nunique() + 200), margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"}, xaxis={"dtick": 1},
    )
    figure.update_traces(textposition="inside", textfont_size=18)
    st.plotly_chart(figure, width="stretch")
    common.download(mix.drop(columns="status_label"), "status mix", "closed_status_mix.csv")


def _stale_section(f, stale: pd.DataFrame) -> None:
    st.subheader("Stale benefits by owner")
    st.caption(
        "The list for the benefits review: no measurement in the last three months. After handover the owner is "
        "the only person who can restart the measurement — or agree to stop tracking."
    )
    if stale.empty:
        st.success("No stale benefit: every tracked benefit has a measurement in the last three months.")
        return
    owners = delivery.stale_by_owner(f)
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
    common.table(
        stale, "stale benefits", "stale_benefits.csv",
        column_config={
            "benefit_owner": "Owner",
            "benefit_id": "Benefit",
            "benefit_name": "Benefit name",
            "project_id": "Project",
            "project_name": "Project name",
            "stage": "Stage",
            "kpi_id": "KPI",
            "kpi_name": "KPI name",
            "last_measured_on": st.column_config.DateColumn("Last measured on", format="D MMM YYYY"),
            "months_without_measurement": st.column_config.NumberColumn(
                "Months without data", format="%d", help="Months from the last measurement to the evaluation month"
            ),
            "months_since_close": st.column_config.NumberColumn(
                "Months since close", format="%d", help="Empty while the project is not closed"
            ),
            "actual_close_date": st.column_config.DateColumn("Project closed on", format="D MMM YYYY"),
            "review_until": st.column_config.DateColumn("Review until", format="D MMM YYYY"),
        },
    )


def _attention_section(f, currency: str | None) -> None:
    st.subheader("Other benefits needing attention after closure")
    st.caption("Benefits of closed projects that are off track, eroding after having been realized, or "
               "dis-benefits exceeding their tolerance.")
    frame = delivery.attention_after_closure(f, currency)
    if frame.empty:
        st.success("No benefit of a closed project is off track, eroding or exceeded.")
        return
    common.table(
        frame, "benefits needing attention after closure", "attention_after_closure.csv",
        column_config={
            "benefit_owner": "Owner",
            "benefit_id": "Benefit",
            "benefit_name": "Benefit name",
            "project_id": "Project",
            "project_name": "Project name",
            "status": "Status",
            "trailing_realization_pct": pct_column("Realization (3-month)"),
            "peak_trailing_realization_pct": pct_column("Peak realization"),
            "planned_pct": pct_column("Planned"),
            "plan_attainment": pct_column("Plan attainment"),
            "last_measured_on": st.column_config.DateColumn("Last measured on", format="D MMM YYYY"),
            "months_since_close": st.column_config.NumberColumn("Months since close", format="%d"),
            "currency": "Currency",
            "realized_to_date": money_column(f"Realized to date ({currency})", currency),
            "annual_planned_value": money_column(f"Annual planned value ({currency})", currency),
        },
    )
