"""Delivery health: reported RAG next to the objective, derived one (SPEC section 6).

The board's first question is which projects are watermelons — reported green, derived red —
and for how long. Then: benefits reported green that are not, earned value, client margin
leaking away, RAID items left unmitigated and decisions not taken.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, formatting, queries
from dashboards.queries import delivery
from dashboards.views import common, tables
from dashboards.views.chart_labels import text_positions
from pipelines.formatting import CURRENCY_SYMBOLS, count, money

RAG_LEVEL = {"green": 1, "amber": 2, "red": 3}
RAG_COLOURS = {"green": "#2da44e", "amber": "#d4a72c", "red": "#cf222e"}
FONT = {"size": 18}


def render() -> None:
    if not common.warehouse_ready():
        return
    f = filters.current()
    currency = common.currency_in_use(f.currency)
    t = queries.threshold_text

    st.title("Delivery health")
    st.caption(
        "Reported RAG is what the project says; derived RAG is computed from earned value, key milestones, "
        f"RAID items and decisions (red: CPI < {t('cpi_red_below')} or SPI < {t('spi_red_below')}, a key "
        f"milestone > {t('slippage_red_over_days')} days late, a critical risk or issue open "
        f"> {t('mitigation_overdue_days')} days without mitigation; amber: CPI < {t('cpi_amber_below')} or "
        f"SPI < {t('spi_amber_below')}, > {t('slippage_amber_over_days')} days late, a decision open "
        f"> {t('decision_overdue_days')} days, such a high item). A *watermelon* reports green while its derived "
        "RAG is red."
    )

    summary = delivery.health_summary(f).iloc[0]
    if int(summary["projects"]) == 0:
        st.info("No project matches the filters.")
        return
    leakage = delivery.margin_leakage(f, currency)
    cols = st.columns(5)
    cols[0].metric(
        f"Margin leakage ({formatting.md(currency)})",
        money(leakage["margin_leakage"].sum(min_count=1), currency, compact=True),
        help=f"Planned minus forecast margin of client projects in {formatting.md(currency)}",
    )
    cols[1].metric("Projects", count(summary["projects"]))
    cols[2].metric("Derived red", count(summary["derived_red"]))
    cols[3].metric("Watermelons", count(summary["watermelons"]), help="Reported green, derived red")
    cols[4].metric(
        "Benefits watermelons", count(summary["benefits_watermelons"]),
        help=f"Benefits reported green while a benefit is {formatting.md(_flagging_statuses())}",
    )

    # a link to one project (?project_id=…, from the overview or the board pack) opens with its history
    from_link = st.query_params.get("project_id") is not None
    if from_link:
        _history_section(f)
    _watermelon_section(f)
    _rag_matrix_section(f)
    _benefits_watermelon_section(f)
    _indices_section(f)
    _margin_section(f, leakage, currency)
    _raid_section(f)
    if not from_link:
        _history_section(f)


def _watermelon_section(f) -> None:
    st.subheader("Watermelon projects")
    frame = delivery.watermelons(f)
    if frame.empty:
        st.success("No watermelon: no project reports green while its measures are red.")
        return
    tables.show(
        frame, "watermelon projects", "watermelon_projects.csv",
        ["project_id", "project_name", "watermelon_months", "derived_rag_reasons", "sponsor", "project_manager"],
        derived_rag_reasons=st.column_config.TextColumn("Why derived red", width=380), row_height=72,
    )


MATRIX_HOVER_NAMES = 8  # a cell's hover lists its projects up to this many, then "and N more"


def _rag_matrix_section(f) -> None:
    st.subheader("Reported vs derived RAG")
    long = delivery.rag_matrix(f)
    projects = delivery.performance_indices(f)
    reported = [*delivery.RAG_ORDER, delivery.NO_REPORT]
    counts = long.pivot(index="reported_rag", columns="derived_rag", values="projects").reindex(
        index=reported, columns=list(delivery.RAG_ORDER)
    )
    names = dict(zip(projects["project_id"], projects["project_name"]))
    ids = long.pivot(index="reported_rag", columns="derived_rag", values="project_ids").reindex(
        index=reported, columns=list(delivery.RAG_ORDER)
    )

    def cell_hover(cell_ids: str) -> str:  # plotly HTML: ids and names escaped
        listed = [i for i in cell_ids.split(", ") if i]
        lines = [formatting.plot_text(f"{i} {names.get(i, '')}".strip()) for i in listed[:MATRIX_HOVER_NAMES]]
        if len(listed) > MATRIX_HOVER_NAMES:
            lines.append(f"and {len(listed) - MATRIX_HOVER_NAMES} more")
        return "<br>".join(lines)

    # a cell shows its count only (ids would spill over the cell); the projects are in the hover and,
    # where report and measures disagree, in the list beside the chart
    hover = [[cell_hover(ids.iloc[i, j]) for j in range(ids.shape[1])] for i in range(ids.shape[0])]
    figure = go.Figure(
        go.Heatmap(
            z=counts.astype(int).values.tolist(), x=[f"derived {c}" for c in counts.columns], y=[f"reported {r}" for r in counts.index],
            text=[[f"{int(v):,}" for v in row] for row in counts.values], texttemplate="<b>%{text}</b>",
            textfont={"size": 22}, colorscale="Blues", showscale=False, customdata=hover,
            hovertemplate="%{y}, %{x}: %{z} project(s)<br>%{customdata}<extra></extra>", xgap=3, ygap=3,
        )
    )
    # the watermelon cell: reported green, derived red
    figure.add_shape(type="rect", x0=1.5, x1=2.5, y0=-0.5, y1=0.5, line={"color": RAG_COLOURS["red"],
                                                                         "width": 5})
    figure.update_layout(
        font=FONT, height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"}, xaxis={"side": "top"},
    )
    left, right = st.columns([1, 1])
    with left:
        st.plotly_chart(figure, width="stretch", key="rag_matrix")
        st.caption("Projects by latest reported overall RAG (rows) and derived RAG (columns). The outlined cell "
                   "holds the watermelons; below the diagonal, reports are more optimistic than the measures. "
                   "Hover a cell for its projects.")
        common.download(counts.rename_axis(index="reported \\ derived").reset_index(), "RAG matrix", "rag_matrix.csv")
    with right:
        level = {rag: i for i, rag in enumerate(delivery.RAG_ORDER)}
        gap = projects["derived_rag"].map(level) - projects["reported_rag"].map(level)
        rosier = projects[(gap > 0) | projects["reported_rag"].isna()]
        # the widest gap first (reported green, derived red), then the worse derived RAG; no report last
        rosier = rosier.iloc[sorted(range(len(rosier)), key=lambda i: (
            -(gap[rosier.index[i]] if pd.notna(gap[rosier.index[i]]) else -1),
            -level.get(rosier["derived_rag"].iloc[i], -1), rosier["project_id"].iloc[i]))]
        st.markdown("**Reported better than measured, or not reported**")
        if rosier.empty:
            st.success("Every project's report is as good as or worse than its measures.")
        else:
            tables.show(rosier.fillna({"reported_rag": delivery.NO_REPORT}), "projects reported better than measured",
                        "rag_disagreements.csv", ["project_id", "project_name", "reported_rag", "derived_rag"],
                        project_name=st.column_config.TextColumn("Name", width=200))


def _flagging_statuses() -> str:
    """The statuses that make a project reporting benefits green a benefits watermelon, in words."""
    vocabulary = queries.vocabulary()
    return common.in_words([s.label for s in vocabulary.statuses if s.flags_benefits_watermelon], "or")


def _benefits_watermelon_section(f) -> None:
    st.subheader("Benefits watermelons")
    frame = delivery.benefits_watermelons(f)
    if frame.empty:
        st.success(f"No project reports its benefits green while one of them is {_flagging_statuses()}.")
        return
    tables.show(
        frame, "benefits watermelons", "benefits_watermelons.csv",
        ["project_id", "project_name", "flagged_benefits", "flagged_benefit_statuses", "owners", "stage",
         "last_report_date"],  # flagged_benefit_list (the same benefits with status codes) is in the CSV
        project_name=st.column_config.TextColumn("Name", width=220),
        flagged_benefit_statuses=st.column_config.TextColumn(f"Benefits {_flagging_statuses()}", width=240),
    )


def _reference_lines(figure: go.Figure) -> None:
    """The derived RAG's CPI (vertical) and SPI (horizontal) thresholds, red and amber, dashed."""
    threshold = queries.vocabulary().threshold
    for rag in ("red", "amber"):
        style = {"line_dash": "dash", "line_color": RAG_COLOURS[rag], "line_width": 2}
        cpi, spi = f"cpi_{rag}_below", f"spi_{rag}_below"
        figure.add_vline(x=float(threshold(cpi)), annotation_text=f"CPI {queries.threshold_text(cpi)}",
                         annotation_position="top", **style)
        figure.add_hline(y=float(threshold(spi)), annotation_text=f"SPI {queries.threshold_text(spi)}",
                         annotation_position="right", **style)


