"""The board pack's chart: cumulative realized vs planned value, small multiples, one panel per
portfolio and currency (each on its own money axis: amounts are never added across currencies).

The chart is an HTML fragment for the page (the plotly.js bundle inline, so the pack opens
offline). Text from the data goes through `plot_esc`: plotly renders a subset
of HTML in titles, labels and hover text.
"""

from __future__ import annotations

import html
from typing import Any

from pipelines.formatting import CURRENCY_SYMBOLS

PLANNED_COLOUR, REALIZED_COLOUR = "#9aa5b1", "#1f4e79"
FONT = "-apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"


def plot_esc(v: Any) -> str:
    """Text from the data in a plotly title, label or hover text. Plotly renders a subset of HTML
    (<a href>, <b>, <span style> ...) and decodes &amp; &lt; &gt; and numeric entities only (not
    &quot;, so quotes stay as they are); `$...$` would be LaTeX, so $ is &#36;."""
    return html.escape("" if v is None else str(v), quote=False).replace("$", "&#36;")


def _line(rows: list[dict], column: str, name: str, symbol: str, style: dict) -> dict:
    return {
        "type": "scatter", "x": [r["period_month"] for r in rows], "y": [r[column] for r in rows],
        "name": f"{name} (cumulative)", "hovertemplate": "%{x|%b %Y}: " + symbol + "%{y:,.0f}<extra>" + name + "</extra>",
        **style,
    }


PANEL_COLUMNS, PANEL_HEIGHT = 3, 210  # small multiples: panels per row, pixels per row of panels


def trend_figure(trend: list[dict]) -> str:
    """One small-multiples chart of the rpt_portfolio_month rows: a panel per (portfolio,
    currency), in their order, realized (solid) against planned (dashed)."""
    import plotly.io as pio

    series: dict[tuple[str, str], list[dict]] = {}
    for r in trend:
        series.setdefault((r["portfolio"], r["currency"]), []).append(r)
    # A plain dict with the template resolved once (plotly's validating Figure objects are slow).
    template = pio.templates["plotly_white"].to_plotly_json()
    columns = min(PANEL_COLUMNS, len(series))
    rows = -(-len(series) // columns)
    gap_x, gap_y = 0.06, 55 / (rows * PANEL_HEIGHT)  # room for the x ticks and the next panel's title
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * (rows - 1)) / rows
    data, annotations, layout = [], [], {}
    for i, ((portfolio, currency), part) in enumerate(series.items()):
        n = "" if i == 0 else str(i + 1)
        row, col = divmod(i, columns)
        x0, y1 = col * (width + gap_x), 1 - row * (height + gap_y)
        symbol = CURRENCY_SYMBOLS.get(currency or "", "")
        for column, name, style in (
            ("cumulative_planned_value", "planned", {"mode": "lines", "line": {"dash": "dash", "color": PLANNED_COLOUR}}),
            ("cumulative_realized_value", "realized", {"mode": "lines", "line": {"color": REALIZED_COLOUR, "width": 2.5}}),
        ):
            data.append({**_line(part, column, name, symbol, style), "xaxis": f"x{n}", "yaxis": f"y{n}",
                         "showlegend": False})  # the section's lead says which line is which
        layout[f"xaxis{n}"] = {"domain": [x0, x0 + width], "anchor": f"y{n}", "nticks": 5}
        layout[f"yaxis{n}"] = {"domain": [y1 - height, y1], "anchor": f"x{n}", "tickprefix": symbol,
                               "tickformat": "~s", "nticks": 4, "rangemode": "tozero"}
        annotations.append({
            "text": f"<b>{plot_esc(portfolio)}</b> ({plot_esc(currency)})", "showarrow": False,
            "xref": "paper", "yref": "paper", "x": x0, "y": y1, "xanchor": "left", "yanchor": "bottom",
            "font": {"size": 13},
        })
    total_height = rows * PANEL_HEIGHT + 70
    fig = {
        "data": data,
        "layout": {
            **layout, "annotations": annotations, "template": template, "height": total_height,
            "margin": {"l": 50, "r": 20, "t": 30, "b": 30}, "font": {"family": FONT, "size": 12},
        },
    }
    return pio.to_html(
        fig, full_html=False, include_plotlyjs=True, include_mathjax=False, validate=False,
        default_height=f"{total_height}px", default_width="100%", config={"displaylogo": False, "responsive": True},
    )
