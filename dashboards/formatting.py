"""Numbers as a board reads them: currency, thousands separators, percentages."""

from __future__ import annotations

import math

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