def _indices_section(f) -> None:
    st.subheader("Cost and schedule performance")
    frame = delivery.performance_indices(f)
    points = frame.dropna(subset=["cpi", "spi"])
    if points.empty:
        st.info("No project in the filter has earned-value figures yet.")
    else:
        low = min(0.7, points["cpi"].min() - 0.05, points["spi"].min() - 0.05)
        high = max(1.15, points["cpi"].max() + 0.05, points["spi"].max() + 0.05)
        # only the outliers, derived red, carry a label, placed where it overprints no other label or
        # point; the crowd near CPI = SPI = 1 is read by hovering (id, name, CPI, SPI, reported RAG)
        labelled = points["derived_rag"] == "red"
        points = points.assign(textposition=text_positions(
            points["cpi"], points["spi"], points["project_id"].where(labelled, None), (low, high), (low, high)))
        figure = go.Figure()
        for rag in delivery.RAG_ORDER:
            subset = points[points["derived_rag"] == rag]
            if subset.empty:
                continue
            # text labels and hover text are plotly HTML: ids and names escaped
            figure.add_trace(go.Scatter(
                x=subset["cpi"], y=subset["spi"], mode="markers+text" if rag == "red" else "markers",
                name=f"derived {rag}", text=formatting.plot_series(subset["project_id"]), textfont={"size": 15},
                textposition=subset["textposition"].fillna("top center").tolist(),
                marker={"size": 18, "color": RAG_COLOURS[rag], "opacity": 0.8,
                        "line": {"width": 1, "color": "#24292f"}},
                customdata=subset[["project_name", "reported_rag"]].fillna("no report").map(formatting.plot_text).values,
                hovertemplate="%{text} %{customdata[0]}<br>CPI %{x:.2f} · SPI %{y:.2f}<br>"
                              "reported %{customdata[1]}<extra></extra>",
            ))
        _reference_lines(figure)
        figure.update_layout(
            font=FONT, height=560, margin={"l": 10, "r": 60, "t": 40, "b": 10},
            xaxis={"title": "CPI (earned value / actual cost)", "range": [low, high]},
            yaxis={"title": "SPI (earned value / planned value)", "range": [low, high]},
            legend={"orientation": "h", "y": -0.15},
        )
        st.plotly_chart(figure, width="stretch", key="cpi_spi")
    missing = frame[frame["cpi"].isna() | frame["spi"].isna()]
    if not missing.empty:
        st.caption(
            f"Without CPI/SPI (no financials, or a zero divisor): {formatting.md(', '.join(missing['project_id']))}."
        )
    tables.show(
        frame, "CPI and SPI", "performance_indices.csv",
        ["project_id", "project_name", "cpi", "spi", "max_key_slippage_days", "derived_rag", "reported_rag",
         "derived_rag_reasons"],
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
        labels = [money(v, currency) for v in chart["margin_leakage"]]
        figure = go.Figure(go.Bar(
            x=chart["margin_leakage"], y=formatting.plot_series(chart["project_id"] + " " + chart["project_name"]),
            orientation="h",
            text=labels, textposition="outside", textangle=0, cliponaxis=False, textfont={"size": 18},
            marker_color=[RAG_COLOURS["red"] if v > 0 else RAG_COLOURS["green"]
                          for v in chart["margin_leakage"]],
            customdata=[[money(p, currency), money(q, currency), money(u, currency)]
                        for p, q, u in chart[["planned_margin", "forecast_margin",
                                              "unbilled_approved_change_cost"]].itertuples(index=False)],
            hovertemplate="%{y}<br>leakage %{text}<br>planned margin %{customdata[0]}<br>forecast margin "
                          "%{customdata[1]}<br>unbilled approved changes %{customdata[2]}<extra></extra>",
        ))
        symbol = CURRENCY_SYMBOLS.get(currency or "")
        figure.update_layout(
            font=FONT, height=max(260, 80 * len(chart) + 140), margin={"l": 10, "r": 120, "t": 10, "b": 10},
            xaxis={"title": f"Planned minus forecast margin ({formatting.plot_text(currency)})",
                   "tickprefix": symbol or "", "ticksuffix": "" if symbol else f" {formatting.plot_text(currency)}",
                   "separatethousands": True},
            yaxis={"autorange": "reversed"},
        )
        st.plotly_chart(figure, width="stretch")
    tables.show(
        frame, "margin leakage", "margin_leakage.csv",
        ["project_id", "project_name", "margin_leakage", "planned_margin", "forecast_margin",
         "unbilled_approved_change_cost", "pending_change_requests", "contract_value"], currency,
    )


def _raid_section(f) -> None:
    st.subheader("RAID aging and overdue decisions")
    frame = delivery.raid_aging(f)
    open_items = frame[(frame["open_raid_items"] > 0) | (frame["overdue_decisions"] > 0)]
    if open_items.empty:
        st.success("No open RAID item and no overdue decision in the filter.")
    else:
        # oldest first; one trace per derived RAG, so the colours have a legend
        chart = open_items.fillna({"oldest_open_item_days": 0}).sort_values(
            ["oldest_open_item_days", "project_id"], ascending=[False, True])
        chart = chart.assign(project=formatting.plot_series(chart["project_id"] + " " + chart["project_name"]))
        figure = go.Figure()
        for rag in (*delivery.RAG_ORDER[::-1], None):
            part = chart[chart["derived_rag"] == rag] if rag else chart[~chart["derived_rag"].isin(delivery.RAG_ORDER)]
            if part.empty:
                continue
            figure.add_trace(go.Bar(
                x=part["oldest_open_item_days"], y=part["project"], orientation="h",
                name=f"derived {rag}" if rag else "no derived RAG",
                text=[f"{int(d)} days" for d in part["oldest_open_item_days"]], textposition="auto",
                textfont={"size": 16}, marker_color=RAG_COLOURS.get(rag, "#8c959f"),
                customdata=part[["open_raid_items", "overdue_decisions"]].values,
                hovertemplate="%{y}: oldest open item %{x} days<br>%{customdata[0]} open item(s), "
                              "%{customdata[1]} overdue decision(s)<extra></extra>",
            ))
        overdue = queries.threshold_text("mitigation_overdue_days")
        figure.add_vline(x=float(overdue), line_dash="dash", line_color="#57606a")
        # its label above the plot (inside, it would sit on the first bar), the legend at the other end
        figure.add_annotation(x=float(overdue), y=1, yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                              text=f"{overdue} days: mitigation overdue", font={"size": 14, "color": "#57606a"})
        figure.update_layout(
            font=FONT, height=max(260, 44 * len(chart) + 160), margin={"l": 10, "r": 10, "t": 40, "b": 10},
            xaxis={"title": "Age of the oldest open RAID item (days)"},
            yaxis={"categoryorder": "array", "categoryarray": chart["project"].tolist(), "autorange": "reversed",
                   "tickfont": {"size": 14}},
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right",
                    "traceorder": "normal"},
            bargap=0.25,
        )
        st.plotly_chart(figure, width="stretch", key="raid_aging")
    tables.show(
        frame, "RAID aging", "raid_aging.csv",
        ["project_id", "project_name", "derived_rag", "oldest_open_item_days", "open_raid_items",
         "documented_not_mitigated", "critical_documented_not_mitigated", "open_decisions", "overdue_decisions",
         "median_decision_latency_days"],
    )


