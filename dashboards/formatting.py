"""Numbers as a board reads them: currency, thousands separators, percentages; and source text
made inert for the two renderers that interpret it (Streamlit markdown, plotly's HTML subset)."""

from __future__ import annotations

import html
import math
import re
import string

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value, currency: str | None, compact: bool = True) -> str:
    if _missing(value):
        return "–"
    symbol = SYMBOLS.get(currency or "", "")
    suffix = "" if symbol or not currency else f" {currency}"
    sign = "−" if value < 0 else ""
    amount = abs(float(value))
    if compact and amount >= 1e6:
        text = f"{amount / 1e6:,.2f}m"
    elif compact and amount >= 1e4:
        text = f"{amount / 1e3:,.0f}k"
    else:
        text = f"{amount:,.0f}"
    return f"{sign}{symbol}{text}{suffix}"


def pct(value, digits: int = 0) -> str:
    return "–" if _missing(value) else f"{float(value) * 100:.{digits}f}%"


def number(value, unit: str | None = None, digits: int = 1) -> str:
    if _missing(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    return f"{text} {unit}" if unit else text


# Source text (benefit names, owners, portfolios, commentary ...) comes from the registers and is
# shown as written, never interpreted (issue 11, item 9). st.markdown, st.title/header/subheader,
# st.caption, st.info/warning/error/success, metric labels, values and help, expander and tab
# labels render Markdown (and HTML where unsafe_allow_html=True): `md` is for those. Plotly
# renders a subset of HTML (<a href>, <b>, <span style>, <br> ...) in titles, axis and tick labels,
# legend names, text labels, annotations and hover text: `plot_text` / `plot_series` are for those.
# st.dataframe cells, selectbox/multiselect options and download files are plain text already.

# every ASCII punctuation mark is backslash-escaped (CommonMark), except the five HTML specials,
# which become entities: both are literal text to Markdown, to rehype-raw and to the browser.
_MD_ESCAPES = {c: "\\" + c for c in string.punctuation}
_MD_ESCAPES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


# Streamlit's GFM turns URL- and e-mail-like *text* into links after the escapes are resolved
# (http://x, www.x, a@b.c): an invisible word joiner after ':' and before '@' and '.' of 'www.'
# keeps such text plain (it also keeps :emoji: and :material/icon: shortcodes from being replaced).
_WORD_JOINER = "\u2060"
_AUTOLINK_BREAKS = (
    (re.compile(r":"), ":" + _WORD_JOINER),
    (re.compile(r"@"), _WORD_JOINER + "@"),
    (re.compile(r"(www)(?=\.)", re.IGNORECASE), r"\1" + _WORD_JOINER),
)


def md(value) -> str:
    """Source text as literal text inside Streamlit markdown (with or without unsafe_allow_html).

    Line breaks and runs of whitespace become one space, so the text cannot start a heading, list,
    quote or code block; no link, autolink, image, emphasis, colour directive, LaTeX or HTML tag
    survives. What the reader sees is the text as written.
    """
    if _missing(value):
        return "–"
    text = " ".join(str(value).split())
    for pattern, replacement in _AUTOLINK_BREAKS:
        text = pattern.sub(replacement, text)
    return "".join(_MD_ESCAPES.get(c, c) for c in text)


def plot_text(value) -> str:
    """Source text for a plotly title, label, legend entry, tick, annotation or hover text.

    & < > as entities (plotly decodes &amp; &lt; &gt; and numeric ones, not &quot;: quotes stay as
    they are, harmless once no tag can open); $ as &#36; (`$...$` would be LaTeX to plotly).
    """
    if _missing(value):
        return ""
    return html.escape(str(value), quote=False).replace("$", "&#36;")


def plot_series(series):
    """`plot_text` over a pandas Series (missing values stay missing)."""
    return series.map(plot_text).where(series.notna(), series)


STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#2da44e",
    "within_tolerance": "#57ab5a",
    "at_risk": "#d4a72c",
    "off_track": "#cf222e",
    "eroding": "#e16f24",
    "stale": "#8250df",
    "exceeded": "#a40e26",
    "not_started": "#8c959f",
    "tracking_ended": "#6e7781",
    "no_baseline": "#424a53",
}
RAG_COLOURS = {"green": "#2da44e", "amber": "#d4a72c", "red": "#cf222e"}
ATTENTION_STATUSES = ("off_track", "eroding", "stale", "exceeded")
