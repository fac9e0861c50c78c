"""Reports written from the public marts: benefit alerts (CSV) and the board pack (static HTML).

Dagster-free logic; `pipelines.assets.reports` wraps it in two assets (group `reports`).

- **Alerts** list what changed since the previous alerts run: benefits that newly became
  off_track, eroding, stale or exceeded, projects that newly became watermelons, and benefits
  rebaselined since then. "Previous" is kept in the warehouse, `audit.alert_state` (one row per
  benefit, project and run), appended in the same short write transaction that computed the
  alerts.
- **Board pack**: one self-contained HTML file per evaluation month that opens offline (the
  plotly.js bundle inline once, no CDN, no external CSS or fonts). Money is shown in each
  project's currency and never added across currencies.
"""

from __future__ import annotations

import csv
import html
import os
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.safe_csv import write_dict_rows

ATTENTION_STATUSES = ("off_track", "eroding", "stale", "exceeded")
ALERT_KINDS = (*ATTENTION_STATUSES, "watermelon", "rebaselined")
ALERT_COLUMNS = ["kind", "id", "name", "owner", "reason", "project_id", "portfolio"]
STATUS_ORDER = (
    "off_track", "eroding", "stale", "exceeded", "at_risk", "on_track", "achieved",
    "within_tolerance", "not_started", "tracking_ended", "no_baseline",
)
# snap_benefits check columns: what a rebaseline can change, with the words used in alerts
REBASELINE_FIELDS = (
    ("baseline_value", "baseline"),
    ("baseline_start", "baseline start"),
    ("baseline_end", "baseline end"),
    ("target_value", "target"),
    ("target_date", "target date"),
    ("realization_start", "realization start"),
    ("review_until", "review until"),
    ("profile", "profile"),
)
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}