def _history_section(f) -> None:
    st.subheader("Reported vs derived RAG over time")
    projects = delivery.history_projects(f)
    if projects.empty:
        st.info("No monthly health history for the projects in the filter.")
        return
    labels = dict(zip(projects["project_id"], projects["project_id"] + " " + projects["project_name"]))
    wanted = st.query_params.get("project_id")
    if wanted is not None and wanted not in labels:
        st.caption(f"{formatting.md(wanted)} has no monthly health history within the sidebar filters.")
    common.pick_from_url("project_id", "dh_history_project", list(labels))
    project_id = st.selectbox("Project", list(labels), format_func=labels.get, key="dh_history_project")
    if wanted is not None:
        common.keep_in_url("project_id", "dh_history_project", project_id)
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
            marker={"size": 14, "color": [RAG_COLOURS.get(r, "#8c959f") for r in history[column].fillna("")],
                    "line": {"width": 1, "color": "#24292f"}},
            customdata=history[[column, "derived_rag_reasons"]].fillna("–").map(formatting.plot_text).values,
            hovertemplate=f"%{{x|%b %Y}}: {name.lower()} %{{customdata[0]}}<br>%{{customdata[1]}}<extra></extra>",
            connectgaps=False,
        ))
    figure.update_layout(
        font=FONT, height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"tickvals": [1, 2, 3], "ticktext": ["Green", "Amber", "Red"], "range": [0.6, 3.4], "title": None},
        xaxis={"title": None, "dtick": "M1" if len(history) <= 12 else "M3", "tickformat": "%b %Y"},
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(figure, width="stretch")
    st.caption("Shaded months: reported green while derived red (a watermelon). A gap in the reported line is a "
               "month without any status report.")
    tables.show(
        history, "monthly RAG history", f"rag_history_{project_id}.csv",
        ["period_month", "reported_rag", "derived_rag", "watermelon_streak_months", "cpi", "spi",
         "max_key_slippage_days", "documented_not_mitigated", "overdue_decisions", "derived_rag_reasons"],
        derived_rag_reasons=st.column_config.TextColumn("Why", width=290),
    )
