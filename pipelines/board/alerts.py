"""New alerts since the previous alerts run: `alerts_<as_of>.csv` and `audit.alert_state`.

The candidates are the rows of `reporting.rpt_board_state` whose `alert_kind` is set (a benefit
whose status needs attention, a watermelon project, a KPI whose improvement benefits claim more
than 100 % of: double_counting); one is new when its state differs from the
one the previous alerts run recorded (`audit.alert_state`; on the first run everything is new).
Benefits rebaselined since the previous run (`last_rebaselined_at`) follow, with the old → new
values from `marts.fct_benefit_versions`. Alerts are ordered by kind (statuses in board order, then
watermelon, then rebaselined), portfolio and id.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.board.files import records, write_atomically
from pipelines.board.reasons import benefit_reason, double_counting_reason, rebaseline_reason, watermelon_reason
from pipelines.formatting import markdown_text
from pipelines.safe_csv import write_dict_rows
from pipelines.vocabulary import Vocabulary

ALERT_COLUMNS = ["kind", "id", "name", "owner", "reason", "project_id", "portfolio"]
# alert kinds that are not a status (rpt_board_state.alert_kind of a project or of an over-claimed
# KPI; a rebaseline)
WATERMELON, DOUBLE_COUNTING, REBASELINED = "watermelon", "double_counting", "rebaselined"

ALERT_STATE_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.alert_state (
    run_id VARCHAR NOT NULL,        -- the Dagster run that recorded the row
    as_of_date DATE NOT NULL,       -- that run's as-of date
    recorded_at TIMESTAMP NOT NULL, -- when it was recorded (same clock as the dbt snapshots)
    object_kind VARCHAR NOT NULL,   -- benefit | project | kpi | run (one marker row per alerts run)
    object_id VARCHAR NOT NULL,     -- benefit_id | project_id | kpi_id | run_id
    state VARCHAR                   -- benefit status | watermelon / not_watermelon | over_claimed | recorded
)
"""

PREVIOUS_RUN_SQL = """
    SELECT run_id, as_of_date, recorded_at FROM audit.alert_state
    WHERE object_kind = 'run' ORDER BY recorded_at DESC LIMIT 1"""

# rows of rpt_board_state that raise an alert now and did not at the previous run ($1 run_id,
# $2 recorded_at; both NULL on the first run: nothing was recorded, everything is new)
NEW_STATE_SQL = """
    WITH previous AS (
        SELECT object_kind, object_id, state FROM audit.alert_state WHERE run_id = $1 AND recorded_at = $2
    )
    SELECT board.*
    FROM reporting.rpt_board_state AS board
    LEFT JOIN previous USING (object_kind, object_id)
    WHERE board.alert_kind IS NOT NULL AND board.state IS DISTINCT FROM previous.state
    ORDER BY board.alert_order, coalesce(board.portfolio, ''), board.object_id"""

REBASELINED_SQL = """
    SELECT benefit_id, benefit_name, benefit_owner, project_id, portfolio
    FROM reporting.rpt_benefit_board
    WHERE last_rebaselined_at IS NOT NULL AND ($1::TIMESTAMP IS NULL OR last_rebaselined_at > $1::TIMESTAMP)
    ORDER BY coalesce(portfolio, ''), benefit_id"""

RECORD_STATE_SQL = """
    INSERT INTO audit.alert_state
    SELECT $1, $2, $3, object_kind, object_id, state FROM reporting.rpt_board_state
    UNION ALL SELECT $1, $2, $3, 'run', $1, 'recorded'"""


@dataclass
class AlertsResult:
    path: Path
    alerts: list[dict]
    previous_run: dict | None  # run_id, as_of_date, recorded_at of the run compared against
    recorded_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)  # every alert kind, in alert order

    def summary_lines(self, limit: int = 20) -> list[str]:
        prev = self.previous_run
        since = (
            f"since alerts run {prev['run_id'][:8]} (as of {prev['as_of_date']}, recorded {prev['recorded_at']:%Y-%m-%d %H:%M})"
            if prev
            else "(first alerts run: everything in an attention status is new)"
        )
        lines = [f"{len(self.alerts)} new alert(s) {since}: " + ", ".join(f"{k} {n}" for k, n in self.counts.items())]
        for a in self.alerts[:limit]:
            lines.append(f"  {a['kind']:<11} {a['id']} {a['name']} — {a['owner'] or 'no owner'}: {a['reason']}")
        if len(self.alerts) > limit:
            lines.append(f"  ... and {len(self.alerts) - limit} more in {self.path}")
        return lines

    def markdown_preview(self, limit: int = 50) -> str:
        """The alerts as a Markdown table (the Dagster UI renders it): names stay text."""
        if not self.alerts:
            return "_No new alerts._"
        lines = ["| " + " | ".join(ALERT_COLUMNS) + " |", "|" + "---|" * len(ALERT_COLUMNS)]
        lines += [
            "| " + " | ".join(markdown_text(a[c]) for c in ALERT_COLUMNS) + " |" for a in self.alerts[:limit]
        ]
        if len(self.alerts) > limit:
            lines.append(f"\n… and {len(self.alerts) - limit} more in the CSV")
        return "\n".join(lines)