ALERT_STATE_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.alert_state (
    run_id VARCHAR NOT NULL,        -- the Dagster run that recorded the row
    as_of_date DATE NOT NULL,       -- that run's as-of date
    recorded_at TIMESTAMP NOT NULL, -- when it was recorded (same clock as the dbt snapshots)
    object_kind VARCHAR NOT NULL,   -- benefit | project | run (one marker row per alerts run)
    object_id VARCHAR NOT NULL,     -- benefit_id | project_id | run_id
    state VARCHAR                   -- benefit status | watermelon / not_watermelon | recorded
)
"""


# ---------------------------------------------------------------------------------------------
# formatting


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def money(amount: float | None, currency: str | None) -> str:
    """£1,234 / -€56 / 1,234 CHF; '–' when null. Whole units: this is a board view."""
    if amount is None:
        return "–"
    sign = "-" if round(amount) < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{abs(amount):,.0f}"
    return f"{sign}{abs(amount):,.0f} {currency or ''}".rstrip()


def _value(v: Any) -> str:
    """A snapshot value as alert text: 120 (not 120.0), 1,200,000, 2026-06-30, linear, none."""
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:,.0f}" if v == int(v) else f"{v:,.4f}".rstrip("0").rstrip(".")
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return str(v)


def month_label(month: date) -> str:
    return month.strftime("%B %Y")


def evaluation_month_for(as_of: date) -> date:
    """SPEC 3: the last complete month before as_of."""
    return date(as_of.year - 1, 12, 1) if as_of.month == 1 else date(as_of.year, as_of.month - 1, 1)


def _records(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _write_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# alerts


@dataclass
class AlertsResult:
    path: Path
    alerts: list[dict]
    previous_run: dict | None  # run_id, as_of_date, recorded_at of the run compared against
    recorded_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def summary_lines(self, limit: int = 20) -> list[str]:
        prev = self.previous_run
        since = (
            f"since alerts run {prev['run_id'][:8]} (as of {prev['as_of_date']}, recorded {prev['recorded_at']:%Y-%m-%d %H:%M})"
            if prev
            else "(first alerts run: everything in an attention status is new)"
        )
        lines = [
            f"{len(self.alerts)} new alert(s) {since}: " + ", ".join(f"{k} {self.counts.get(k, 0)}" for k in ALERT_KINDS)
        ]
        for a in self.alerts[:limit]:
            lines.append(f"  {a['kind']:<11} {a['id']} {a['name']} — {a['owner'] or 'no owner'}: {a['reason']}")
        if len(self.alerts) > limit:
            lines.append(f"  ... and {len(self.alerts) - limit} more in {self.path}")
        return lines

    def markdown_preview(self, limit: int = 50) -> str:
        if not self.alerts:
            return "_No new alerts._"

        def cell(v: Any) -> str:  # Dagster renders the preview as Markdown: names stay text
            return md_text(v)

        lines = ["| " + " | ".join(ALERT_COLUMNS) + " |", "|" + "---|" * len(ALERT_COLUMNS)]
        lines += ["| " + " | ".join(cell(a[c]) for c in ALERT_COLUMNS) + " |" for a in self.alerts[:limit]]
        if len(self.alerts) > limit:
            lines.append(f"\n… and {len(self.alerts) - limit} more in the CSV")
        return "\n".join(lines)


def _previous_run(conn: duckdb.DuckDBPyConnection) -> dict | None:
    rows = _records(
        conn,
        """SELECT run_id, as_of_date, recorded_at FROM audit.alert_state
        WHERE object_kind = 'run' ORDER BY recorded_at DESC LIMIT 1""",
    )
    return rows[0] if rows else None


def _benefit_reason(b: dict) -> str:
    status = b["status"]
    t3 = b["trailing_realization_pct"]
    if status == "off_track":
        return f"off_track: trailing realization {pct(t3)} vs {pct(b['planned_pct'])} planned"
    if status == "eroding":
        return f"eroding: trailing realization {pct(t3)}, down from a peak of {pct(b['peak_trailing_realization_pct'])}"
    if status == "stale":
        last = b["last_measured_on"]
        text = f"stale: no measurement since {last.isoformat()}" if last else "stale: never measured"
        if b["months_since_close"] is not None:
            text += f" ({b['months_since_close']} months after project close)"
        return text
    if status == "exceeded":
        return f"exceeded: dis-benefit at {pct(t3)} of its planned level (tolerance 110%)"
    return status


def _rebaseline_reason(conn: duckdb.DuckDBPyConnection, benefit_id: str, since: datetime | None) -> str:
    """Old → new of every changed field: old is the version current at `since` (else the one before)."""
    versions = _records(
        conn,
        f"""SELECT {', '.join(f for f, _ in REBASELINE_FIELDS)}, dbt_valid_from, dbt_valid_to
        FROM snapshots.snap_benefits WHERE benefit_id = ? ORDER BY dbt_valid_from""",
        [benefit_id],
    )
    current = next((v for v in reversed(versions) if v["dbt_valid_to"] is None), versions[-1] if versions else None)
    if current is None:
        return "rebaselined"
    old = None
    if since is not None:
        old = next(
            (
                v for v in versions
                if v["dbt_valid_from"] <= since and (v["dbt_valid_to"] is None or v["dbt_valid_to"] > since)
            ),
            None,
        )
    if old is None or old is current:
        earlier = [v for v in versions if v["dbt_valid_from"] < current["dbt_valid_from"]]
        old = earlier[-1] if earlier else None
    if old is None:
        return "rebaselined"
    changes = [
        f"{label} {_value(old[f])} → {_value(current[f])}" for f, label in REBASELINE_FIELDS if old[f] != current[f]
    ]
    return "rebaselined: " + (", ".join(changes) if changes else "a new version with the same values")


def compute_alerts(conn: duckdb.DuckDBPyConnection, previous_run: dict | None) -> tuple[list[dict], list[tuple]]:
    """(new alerts, state rows to record: (object_kind, object_id, state)) against previous_run."""
    previous: dict[tuple[str, str], str] = {}
    if previous_run is not None:
        previous = {
            (r["object_kind"], r["object_id"]): r["state"]
            for r in _records(
                conn,
                "SELECT object_kind, object_id, state FROM audit.alert_state WHERE run_id = ? AND recorded_at = ?",
                [previous_run["run_id"], previous_run["recorded_at"]],
            )
        }
    first = previous_run is None
    alerts: list[dict] = []
    state: list[tuple] = []

    benefits = _records(
        conn,
        """SELECT s.benefit_id, b.benefit_name, s.benefit_owner, s.status, s.trailing_realization_pct,
            s.planned_pct, s.peak_trailing_realization_pct, s.last_measured_on, s.months_since_close,
            s.project_id, p.portfolio
        FROM marts.fct_benefit_status s
        JOIN marts.dim_benefit b USING (benefit_id)
        LEFT JOIN marts.dim_project p ON p.project_id = s.project_id
        ORDER BY p.portfolio, s.benefit_id""",
    )
    for b in benefits:
        state.append(("benefit", b["benefit_id"], b["status"]))
        if b["status"] in ATTENTION_STATUSES and (first or previous.get(("benefit", b["benefit_id"])) != b["status"]):
            alerts.append({
                "kind": b["status"], "id": b["benefit_id"], "name": b["benefit_name"], "owner": b["benefit_owner"],
                "reason": _benefit_reason(b), "project_id": b["project_id"], "portfolio": b["portfolio"],
            })

    projects = _records(
        conn,
        """SELECT h.project_id, p.project_name, p.sponsor, p.project_manager, p.portfolio, h.is_watermelon,
            h.derived_rag_reasons, h.watermelon_months
        FROM marts.fct_project_health h JOIN marts.dim_project p USING (project_id)
        ORDER BY p.portfolio, h.project_id""",
    )
    for p in projects:
        flag = "watermelon" if p["is_watermelon"] else "not_watermelon"
        state.append(("project", p["project_id"], flag))
        if p["is_watermelon"] and (first or previous.get(("project", p["project_id"])) != "watermelon"):
            owner = " / ".join(x for x in (p["sponsor"], p["project_manager"]) if x)
            months = p["watermelon_months"]
            reason = f"watermelon: {p['derived_rag_reasons'] or 'derived red'}"
            if months:
                reason += f" (reported green, derived red for {months} month(s))"
            alerts.append({
                "kind": "watermelon", "id": p["project_id"], "name": p["project_name"], "owner": owner,
                "reason": reason, "project_id": p["project_id"], "portfolio": p["portfolio"],
            })

    since = previous_run["recorded_at"] if previous_run else None
    rebaselined = _records(
        conn,
        """SELECT b.benefit_id, b.benefit_name, b.benefit_owner, b.project_id, p.portfolio
        FROM marts.dim_benefit b LEFT JOIN marts.dim_project p USING (project_id)
        WHERE b.last_rebaselined_at IS NOT NULL AND (?::TIMESTAMP IS NULL OR b.last_rebaselined_at > ?::TIMESTAMP)
        ORDER BY p.portfolio, b.benefit_id""",
        [since, since],
    )
    for b in rebaselined:
        alerts.append({
            "kind": "rebaselined", "id": b["benefit_id"], "name": b["benefit_name"], "owner": b["benefit_owner"],
            "reason": _rebaseline_reason(conn, b["benefit_id"], since), "project_id": b["project_id"],
            "portfolio": b["portfolio"],
        })

    order = {k: i for i, k in enumerate(ALERT_KINDS)}
    alerts.sort(key=lambda a: (order[a["kind"]], a["portfolio"] or "", a["id"]))
    return alerts, state


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

    _write_atomically(path, write)


def run_alerts(conn: duckdb.DuckDBPyConnection, reports_dir: Path, as_of: date, run_id: str) -> AlertsResult:
    """Compute the new alerts, write `alerts_<as_of>.csv`, then record this run's state.

    One short write transaction on `conn` (a writable connection): read the previous state, the
    marts, write the CSV, append the state, commit. If anything fails the state is not advanced,
    so the next run alerts again rather than losing an alert.
    """
    path = Path(reports_dir) / f"alerts_{as_of.isoformat()}.csv"
    conn.execute(ALERT_STATE_DDL)
    conn.execute("BEGIN TRANSACTION")
    try:
        previous_run = _previous_run(conn)
        alerts, state = compute_alerts(conn, previous_run)
        write_alerts_csv(path, alerts)
        recorded_at = conn.execute("SELECT now()::TIMESTAMP").fetchone()[0]
        rows = [(run_id, as_of, recorded_at, kind, oid, s) for kind, oid, s in [*state, ("run", run_id, "recorded")]]
        conn.executemany("INSERT INTO audit.alert_state VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    counts = Counter(a["kind"] for a in alerts)
    return AlertsResult(path, alerts, previous_run, recorded_at, {k: counts.get(k, 0) for k in ALERT_KINDS})


# ---------------------------------------------------------------------------------------------
# board pack: HTML helpers (every text from data goes through esc; in a chart, plot_esc)


def esc(v: Any) -> str:
    """Text from the data as HTML text or attribute value."""
    return html.escape("" if v is None else str(v))


def plot_esc(v: Any) -> str:
    """Text from the data in a plotly title, label or hover text. Plotly renders a subset of HTML
    (<a href>, <b>, <span style> ...) and decodes &amp; &lt; &gt; and numeric entities only (not
    &quot;, so quotes stay as they are); `$...$` would be LaTeX, so $ is &#36;."""
    return html.escape("" if v is None else str(v), quote=False).replace("$", "&#36;")


