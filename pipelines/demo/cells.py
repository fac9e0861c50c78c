"""How values are spelled in the generated files: ISO dates, fixed decimals, money, booleans."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc


def iso_cell(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def number_cell(x: float | None, dec: int) -> str:
    if x is None:
        return ""
    if dec <= 0:
        return str(int(round(x)))
    return f"{round(float(x), dec):.{dec}f}"


def money_cell(x: float) -> str:
    return f"{round(float(x), 2):.2f}"


def bool_cell(v: bool) -> str:
    return "true" if v else "false"


def value_cell(v: float, dec: int) -> str:
    """A measurement value spelled as the CSV measurement files spell it (arrow's cast)."""
    return pc.cast(pa.array([round(float(v), dec) + 0.0]), pa.string())[0].as_py()
