"""Numbers as a board reads them, the one formatter of the dashboard, the board pack and the CLI.

Money in whole units with the currency's symbol (£1,234,567) or its code after the amount
(1,234 CHF), compact on tiles and axes (£1.23m, £45k); a typographic minus (−£56); percentages
without decimals unless asked; '–' for a missing value everywhere. dbt computes the values;
this module only turns them into text. `markdown_text` keeps source text literal inside Dagster's
Markdown metadata (the alerts preview, quarantine samples, check tables).
"""

from __future__ import annotations

import math
import re
import string
from datetime import date, datetime

MISSING = "–"
MINUS = "−"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}


def missing(value) -> bool:
    """None, NaN and pandas' NaT/NA are all 'no value'."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):  # pandas' NA: its comparisons are NA, which has no truth value
        return type(value).__name__ == "NAType"


def money(value, currency: str | None, compact: bool = False) -> str:
    """£1,234,567 / −€56 / 1,234 CHF; compact: £1.23m, £45k, £980. '–' when missing."""
    if missing(value):
        return MISSING
    amount = float(value)
    sign = MINUS if round(amount) < 0 else ""
    amount = abs(amount)
    if compact and amount >= 1e6:
        text = f"{amount / 1e6:,.2f}m"
    elif compact and amount >= 1e4:
        text = f"{amount / 1e3:,.0f}k"
    else:
        text = f"{amount:,.0f}"
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency or ''}".rstrip()


def pct(value, digits: int = 0) -> str:
    """0.8123 → 81%; '–' when missing."""
    if missing(value):
        return MISSING
    text = f"{abs(float(value)) * 100:.{digits}f}%"
    return MINUS + text if round(float(value) * 100, digits) < 0 else text


def number(value, unit: str | None = None, digits: int = 1) -> str:
    """12,345.6 kWh; '–' when missing."""
    if missing(value):
        return MISSING
    text = f"{abs(float(value)):,.{digits}f}"
    if round(float(value), digits) < 0:
        text = MINUS + text
    return f"{text} {unit}" if unit else text


def count(value) -> str:
    """1,234; '–' when missing."""
    return MISSING if missing(value) else f"{int(value):,}"


def month_label(month: date | datetime | None) -> str:
    """2026-03-01 → March 2026."""
    return MISSING if missing(month) else month.strftime("%B %Y")


def plain_value(value) -> str:
    """A stored value as text in a sentence: 120 (not 120.0), 1,200,000, 2026-06-30, linear, none."""
    if missing(value):
        return "none"
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# Markdown (the Dagster UI renders metadata as Markdown): the punctuation that makes links, images,
# autolinks, code, tables, emphasis or LaTeX backslash-escaped, the HTML specials as entities,
# whitespace runs as one space. Left as is: _ - , / % ' which cannot make a link or a tag, so
# "off_track" and "Self-service" stay readable in the raw preview.
_MARKDOWN_ESCAPES = {c: "\\" + c for c in string.punctuation if c not in "_-,/%'"}
_MARKDOWN_ESCAPES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
# GFM links URL- and e-mail-like text even when escaped: a word joiner (invisible) after ':' and
# before '@' and the '.' of 'www.' keeps it text.
_AUTOLINK_BREAKS = ((":", ":\u2060"), ("@", "\u2060@"))
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)


def markdown_text(value) -> str:
    """Source text as literal text in a Dagster Markdown cell or line; '' when None."""
    text = " ".join(("" if value is None else str(value)).split())
    for old, new in _AUTOLINK_BREAKS:
        text = text.replace(old, new)
    text = _WWW.sub("\\1\u2060", text)
    return "".join(_MARKDOWN_ESCAPES.get(c, c) for c in text)