# Markdown (the Dagster UI renders the alerts preview): the punctuation that makes links, images,
# autolinks, code, tables, emphasis or LaTeX backslash-escaped, the HTML specials as entities,
# whitespace runs as one space. Left as is: _ - , / % ' which cannot make a link or a tag, so
# "off_track" and "Self-service" stay readable in the raw preview.
_MD_ESCAPES = {c: "\\" + c for c in string.punctuation if c not in "_-,/%'"}
_MD_ESCAPES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


# GFM links URL- and e-mail-like text even when escaped: a word joiner (invisible) after ':' and
# before '@' and the '.' of 'www.' keeps it text.
_AUTOLINK_BREAKS = ((":", ":\u2060"), ("@", "\u2060@"))


def md_text(v: Any) -> str:
    text = " ".join(("" if v is None else str(v)).split())
    for old, new in _AUTOLINK_BREAKS:
        text = text.replace(old, new)
    text = re.sub(r"(www)(?=\.)", "\\1\u2060", text, flags=re.IGNORECASE)
    return "".join(_MD_ESCAPES.get(c, c) for c in text)


def td(v: Any, cls: str = "") -> str:
    return f'<td class="{cls}">{esc(v)}</td>' if cls else f"<td>{esc(v)}</td>"


def td_num(v: float | None, fmt: str = ",.0f") -> str:
    return f'<td class="num">{"–" if v is None else format(v, fmt)}</td>'


