"""The one CSV writer for everything a person may open in a spreadsheet (issue 11, item 8).

Source text (benefit names, owners, commentary) reaches alert files, dashboard downloads and
`brw sql --format csv`. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is a formula to Excel, LibreOffice and Google Sheets (CSV injection). Following the OWASP
rule, such a *text* cell is written with a leading single quote, so the spreadsheet shows it as
text; numbers, dates and booleans are written as they are (a negative number stays a number).
Quoting of delimiters and embedded quotes is the csv module's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A text value that a spreadsheet would run as a formula, made inert; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells are escaped; numeric, date and bool columns untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = series.map(escape_cell)
    return out


def frame_to_csv(frame: pd.DataFrame, out: IO[str] | None = None) -> str | None:
    """Write `frame` as CSV (header, no index) with text cells escaped; returns the text when
    `out` is None."""
    return escape_frame(frame).to_csv(out, index=False)


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes for a download button."""
    return (frame_to_csv(frame) or "").encode("utf-8")


def write_dict_rows(
    out: IO[str], fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]], header: bool = True
) -> None:
    """csv.DictWriter with every text cell escaped (for files written row by row)."""
    writer = csv.DictWriter(out, fieldnames=list(fieldnames), lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: escape_cell(v) for k, v in row.items()})


def rows_to_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    write_dict_rows(buffer, fieldnames, rows)
    return buffer.getvalue()
