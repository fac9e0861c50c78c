"""The board pack's charts: cumulative realized vs planned value, one per portfolio and currency.

Each chart is an HTML fragment for the page (the plotly.js bundle inline in the first one only,
so the pack opens offline). Text from the data goes through `plot_esc`: plotly renders a subset
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


def trend_figures(trend: list[dict]) -> list[str]:
    """One chart per (portfolio, currency) of the rpt_portfolio_month rows, in their order."""
    import plotly.io as pio

    series: dict[tuple[str, str], list[dict]] = {}
    for r in trend:
        series.setdefault((r["portfolio"], r["currency"]), []).append(r)
    # Figures as plain dicts with the template resolved once: plotly's validating Figure objects
    # deep-copy the template per chart (~50 ms each, 15+ charts at scale).
    template = pio.templates["plotly_white"].to_plotly_json()
    out = []
    for (portfolio, currency), rows in series.items():
        symbol = CURRENCY_SYMBOLS.get(currency or "", "")
        fig = {
            "data": [
                _line(rows, "cumulative_planned_value", "planned", symbol,
                      {"mode": "lines", "line": {"dash": "dash", "color": PLANNED_COLOUR}}),
                _line(rows, "cumulative_realized_value", "realized", symbol,
                      {"mode": "lines+markers", "line": {"color": REALIZED_COLOUR}}),
            ],
            "layout": {
                "title": {
                    "text": f"{plot_esc(portfolio)} — cumulative realized vs planned value ({plot_esc(currency)})",
                    "x": 0.01,
                },
                "template": template, "height": 340, "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
                "font": {"family": FONT, "size": 13},
                "yaxis": {"tickprefix": symbol, "tickformat": ",.0f", "title": {"text": plot_esc(currency)}},
                "legend": {"orientation": "h", "y": -0.15},
            },
        }
        out.append(
            pio.to_html(
                fig, full_html=False, include_plotlyjs=not out, include_mathjax=False, validate=False,
                default_height="340px", default_width="100%",
                config={"displaylogo": False, "responsive": True},
            )
        )
    return out