def td_pct(v: float | None) -> str:
    return f'<td class="num">{pct(v)}</td>'


def td_money(amount: float | None, currency: str | None, category: str | None = None) -> str:
    if category == "non_financial":
        return '<td class="num muted">non-financial</td>'
    return f'<td class="num money" data-currency="{esc(currency)}" title="{esc(currency)}">{esc(money(amount, currency))}</td>'


def td_status(status: str | None) -> str:
    return f'<td><span class="status s-{esc(status)}">{esc(status)}</span></td>'


def td_rag(rag: str | None) -> str:
    return f'<td><span class="rag rag-{esc(rag)}">{esc(rag or "none")}</span></td>'


def tr(cells: list[str], project_id: str | None = None) -> str:
    attr = f' data-project="{esc(project_id)}"' if project_id else ""
    return f"<tr{attr}>{''.join(cells)}</tr>"


def table(headers: list[str], rows: list[str], empty: str = "Nothing to show.", numeric: set[int] | None = None) -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    numeric = numeric or set()
    head = "".join(f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>" for i, h in enumerate(headers))
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --accent:#1f4e79; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; }
header.pack { border-bottom: 3px solid var(--accent); margin-bottom: 16px; }
h1 { font-size: 28px; margin: 8px 0 4px; color: var(--accent); }
h2 { font-size: 21px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; color: var(--muted); }
p.lead, p.note, p.empty { color: var(--muted); margin: 4px 0 12px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 170px; }
.card .v { font-size: 24px; font-weight: 600; }
.card .l { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; background: #fff; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; background: #f8fafc; }
.status, .rag { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12.5px; background: #e4e7eb; }
.s-off_track, .s-stale, .rag-red { background: #facdcd; color: #8a1c1c; }
.s-eroding, .s-at_risk, .s-exceeded, .rag-amber { background: #ffe8b3; color: #7a4d00; }
.s-on_track, .s-achieved, .s-within_tolerance, .rag-green { background: #c6f0d6; color: #145c32; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 10px 0 18px; padding: 6px; }
td.muted { color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print { body { background: #fff; } .chart, table { page-break-inside: avoid; } }
"""


@dataclass
class BoardPackResult:
    path: Path
    size: int
    evaluation_month: date
    figures: int


def _board_data(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    month_row = conn.execute("SELECT max(evaluation_month), max(as_of_date) FROM marts.fct_benefit_status").fetchone()
    e = month_row[0] or evaluation_month_for(as_of)
    data_as_of = month_row[1] or as_of
    q = lambda sql, params=None: _records(conn, sql, params)
    return {
        "e": e,
        "as_of": data_as_of,
        "status_counts": q("SELECT status, count(*) AS n FROM marts.fct_benefit_status GROUP BY status"),
        "portfolio_now": q(
            """SELECT portfolio, currency, benefits_tracked, annual_planned_value, realized_value,
                cumulative_realized_value, cumulative_planned_value
            FROM marts.fct_portfolio_monthly WHERE period_month = ? ORDER BY portfolio, currency""",
            [e],
        ),
        "trend": q(
            """SELECT portfolio, currency, period_month, cumulative_realized_value, cumulative_planned_value
            FROM marts.fct_portfolio_monthly WHERE period_month <= ? AND cumulative_planned_value IS NOT NULL
            ORDER BY portfolio, currency, period_month""",
            [e],
        ),
        "benefits": q(
            """SELECT s.benefit_id, b.benefit_name, s.project_id, p.project_name, p.portfolio, s.status,
                s.benefit_owner, s.trailing_realization_pct, s.planned_pct, s.peak_trailing_realization_pct,
                s.last_measured_on, s.months_since_close, s.cumulative_realized_value, s.annual_planned_value,
                b.currency, b.category
            FROM marts.fct_benefit_status s JOIN marts.dim_benefit b USING (benefit_id)
            LEFT JOIN marts.dim_project p ON p.project_id = s.project_id
            ORDER BY p.portfolio, s.project_id, s.benefit_id"""
        ),
        "projects": q(
            """SELECT p.project_id, p.project_name, p.portfolio, p.sponsor, p.project_manager, p.stage,
                p.actual_close_date, p.currency, p.contract_value, h.reported_rag, h.derived_rag,
                h.derived_rag_reasons, h.is_watermelon, h.watermelon_months, h.is_benefits_watermelon,
                h.flagged_benefit_list, h.planned_margin, h.forecast_margin, h.margin_leakage,
                h.unbilled_approved_change_cost, h.cpi, h.spi
            FROM marts.dim_project p LEFT JOIN marts.fct_project_health h USING (project_id)
            ORDER BY p.portfolio, p.project_id"""
        ),
    }


def _figures(trend: list[dict]) -> list[str]:
    """One chart per portfolio and currency: cumulative realized vs planned value (offline)."""
    import plotly.io as pio

    series: dict[tuple[str, str], list[dict]] = {}
    for r in trend:
        series.setdefault((r["portfolio"], r["currency"]), []).append(r)
    # Figures as plain dicts with the template resolved once: plotly's validating Figure objects
    # deep-copy the template per chart (~50 ms each, 15+ charts at scale).
    template = pio.templates["plotly_white"].to_plotly_json()
    out = []
    for (portfolio, currency), rows in series.items():
        symbol = CURRENCY_SYMBOLS.get(currency or "", "")
        months = [r["period_month"] for r in rows]
        fig = {
            "data": [
                {
                    "type": "scatter", "x": months, "y": [r["cumulative_planned_value"] for r in rows],
                    "name": "planned (cumulative)", "mode": "lines", "line": {"dash": "dash", "color": "#9aa5b1"},
                    "hovertemplate": "%{x|%b %Y}: " + symbol + "%{y:,.0f}<extra>planned</extra>",
                },
                {
                    "type": "scatter", "x": months, "y": [r["cumulative_realized_value"] for r in rows],
                    "name": "realized (cumulative)", "mode": "lines+markers", "line": {"color": "#1f4e79"},
                    "hovertemplate": "%{x|%b %Y}: " + symbol + "%{y:,.0f}<extra>realized</extra>",
                },
            ],
            "layout": {
                # plotly renders a subset of HTML in titles: escape the data
                "title": {
                    "text": f"{plot_esc(portfolio)} — cumulative realized vs planned value ({plot_esc(currency)})",
                    "x": 0.01,
                },
                "template": template, "height": 340, "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
                "font": {"family": "-apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif", "size": 13},
                "yaxis": {"tickprefix": symbol, "tickformat": ",.0f", "title": {"text": plot_esc(currency)}},
                "legend": {"orientation": "h", "y": -0.15},
            },
        }
        out.append(
            pio.to_html(
                fig, full_html=False, include_plotlyjs=not out, include_mathjax=False, validate=False,
                default_height="340px", default_width="100%",
                config={"displaylogo": False, "responsive": True},
            )
        )
    return out


def _status_summary(statuses: list[str]) -> str:
    counts = Counter(statuses)
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], 99)))


def render_board_pack(data: dict) -> tuple[str, int]:
    e: date = data["e"]
    benefits, projects = data["benefits"], data["projects"]
    attention = [b for b in benefits if b["status"] in ATTENTION_STATUSES]
    watermelons = [p for p in projects if p["is_watermelon"]]
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    parts: list[str] = []

    # --- headline
    counts = {r["status"]: r["n"] for r in data["status_counts"]}
    total = sum(counts.values())
    cards = [
        (total, "valid benefits in the register"),
        (len(attention), "need attention (off track, eroding, stale, exceeded)"),
        (len(watermelons), "watermelon project(s)"),
        (sum(1 for p in projects if p["stage"] == "closed"), "closed project(s) still tracked"),
    ]
    parts.append('<section id="headline"><h2>Headline</h2><div class="cards">')
    parts += [f'<div class="card"><div class="v">{n:,}</div><div class="l">{esc(label)}</div></div>' for n, label in cards]
    parts.append("</div><h3>Benefits by status</h3>")
    status_rows = [
        tr([td_status(s), td_num(n), td_pct(n / total if total else None)])
        for s, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], 99))
    ]
    parts.append(table(["status", "benefits", "share"], status_rows, "No valid benefits.", numeric={1, 2}))
    parts.append(
        f"<h3>Value at {esc(month_label(e))} per portfolio</h3>"
        '<p class="note">Each row is one currency: amounts are never added across currencies.</p>'
    )
    value_rows = []
    by_currency: dict[str, list[dict]] = {}
    for r in data["portfolio_now"]:
        by_currency.setdefault(r["currency"], []).append(r)
    for currency, rows in by_currency.items():
        for r in rows:
            realized, planned = r["cumulative_realized_value"], r["cumulative_planned_value"]
            value_rows.append(tr([
                td(r["portfolio"]), td(currency), td_num(r["benefits_tracked"]),
                td_money(r["annual_planned_value"], currency), td_money(realized, currency),
                td_money(planned, currency), td_pct(realized / planned if realized is not None and planned and planned > 0 else None),
            ]))
        if len(rows) > 1:
            def s(k: str, rows: list[dict] = rows) -> float:  # one currency only
                return sum(x[k] or 0 for x in rows)

            realized, planned = s("cumulative_realized_value"), s("cumulative_planned_value")
            value_rows.append(
                tr([
                    td(f"All portfolios ({currency})"), td(currency), td_num(s("benefits_tracked")),
                    td_money(s("annual_planned_value"), currency), td_money(realized, currency),
                    td_money(planned, currency), td_pct(realized / planned if planned and planned > 0 else None),
                ]).replace("<tr>", '<tr class="total">', 1)
            )
    parts.append(table(
        ["portfolio", "currency", "benefits tracked", "annual planned value", "cumulative realized",
         "cumulative planned", "realized of planned"],
        value_rows, "No benefit is in its realization period.", numeric={2, 3, 4, 5, 6},
    ))
    parts.append("</section>")

    # --- trend
    figures = _figures(data["trend"])
    parts.append('<section id="trend"><h2>Realization trend per portfolio</h2>'
                 '<p class="lead">Cumulative realized value against the cumulative planned value of the ramp.</p>')
    parts += [f'<div class="chart">{f}</div>' for f in figures] or ['<p class="empty">No realization months yet.</p>']
    parts.append("</section>")

    # --- attention list
    attention.sort(key=lambda b: (order[b["status"]], b["portfolio"] or "", b["benefit_id"]))
    rows = [
        tr([
            td_status(b["status"]), td(b["benefit_id"]), td(b["benefit_name"]),
            td(f"{b['project_id']} {b['project_name'] or ''}".strip()), td(b["portfolio"]), td(b["benefit_owner"]),
            td_pct(b["trailing_realization_pct"]), td_pct(b["planned_pct"]),
            td(b["last_measured_on"].isoformat() if b["last_measured_on"] else "never", "num"),
            td_num(b["months_since_close"]), td_money(b["cumulative_realized_value"], b["currency"], b["category"]),
        ], b["project_id"])
        for b in attention
    ]
    parts.append(
        '<section id="attention"><h2>Attention list</h2>'
        '<p class="lead">Off track, eroding, stale (no measurement in three months) and exceeded dis-benefits, '
        "with who to call.</p>"
        + table(
            ["status", "benefit", "name", "project", "portfolio", "owner", "trailing realization", "planned",
             "last measured", "months since close", "cumulative realized"],
            rows, "No benefit needs attention.", numeric={6, 7, 8, 9, 10},
        )
        + "</section>"
    )

    # --- post-closure tracker
    closed = [p for p in projects if p["stage"] == "closed"]
    closed.sort(key=lambda p: (p["actual_close_date"] or date.min))
    by_project: dict[str, list[dict]] = {}
    for b in benefits:
        by_project.setdefault(b["project_id"], []).append(b)
    rows = []
    for p in closed:
        mine = by_project.get(p["project_id"], [])
        months = next((b["months_since_close"] for b in mine if b["months_since_close"] is not None), None)
        if months is None and p["actual_close_date"]:
            c = p["actual_close_date"]
            months = (data["as_of"].year - c.year) * 12 + data["as_of"].month - c.month
        realized = [b["cumulative_realized_value"] for b in mine if b["cumulative_realized_value"] is not None]
        rows.append(tr([
            td(p["project_id"]), td(p["project_name"]), td(p["portfolio"]), td(p["sponsor"]),
            td(p["actual_close_date"].isoformat() if p["actual_close_date"] else "", "num"), td_num(months),
            td_num(len(mine)), td(_status_summary([b["status"] for b in mine]) or "no benefits"),
            td_money(sum(realized) if realized else None, p["currency"]),
        ], p["project_id"]))
    detail = []
    for p in closed:
        for b in sorted(by_project.get(p["project_id"], []), key=lambda b: (order.get(b["status"], 99), b["benefit_id"])):
            detail.append(tr([
                td(p["project_id"]), td(b["benefit_id"]), td(b["benefit_name"]), td(b["benefit_owner"]),
                td_status(b["status"]), td_pct(b["trailing_realization_pct"]),
                td(b["last_measured_on"].isoformat() if b["last_measured_on"] else "never", "num"),
                td_money(b["cumulative_realized_value"], b["currency"], b["category"]),
            ], p["project_id"]))
    stale_owners = Counter(b["benefit_owner"] or "no owner" for b in benefits if b["status"] == "stale")
    parts.append(
        '<section id="after-closure"><h2>After closure</h2>'
        '<p class="lead">Benefits are realized mostly after the project closes: tracking continues.</p>'
        + table(
            ["project", "name", "portfolio", "sponsor", "closed on", "months since close", "benefits",
             "benefit statuses", "realized value"],
            rows, "No closed projects.", numeric={4, 5, 6, 8},
        )
        + ("<h3>Their benefits</h3>" + table(
            ["project", "benefit", "name", "owner", "status", "trailing realization", "last measured", "cumulative realized"],
            detail, numeric={5, 6, 7},
        ) if detail else "")
        + "<h3>Stale benefits by owner (all projects)</h3>"
        + table(["owner", "stale benefits"], [tr([td(o), td_num(n)]) for o, n in stale_owners.most_common()],
                "No stale benefits.", numeric={1})
        + "</section>"
    )

    # --- delivery health
    watermelons.sort(key=lambda p: (-(p["watermelon_months"] or 0), p["project_id"]))
    wm_rows = [
        tr([
            td(p["project_id"]), td(p["project_name"]), td(p["portfolio"]), td(p["sponsor"]), td(p["project_manager"]),
            td_rag(p["reported_rag"]), td_rag(p["derived_rag"]), td_num(p["watermelon_months"]),
            td(p["derived_rag_reasons"]),
        ], p["project_id"])
        for p in watermelons
    ]
    bw_rows = [
        tr([td(p["project_id"]), td(p["project_name"]), td(p["flagged_benefit_list"])], p["project_id"])
        for p in projects if p["is_benefits_watermelon"]
    ]
    rags = ("green", "amber", "red")
    reported = [r for r in (*rags, None) if any(p["reported_rag"] == r for p in projects if p["derived_rag"])]
    matrix_rows = [
        tr([td_rag(r)] + [td_num(sum(1 for p in projects if p["reported_rag"] == r and p["derived_rag"] == d)) for d in rags])
        for r in reported
    ]
    leak = [p for p in projects if p["contract_value"] is not None]
    leak.sort(key=lambda p: -(p["margin_leakage"] or 0))
    leak_rows = [
        tr([
            td(p["project_id"]), td(p["project_name"]), td(p["currency"]), td_money(p["contract_value"], p["currency"]),
            td_money(p["planned_margin"], p["currency"]), td_money(p["forecast_margin"], p["currency"]),
            td_money(p["margin_leakage"], p["currency"]), td_money(p["unbilled_approved_change_cost"], p["currency"]),
        ], p["project_id"])
        for p in leak
    ]
    parts.append(
        '<section id="delivery"><h2>Delivery health</h2>'
        "<h3>Watermelon projects (reported green, derived red)</h3>"
        + table(["project", "name", "portfolio", "sponsor", "project manager", "reported", "derived",
                 "months as watermelon", "why it is red"], wm_rows, "No watermelon projects.", numeric={7})
        + "<h3>Benefits reported green while their measures say otherwise</h3>"
        + table(["project", "name", "flagged benefits"], bw_rows, "None.")
        + "<h3>Reported vs derived RAG (projects)</h3>"
        + table(["reported \\ derived", *rags], matrix_rows, "No project health yet.", numeric={1, 2, 3})
        + "<h3>Margin leakage of client projects (planned − forecast margin)</h3>"
        + table(["project", "name", "currency", "contract value", "planned margin", "forecast margin",
                 "margin leakage", "unbilled approved changes"], leak_rows, "No client projects.",
                numeric={3, 4, 5, 6, 7})
        + "</section>"
    )

    title = f"Portfolio board pack — {month_label(e)}"
    body = "\n".join(parts)
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="pack">
<h1>{esc(title)}</h1>
<p class="lead">Benefits Realization Warehouse · evaluation month {esc(month_label(e))} · as of {esc(data['as_of'].isoformat())}</p>
<nav><a href="#headline">Headline</a><a href="#trend">Trend</a><a href="#attention">Attention list</a><a href="#after-closure">After closure</a><a href="#delivery">Delivery health</a></nav>
</header>
{body}
<footer>Statuses and measures as defined in the product specification (SPEC sections 4 and 6). Money is in each
project's currency and never added across currencies. Generated {esc(datetime.now().strftime('%Y-%m-%d %H:%M'))}.</footer>
</main>
</body>
</html>
"""
    return doc, len(figures)


def write_board_pack(conn: duckdb.DuckDBPyConnection, reports_dir: Path, as_of: date) -> BoardPackResult:
    """`board_pack_<yyyy-mm>.html` for the evaluation month of marts.fct_benefit_status."""
    data = _board_data(conn, as_of)
    doc, figures = render_board_pack(data)
    path = Path(reports_dir) / f"board_pack_{data['e']:%Y-%m}.html"
    _write_atomically(path, lambda tmp: tmp.write_text(doc, encoding="utf-8"))
    return BoardPackResult(path, path.stat().st_size, data["e"], figures)
