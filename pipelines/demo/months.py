"""Calendar arithmetic for the generator: months as integers (year * 12 + month - 1), days as
integers (days since 1970-01-01), so month and day steps are exact and vectorise with numpy."""

from __future__ import annotations

from datetime import date, timedelta


def month_of(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_date(ym: int, day: int = 1) -> date:
    return date(ym // 12, ym % 12 + 1, day)


def month_end(ym: int) -> date:
    return month_date(ym + 1) - timedelta(days=1)


def clamped_month_date(ym: int, day: int) -> date:
    """Day ``day`` of month ``ym``, or the month's last day if it is shorter."""
    return month_date(ym, min(day, month_end(ym).day))


EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def date_of_day(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def weekend_to_friday(d: date) -> date:
    """Move a weekend date back to the Friday before."""
    wd = d.weekday()
    return d - timedelta(days=wd - 4) if wd >= 5 else d