def alert_kinds(vocabulary: Vocabulary) -> tuple[str, ...]:
    """Every kind an alert can have, in alert order: attention statuses, watermelon, double counting,
    rebaselined."""
    return (*vocabulary.attention, WATERMELON, DOUBLE_COUNTING, REBASELINED)


def _previous_run(conn: duckdb.DuckDBPyConnection) -> dict | None:
    rows = records(conn, PREVIOUS_RUN_SQL)
    return rows[0] if rows else None


def compute_alerts(
    conn: duckdb.DuckDBPyConnection, previous_run: dict | None, vocabulary: Vocabulary
) -> list[dict]:
    """The new alerts against `previous_run` (None: the first run), in alert order."""
    run_id, since = (previous_run["run_id"], previous_run["recorded_at"]) if previous_run else (None, None)
    alerts = []
    for row in records(conn, NEW_STATE_SQL, [run_id, since]):
        kind = row["object_kind"]
        reason = (benefit_reason(row, vocabulary) if kind == "benefit"
                  else double_counting_reason(row) if row["alert_kind"] == DOUBLE_COUNTING else watermelon_reason(row))
        alerts.append({
            "kind": row["alert_kind"], "id": row["object_id"], "name": row["object_name"], "owner": row["owner"],
            "reason": reason,
            "project_id": row["project_id"], "portfolio": row["portfolio"],
        })
    for b in records(conn, REBASELINED_SQL, [since]):
        alerts.append({
            "kind": REBASELINED, "id": b["benefit_id"], "name": b["benefit_name"], "owner": b["benefit_owner"],
            "reason": rebaseline_reason(conn, b["benefit_id"], since), "project_id": b["project_id"],
            "portfolio": b["portfolio"],
        })
    return alerts


_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class _Verbatim:
    """A cell written as this text and not escaped (the csv module writes str() of a non-str)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _earlier_cell(text: str | None) -> Any:
    """A cell read back from the day's file, to be written again: a plain number as it was (it was a
    number when written); other text is escaped again, a no-op on text escaped then (and a file
    written before cells were escaped gets escaped now)."""
    return _Verbatim(text) if text and _PLAIN_NUMBER.fullmatch(text) else (text or "")


def write_alerts_csv(path: Path, alerts: list[dict]) -> None:
    """The day's alert file: alerts of earlier runs with the same as-of date stay, new ones follow.

    Names, owners and reasons come from the registers: a text cell a spreadsheet would run as a
    formula (leading =, +, -, @, tab, CR) is written with a leading ' (pipelines.safe_csv, the one
    CSV writer); numbers stay numbers.
    """
    earlier: list[dict] = []
    if path.exists():
        with path.open(newline="", encoding="utf-8") as f:
            earlier = list(csv.DictReader(f))

    def write(tmp: Path) -> None:
        rows = [{c: _earlier_cell(a.get(c)) for c in ALERT_COLUMNS} for a in earlier]
        rows += [{c: a.get(c, "") for c in ALERT_COLUMNS} for a in alerts]
        with tmp.open("w", newline="", encoding="utf-8") as f:
            write_dict_rows(f, ALERT_COLUMNS, rows)

    write_atomically(path, write)


def run_alerts(conn: duckdb.DuckDBPyConnection, reports_dir: Path, as_of: date, run_id: str) -> AlertsResult:
    """Compute the new alerts, write `alerts_<as_of>.csv`, then record this run's state.

    One short write transaction on `conn` (a writable connection): read the previous state and
    the reporting layer, write the CSV, append the state, commit. If anything fails the state is
    not advanced, so the next run alerts again rather than losing an alert.
    """
    path = Path(reports_dir) / f"alerts_{as_of.isoformat()}.csv"
    vocabulary = Vocabulary.read(conn)
    conn.execute(ALERT_STATE_DDL)
    conn.execute("BEGIN TRANSACTION")
    try:
        previous_run = _previous_run(conn)
        alerts = compute_alerts(conn, previous_run, vocabulary)
        write_alerts_csv(path, alerts)
        recorded_at = conn.execute("SELECT now()::TIMESTAMP").fetchone()[0]
        conn.execute(RECORD_STATE_SQL, [run_id, as_of, recorded_at])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    counts = Counter(a["kind"] for a in alerts)
    return AlertsResult(path, alerts, previous_run, recorded_at, {k: counts.get(k, 0) for k in alert_kinds(vocabulary)})
