"""The dashboard's audit trail: who signed in, which page they opened, which SQL they ran, what
they checked in, and when.

One JSON object per line, appended to `<warehouse dir>/access_log/<YYYY-MM>.jsonl` (env
BRW_ACCESS_LOG for another folder). Each event is one write() of one line to a file opened with
O_APPEND, so the lines of concurrent sessions (and of several dashboard processes) never
interleave, and nothing is ever rewritten. The dashboard never writes the warehouse: the admin
reads the trail on the Access log page (a table, read with DuckDB's read_json) or with any JSON
tool.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboards.access import Principal

EVENT_KINDS = ("sign_in", "sign_out", "denied", "page_view", "sql_query", "check_in")
EVENT_LABELS = {
    "sign_in": "Signed in", "sign_out": "Signed out", "denied": "Refused", "page_view": "Opened a page",
    "sql_query": "Ran SQL", "check_in": "Checked in",
}
# The columns of the trail, in order, with their DuckDB types (read_json reads them as these).
COLUMNS = {"at": "TIMESTAMP", "kind": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR", "roles": "VARCHAR",
           "page": "VARCHAR", "detail": "VARCHAR"}
MAX_DETAIL_CHARS = 4000  # a long SQL text is kept whole up to this, then cut with a mark


def log_dir() -> Path:
    explicit = os.environ.get("BRW_ACCESS_LOG")
    if explicit:
        return Path(explicit)
    from pipelines.settings import DEFAULT_WAREHOUSE

    return Path(os.environ.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE).parent / "access_log"


def record(kind: str, principal: Principal | None, *, email: str | None = None, page: str | None = None,
           detail: Any = None, now: datetime | None = None) -> Path:
    """Append one event. `principal` None: an event before anyone is known (a refused user:
    give `email`)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}")
    at = (now or datetime.now(UTC)).astimezone(UTC)
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, sort_keys=True, default=str)
    if detail is not None and len(detail) > MAX_DETAIL_CHARS:
        detail = detail[:MAX_DETAIL_CHARS] + " …[cut]"
    event = {
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "kind": kind,
        "email": principal.email if principal is not None else (email or ""),
        "name": principal.name if principal is not None else "",
        "roles": principal.role_labels if principal is not None else "",
        "page": page,
        "detail": detail,
    }
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{at:%Y-%m}.jsonl"
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return path


_seen: OrderedDict = OrderedDict()  # events already recorded by this process (bounded)
_seen_lock = threading.Lock()
SEEN_LIMIT = 10_000


def first_sight(key: tuple) -> bool:
    """True the first time this process sees `key` (e.g. one sign-in: email and ID-token time),
    so that an event seen by many sessions is recorded once."""
    with _seen_lock:
        if key in _seen:
            return False
        _seen[key] = True
        if len(_seen) > SEEN_LIMIT:
            _seen.popitem(last=False)
        return True


def record_page_view(principal: Principal, page_key: str, query_params: dict | None = None) -> None:
    record("page_view", principal, page=page_key, detail=dict(query_params) if query_params else None)


def read_events(limit: int = 5000, kinds: tuple[str, ...] = (), email: str | None = None):
    """The newest events first (a DataFrame with COLUMNS), read with DuckDB from every monthly
    file. A connection of its own: the trail is not part of the warehouse copy the pages read."""
    import duckdb
    import pandas as pd

    files = sorted(log_dir().glob("*.jsonl"))
    if not files:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in COLUMNS})
    where, params = ["TRUE"], []
    if kinds:
        where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    if email:
        where.append("lower(email) = lower(?)")
        params.append(email)
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items()) + "}"
    conn = duckdb.connect(":memory:")
    try:
        return conn.execute(
            f"""SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns},
                                         timestampformat = '%Y-%m-%dT%H:%M:%S.%fZ', ignore_errors = true)
            WHERE {' AND '.join(where)} ORDER BY "at" DESC LIMIT {int(limit)}""",
            [[str(f) for f in files], *params],
        ).df()
    finally:
        conn.close()
