"""Source text made inert for the two renderers that interpret it: Streamlit markdown and
plotly's HTML subset. Numbers are formatted by pipelines.formatting (the one money, percent and
number formatter of the dashboard, the board pack and the CLI)."""

from __future__ import annotations

import html
import re
import string

from pipelines.formatting import MISSING, missing

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
    if missing(value):
        return MISSING
    text = " ".join(str(value).split())
    for pattern, replacement in _AUTOLINK_BREAKS:
        text = pattern.sub(replacement, text)
    return "".join(_MD_ESCAPES.get(c, c) for c in text)


def plot_text(value) -> str:
    """Source text for a plotly title, label, legend entry, tick, annotation or hover text.

    & < > as entities (plotly decodes &amp; &lt; &gt; and numeric ones, not &quot;: quotes stay as
    they are, harmless once no tag can open); $ as &#36; (`$...$` would be LaTeX to plotly).
    """
    if missing(value):
        return ""
    return html.escape(str(value), quote=False).replace("$", "&#36;")


def plot_series(series):
    """`plot_text` over a pandas Series (missing values stay missing)."""
    return series.map(plot_text).where(series.notna(), series)


def code_label(value) -> str:
    """A register code as a reader sees it: 'red' → 'Red', 'no report' → 'No report', 's_curve' →
    'S curve', 'cost_avoidance' → 'Cost avoidance' ('–' when missing). Benefit statuses have their
    own labels in the vocabulary (queries.vocabulary().label), never this."""
    if missing(value):
        return MISSING
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def heading(column: str) -> str:
    """A column name as a table heading when no better one is given: 'oldest_last_measurement' →
    'Oldest last measurement' (ids and percentages keep their usual spelling)."""
    words = str(column).replace("_", " ").split()
    words = [{"id": "id", "pct": "%", "kpi": "KPI", "rag": "RAG", "cpi": "CPI", "spi": "SPI", "fx": "FX"}
             .get(w.lower(), w) for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]
