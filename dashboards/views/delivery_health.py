"""Delivery health: reported RAG next to the objective, derived one (SPEC section 6).

The board's first question is which projects are watermelons — reported green, derived red —
and for how long. Then: benefits reported green that are not, earned value, client margin
leaking away, RAID items left unmitigated and decisions not taken.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, formatting
from dashboards.queries import delivery
from dashboards.views import common
from dashboards.views.after_closure import currency_in_use, money_column

RAG_LEVEL = {"green": 1, "amber": 2, "red": 3}
FONT = {"size": 18}


def render() -> None:
    if not common.warehouse_ready():
        return
    f = filters.current()
    currency = currency_in_use(f.currency)

    st.title("Delivery health")
    st.caption(
        "Reported RAG is what the project says; derived RAG is computed from earned value, key milestones, "
        "RAID items and decisions (red: CPI or SPI < 0.85, a key milestone > 60 days late, a critical risk or "
        "issue open > 30 days without mitigation; amber: CPI or SPI < 0.95, > 14 days late, a decision open "
        "> 14 days, such a high item). A *watermelon* reports green while its derived RAG is red."
    )

    summary = delivery.health_summary(f).iloc[0]
    if int(summary["projects"]) == 0:
        st.info("No project matches the filters.")
        return
    leakage = delivery.margin_leakage(f, currency)
    cols = st.columns(5)
    cols[0].metric("Projects", f"{int(summary['projects']):,}")
    cols[1].metric("Derived red", f"{int(summary['derived_red']):,}")
    cols[2].metric("Watermelons", f"{int(summary['watermelons']):,}", help="Reported green, derived red")
    cols[3].metric(
        "Benefits watermelons", f"{int(summary['benefits_watermelons']):,}",
        help="Benefits reported green while a benefit is off track, eroding or stale",
    )
    cols[4].metric(
        f"Margin leakage ({formatting.md(currency)})",
        formatting.money(leakage["margin_leakage"].sum(min_count=1), currency),
        help=f"Planned minus forecast margin of client projects in {formatting.md(currency)}",
    )

    _watermelon_section(f)
    _rag_matrix_section(f)
    _benefits_watermelon_section(f)
    _indices_section(f)
    _margin_section(f, leakage, currency)
    _raid_section(f)
    _history_section(f)


def _watermelon_section(f) -> None:
    st.subheader("Watermelon projects")
    frame = delivery.watermelons(f)
    if frame.empty:
        st.success("No watermelon: no project reports green while its measures are red.")
        return
    common.table(
        frame, "watermelon projects", "watermelon_projects.csv",
        column_config={
            "project_id": "Project",
            "project_name": "Name",
            "portfolio": "Portfolio",
            "sponsor": "Sponsor",
            "project_manager": "Project manager",
            "watermelon_months": st.column_config.NumberColumn(
                "Months as watermelon", format="%d", help="Consecutive month ends reported green with red measures"
            ),
            "last_report_date": st.column_config.DateColumn("Last report", format="D MMM YYYY"),
            "reported_rag": "Reported",
            "derived_rag": "Derived",
            "derived_rag_reasons": st.column_config.TextColumn("Why derived red", width="large"),
        },
    )


MATRIX_IDS_SHOWN = 4  # a cell lists its projects' ids up to this many; beyond, the count alone


def _rag_matrix_section(f) -> None:
    st.subheader("Reported vs derived RAG")
    long = delivery.rag_matrix(f)
    reported = [*delivery.RAG_ORDER, delivery.NO_REPORT]
    counts = long.pivot(index="reported_rag", columns="derived_rag", values="projects").reindex(
        index=reported, columns=list(delivery.RAG_ORDER)
    )
    ids = long.pivot(index="reported_rag", columns="derived_rag", values="project_ids").reindex(
        index=reported, columns=list(delivery.RAG_ORDER)
    )
    text = [  # plotly HTML: the bold count is ours, the project ids (a few fit a cell) are escaped
        [(f"<b>{int(counts.iloc[i, j])}</b><br>{formatting.plot_text(ids.iloc[i, j])}"
          if counts.iloc[i, j] <= MATRIX_IDS_SHOWN else f"<b>{int(counts.iloc[i, j]):,}</b>")
         if counts.iloc[i, j] else "0"
         for j in range(counts.shape[1])]
        for i in range(counts.shape[0])
    ]
    figure = go.Figure(
        go.Heatmap(
            z=counts.values, x=[f"derived {c}" for c in counts.columns], y=[f"reported {r}" for r in counts.index],
            text=text, texttemplate="%{text}", textfont={"size": 22}, colorscale="Blues", showscale=False,
            hovertemplate="%{y}, %{x}: %{z} project(s)<extra></extra>", xgap=3, ygap=3,
        )
    )
    # the watermelon cell: reported green, derived red
    figure.add_shape(type="rect", x0=1.5, x1=2.5, y0=-0.5, y1=0.5, line={"color": formatting.RAG_COLOURS["red"],
                                                                         "width": 5})
    figure.update_layout(
        font=FONT, height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"}, xaxis={"side": "top"},
    )
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(figure, width="stretch")
    with right:
        st.caption("Projects by latest reported overall RAG (rows) and derived RAG (columns). The outlined cell "
                   "holds the watermelons; below the diagonal, reports are more optimistic than the measures.")
        table = counts.rename_axis(index="reported \\ derived").reset_index()
        common.table(table, "RAG matrix", "rag_matrix.csv")


def _benefits_watermelon_section(f) -> None:
    st.subheader("Benefits watermelons")
    frame = delivery.benefits_watermelons(f)
    if frame.empty:
        st.success("No project reports its benefits green while one of them is off track, eroding or stale.")
        return
    common.table(
        frame, "benefits watermelons", "benefits_watermelons.csv",
        column_config={
            "project_id": "Project",
            "project_name": "Name",
            "stage": "Stage",
            "last_report_date": st.column_config.DateColumn("Last report", format="D MMM YYYY"),
            "reported_benefits_rag": "Reported benefits RAG",
            "flagged_benefits": st.column_config.NumberColumn("Flagged benefits", format="%d"),
            "flagged_benefit_list": st.column_config.TextColumn("Benefits off track, eroding or stale", width="large"),
            "owners": "Their owners",
        },
    )


def _reference_lines(figure: go.Figure) -> None:
    for value, colour, label in ((0.85, formatting.RAG_COLOURS["red"], "0.85"),
                                 (0.95, formatting.RAG_COLOURS["amber"], "0.95")):
        figure.add_vline(x=value, line_dash="dash", line_color=colour, line_width=2,
                         annotation_text=f"CPI {label}", annotation_position="top")
        figure.add_hline(y=value, line_dash="dash", line_color=colour, line_width=2,
                         annotation_text=f"SPI {label}", annotation_position="right")


def _indices_section(f) -> None:
    st.subheader("Cost and schedule performance")
    frame = delivery.performance_indices(f)
    points = frame.dropna(subset=["cpi", "spi"])
    if points.empty:
        st.info("No project in the filter has earned-value figures yet.")
    else:
        figure = go.Figure()
        for rag in delivery.RAG_ORDER:
            subset = points[points["derived_rag"] == rag]
            if subset.empty:
                continue
            # text labels and hover text are plotly HTML: ids and names escaped
            figure.add_trace(go.Scatter(
                x=subset["cpi"], y=subset["spi"], mode="markers+text", name=f"derived {rag}",
                text=formatting.plot_series(subset["project_id"]), textposition="top center", textfont={"size": 18},
                marker={"size": 22, "color": formatting.RAG_COLOURS[rag], "line": {"width": 1, "color": "#24292f"}},
                customdata=subset[["project_name", "reported_rag"]].fillna("no report").map(formatting.plot_text).values,
                hovertemplate="%{text} %{customdata[0]}<br>CPI %{x:.2f} · SPI %{y:.2f}<br>"
                              "reported %{customdata[1]}<extra></extra>",
            ))
        _reference_lines(figure)
        low = min(0.7, points["cpi"].min() - 0.05, points["spi"].min() - 0.05)
        high = max(1.15, points["cpi"].max() + 0.05, points["spi"].max() + 0.05)
        figure.update_layout(
            font=FONT, height=560, margin={"l": 10, "r": 60, "t": 40, "b": 10},
            xaxis={"title": "CPI (earned value / actual cost)", "range": [low, high]},
            yaxis={"title": "SPI (earned value / planned value)", "range": [low, high]},
            legend={"orientation": "h", "y": -0.15},
        )
        st.plotly_chart(figure, width="stretch")
    missing = frame[frame["cpi"].isna() | frame["spi"].isna()]
    if not missing.empty:
        st.caption(
            f"Without CPI/SPI (no financials, or a zero divisor): {formatting.md(', '.join(missing['project_id']))}."
        )
    common.table(
        frame, "CPI and SPI", "performance_indices.csv",
        column_config={
            "project_id": "Project",
            "project_name": "Name",
            "stage": "Stage",
            "latest_financial_month": st.column_config.DateColumn("Financial month", format="MMM YYYY"),
            "cpi": st.column_config.NumberColumn("CPI", format="%.2f"),
            "spi": st.column_config.NumberColumn("SPI", format="%.2f"),
            "max_key_slippage_days": st.column_config.NumberColumn("Worst key slippage (days)", format="%d"),
            "reported_rag": "Reported",
            "derived_rag": "Derived",
            "derived_rag_reasons": st.column_config.TextColumn("Why", width="large"),
        },
    )


def _margin_section(f, frame: pd.DataFrame, currency: str | None) -> None:
    st.subheader(f"Margin leakage on client projects ({formatting.md(currency)})")
    others = delivery.client_projects_in_other_currencies(f, currency)
    if others:
        st.caption(f"{others} client project(s) in other currencies are not shown: choose their currency in the "
                   "sidebar.")
    if frame.empty:
        st.info(f"No client project in {formatting.md(currency)} matches the filters.")
        return
    chart = frame.dropna(subset=["margin_leakage"])
    if not chart.empty:
        labels = [formatting.money(v, currency, compact=False) for v in chart["margin_leakage"]]
        figure = go.Figure(go.Bar(
            x=chart["margin_leakage"], y=formatting.plot_series(chart["project_id"] + " " + chart["project_name"]),
            orientation="h",
            text=labels, textposition="auto", textfont={"size": 20},
            marker_color=[formatting.RAG_COLOURS["red"] if v > 0 else formatting.RAG_COLOURS["green"]
                          for v in chart["margin_leakage"]],
            customdata=[[formatting.money(p, currency, compact=False), formatting.money(q, currency, compact=False),
                         formatting.money(u, currency, compact=False)]
                        for p, q, u in chart[["planned_margin", "forecast_margin",
                                              "unbilled_approved_change_cost"]].itertuples(index=False)],
            hovertemplate="%{y}<br>leakage %{text}<br>planned margin %{customdata[0]}<br>forecast margin "
                          "%{customdata[1]}<br>unbilled approved changes %{customdata[2]}<extra></extra>",
        ))
        symbol = formatting.SYMBOLS.get(currency or "", "")
        figure.update_layout(
            font=FONT, height=max(260, 80 * len(chart) + 140), margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={"title": f"Planned minus forecast margin ({formatting.plot_text(currency)})", "tickprefix": symbol,
                   "separatethousands": True},
            yaxis={"autorange": "reversed"},
        )
        st.plotly_chart(figure, width="stretch")
    common.table(
        frame, "margin leakage", "margin_leakage.csv",
        column_config={
            "project_id": "Project",
            "project_name": "Name",
            "currency": "Currency",
            "contract_value": money_column("Contract value", currency),
            "budget_at_completion": money_column("Budget at completion", currency),
            "planned_margin": money_column("Planned margin", currency),
            "forecast_margin": money_column("Forecast margin", currency),
            "margin_leakage": money_column("Margin leakage", currency),
            "approved_change_cost": money_column("Approved change cost", currency),
            "unbilled_approved_change_cost": money_column("Unbilled approved changes", currency),
            "pending_change_requests": st.column_config.NumberColumn("Pending change requests", format="%d"),
        },
    )


def _raid_section(f) -> None:
    st.subheader("RAID aging and overdue decisions")
    frame = delivery.raid_aging(f)
    open_items = frame[(frame["open_raid_items"] > 0) | (frame["overdue_decisions"] > 0)]
    if open_items.empty:
        st.success("No open RAID item and no overdue decision in the filter.")
    else:
        chart = open_items.fillna({"oldest_open_item_days": 0})
        figure = go.Figure(go.Bar(
            x=chart["oldest_open_item_days"], y=formatting.plot_series(chart["project_id"]), orientation="h",
            text=[f"{int(d)} days" for d in chart["oldest_open_item_days"]], textposition="auto",
            textfont={"size": 18},
            marker_color=[formatting.RAG_COLOURS.get(r, "#8c959f") for r in chart["derived_rag"]],
            hovertemplate="%{y}: oldest open item %{x} days<extra></extra>",
        ))
        figure.add_vline(x=30, line_dash="dash", line_color="#57606a", annotation_text="30 days",
                         annotation_position="top")
        figure.update_layout(
            font=FONT, height=max(240, 70 * len(chart) + 140), margin={"l": 10, "r": 10, "t": 30, "b": 10},
            xaxis={"title": "Age of the oldest open RAID item (days)"}, yaxis={"autorange": "reversed"},
        )
        st.plotly_chart(figure, width="stretch")
    common.table(
        frame, "RAID aging", "raid_aging.csv",
        column_config={
            "project_id": "Project",
            "project_name": "Name",
            "project_manager": "Project manager",
            "open_raid_items": st.column_config.NumberColumn("Open items", format="%d"),
            "open_risks": st.column_config.NumberColumn("Open risks", format="%d"),
            "open_issues": st.column_config.NumberColumn("Open issues", format="%d"),
            "oldest_open_item_days": st.column_config.NumberColumn("Oldest open item (days)", format="%d"),
            "documented_not_mitigated": st.column_config.NumberColumn(
                "Documented, not mitigated", format="%d",
                help="High or critical risks/issues open > 30 days without mitigation",
            ),
            "critical_documented_not_mitigated": st.column_config.NumberColumn("… of which critical", format="%d"),
            "open_decisions": st.column_config.NumberColumn("Open decisions", format="%d"),
            "overdue_decisions": st.column_config.NumberColumn("Overdue decisions", format="%d",
                                                               help="Open for more than 14 days"),
            "median_decision_latency_days": st.column_config.NumberColumn("Median decision latency (days)",
                                                                          format="%.0f"),
            "derived_rag": "Derived RAG",
        },
    )


def _history_section(f) -> None:
    st.subheader("Reported vs derived RAG over time")
    projects = delivery.history_projects(f)
    if projects.empty:
        st.info("No monthly health history for the projects in the filter.")
        return
    labels = dict(zip(projects["project_id"], projects["project_id"] + " " + projects["project_name"]))
    project_id = st.selectbox("Project", list(labels), format_func=labels.get, key="dh_history_project")
    history = delivery.health_history(project_id)
    if history.empty:
        st.info("No monthly history for this project.")
        return
    current = projects.set_index("project_id").loc[project_id]
    if bool(current["is_watermelon"]):
        streak = int(current["watermelon_months"])
        st.markdown(f"**{formatting.md(labels[project_id])}** has been a watermelon for "
                    f"**{streak} consecutive month(s)**.")
    months = history["period_month"]
    figure = go.Figure()
    for start in history.loc[history["is_watermelon"], "period_month"]:
        figure.add_vrect(x0=start - pd.Timedelta(days=14), x1=start + pd.Timedelta(days=14), fillcolor="#cf222e",
                         opacity=0.12, line_width=0)
    for column, name, dash in (("derived_rag", "Derived RAG", "solid"), ("reported_rag", "Reported RAG", "dash")):
        levels = history[column].map(RAG_LEVEL)
        figure.add_trace(go.Scatter(
            x=months, y=levels, name=name, mode="lines+markers", line={"shape": "hv", "width": 4, "dash": dash},
            marker={"size": 14, "color": [formatting.RAG_COLOURS.get(r, "#8c959f") for r in history[column].fillna("")],
                    "line": {"width": 1, "color": "#24292f"}},
            customdata=history[[column, "derived_rag_reasons"]].fillna("–").map(formatting.plot_text).values,
            hovertemplate=f"%{{x|%b %Y}}: {name.lower()} %{{customdata[0]}}<br>%{{customdata[1]}}<extra></extra>",
            connectgaps=False,
        ))
    figure.update_layout(
        font=FONT, height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"tickvals": [1, 2, 3], "ticktext": ["Green", "Amber", "Red"], "range": [0.6, 3.4], "title": None},
        xaxis={"title": None, "dtick": "M1", "tickformat": "%b %Y"},
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(figure, width="stretch")
    st.caption("Shaded months: reported green while derived red (a watermelon). A gap in the reported line is a "
               "month without any status report.")
    common.table(
        history, "monthly RAG history", f"rag_history_{project_id}.csv",
        column_config={
            "period_month": st.column_config.DateColumn("Month", format="MMM YYYY"),
            "reported_rag": "Reported",
            "derived_rag": "Derived",
            "is_watermelon": "Watermelon",
            "watermelon_streak_months": st.column_config.NumberColumn("Months as watermelon", format="%d"),
            "cpi": st.column_config.NumberColumn("CPI", format="%.2f"),
            "spi": st.column_config.NumberColumn("SPI", format="%.2f"),
            "max_key_slippage_days": st.column_config.NumberColumn("Worst key slippage (days)", format="%d"),
            "open_raid_items": st.column_config.NumberColumn("Open RAID items", format="%d"),
            "documented_not_mitigated": st.column_config.NumberColumn("Documented, not mitigated", format="%d"),
            "overdue_decisions": st.column_config.NumberColumn("Overdue decisions", format="%d"),
            "derived_rag_reasons": st.column_config.TextColumn("Why", width="large"),
        },
    )
