"""What one ad-hoc query may cost (issue 11, item 7), and what it returned.

`Limits` is one set of bounds for the dashboard's console (`CONSOLE_LIMITS`) and `brw sql`
(`CLI_LIMITS`): rows and Arrow bytes of the result (reading stops there, `truncated_by` says
which), seconds, and the resident memory of the worker process the query runs in. Sizes read and
print in DuckDB's units (`parse_size`, `human_size`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_UNITS = {
    "": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}


def parse_size(text: str | int | None) -> int | None:
    """'64MB', '4GB', '512MiB', '1000000' (bytes) -> bytes, DuckDB's units (KB = 1000, KiB = 1024);
    None, '' , '0' and 'none' mean no limit (None)."""
    if text is None:
        return None
    if isinstance(text, int):
        return text or None
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("", "0", "none", "off", "unlimited"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]*)", cleaned)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"cannot read {text!r} as a size (e.g. 64MB, 4GB, 512MiB)")
    value = int(float(match.group(1)) * _UNITS[match.group(2)])
    return value or None


def human_size(size: int | None) -> str:
    if size is None:
        return "no limit"
    for unit, factor in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class Limits:
    """What one ad-hoc query may cost. None = no limit."""

    max_rows: int | None = None  # rows returned; more existing -> truncated_by "rows"
    max_bytes: int | None = None  # Arrow bytes of the result; more -> truncated_by "bytes"
    timeout_s: float | None = None  # stopped (QueryTimeout) at this many seconds
    memory_limit: int | None = None  # bytes: hard cap on the worker process; None runs in-process
    threads: int | None = 2
    external_access: bool = False  # files, URLs, extensions

    def describe(self) -> str:
        parts = []
        if self.max_rows is not None:
            parts.append(f"{self.max_rows:,} rows")
        if self.max_bytes is not None:
            parts.append(f"{human_size(self.max_bytes)} of results")
        if self.timeout_s:
            parts.append(f"{self.timeout_s:g} s")
        if self.memory_limit is not None:
            parts.append(f"{human_size(self.memory_limit)} of memory")
        return ", ".join(parts) or "no limits"


# The dashboard's SQL console: shared by every session of one server.
CONSOLE_LIMITS = Limits(max_rows=5_000, max_bytes=64 * 1000**2, timeout_s=10.0, memory_limit=1000**3, threads=2)
# `brw sql` by default; flags lift or change each (--trusted lifts time, memory and file access).
CLI_LIMITS = Limits(
    max_rows=None, max_bytes=256 * 1000**2, timeout_s=60.0, memory_limit=2 * 1000**3,
    threads=min(4, os.cpu_count() or 1),
)

DUCKDB_MEMORY_SHARE = 0.6  # of the worker's cap for DuckDB's buffer manager (spills beyond it)
SPILL_FACTOR = 4  # temp files a worker may write: this many times its memory cap


@dataclass
class QueryResult:
    frame: pd.DataFrame
    truncated: bool  # more rows existed than were returned
    truncated_by: str | None = None  # "rows" or "bytes"
    nbytes: int = 0  # Arrow size of what was returned
    elapsed_s: float = 0.0
    peak_rss: int | None = None  # the worker's peak resident memory, bytes
    limits: Limits | None = None

    def note(self) -> str:
        """One line on why the result is cut ('' when it is whole)."""
        if not self.truncated:
            return ""
        shown = f"first {len(self.frame):,} rows shown"
        if self.truncated_by == "bytes" and self.limits and self.limits.max_bytes:
            return f"{shown}: the result reached the {human_size(self.limits.max_bytes)} size cap"
        if self.limits and self.limits.max_rows is not None:
            return f"{shown}: the row limit is {self.limits.max_rows:,}"
        return f"{shown}: more rows exist"
