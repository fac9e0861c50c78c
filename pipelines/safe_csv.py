"""The one CSV writer for everything a person may open in a spreadsheet (issue 11, item 8).

Source text (benefit names, owners, commentary) reaches alert files, dashboard downloads and
`brw sql --format csv`. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is a formula to Excel, LibreOffice and Google Sheets (CSV injection). Following the OWASP
rule, such a *text* cell is written with a leading single quote, so the spreadsheet shows it as
text; numbers, dates and booleans are written as they are (a negative number stays a number).
Quoting of delimiters and embedded quotes is the csv module's. Lines end with \n; a file with a
carriage return inside a text cell ends that row (write_dict_rows) or every row (frame_to_csv)
with \r\n, the RFC 4180 line end: the csv module quotes a cell only for the characters of its
line terminator, and an unquoted CR would split the row when the file is read.
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
    for position in range(out.shape[1]):  # by position: a repeated column name is still one column
        series = out.iloc[:, position]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out.isetitem(position, series.map(escape_cell))
    out.columns = [escape_cell(c) for c in out.columns]  # a column alias can be a formula too
    return out


def _has_cr(value: Any) -> bool:
    return isinstance(value, str) and "\r" in value


def _line_end(cells: Iterable[Any]) -> str:
    return "\r\n" if any(_has_cr(v) for v in cells) else "\n"


def frame_to_csv(frame: pd.DataFrame, out: IO[str] | None = None) -> str | None:
    """Write `frame` as CSV (header, no index) with text cells escaped; returns the text when
    `out` is None."""
    escaped = escape_frame(frame)
    columns = [escaped.iloc[:, i] for i in range(escaped.shape[1])]
    text = [series for series in columns if not pd.api.types.is_numeric_dtype(series)]
    line_end = _line_end([*map(str, escaped.columns), *(v for series in text for v in series)])
    return escaped.to_csv(out, index=False, lineterminator=line_end)


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes for a download button."""
    return (frame_to_csv(frame) or "").encode("utf-8")


def write_dict_rows(
    out: IO[str], fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]], header: bool = True
) -> None:
    """csv.DictWriter with every text cell escaped (for files written row by row)."""
    writers = {end: csv.DictWriter(out, fieldnames=list(fieldnames), lineterminator=end) for end in ("\n", "\r\n")}
    if header:
        writers[_line_end(fieldnames)].writerow({name: escape_cell(name) for name in fieldnames})
    for row in rows:
        cells = {k: escape_cell(v) for k, v in row.items()}
        writers[_line_end(cells.values())].writerow(cells)


def rows_to_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    write_dict_rows(buffer, fieldnames, rows)
    return buffer.getvalue()
