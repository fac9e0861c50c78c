"""The load checks of every ingest asset (reported by the asset as it loads, so they judge
exactly the files of that run). Plain functions over a DuckDB connection: each one can be
tested on a warehouse with a planted problem.

- rows_reconcile (ERROR, blocking): per file loaded by the run, rows_read = rows_loaded +
  rows_quarantined, and raw and audit.quarantine hold exactly those rows.
- quarantine_rate (WARN): a file of the run with more than 5 % of its rows quarantined.
"""

from __future__ import annotations

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from pipelines.defs.metadata import markdown_table

QUARANTINE_WARN_RATE = 0.05


def ingest_check_specs(key: AssetKey) -> list[AssetCheckSpec]:
    """The checks an ingest asset reports with its materialization."""
    return [
        AssetCheckSpec("rows_reconcile", asset=key, blocking=True,
                       description="read = loaded + quarantined for every file of the run, and the tables agree"),
        AssetCheckSpec("quarantine_rate", asset=key,
                       description=f"no file of the run has more than {QUARANTINE_WARN_RATE:.0%} rows quarantined"),
    ]


def rows_reconcile(conn: duckdb.DuckDBPyConnection, source: str, run_id: str) -> AssetCheckResult:
    """Every file the run loaded: read = loaded + quarantined, and the tables agree."""
    rows = conn.execute(
        f"""
        SELECT a.source_file, a.rows_read, a.rows_loaded, a.rows_quarantined,
               (SELECT count(*) FROM raw.{source} r WHERE r._source_file = a.source_file AND r._run_id = a.run_id)
                   AS rows_in_raw,
               (SELECT count(*) FROM audit.quarantine q WHERE q.source_file = a.source_file AND q.run_id = a.run_id
                        AND q.source = a.source AND q.reason <> 'rejected_file')
                   AS rows_in_quarantine
        FROM audit.load_audit a
        WHERE a.source = ? AND a.run_id = ?
        ORDER BY a.source_file
        """,
        [source, run_id],
    ).fetchall()
    broken = [r for r in rows if r[1] != r[2] + r[3] or r[2] != r[4] or r[3] != r[5]]
    return AssetCheckResult(
        check_name="rows_reconcile",
        passed=not broken,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"{len(rows)} file(s) reconcile" if not broken
            else f"{len(broken)} file(s) do not reconcile: {', '.join(r[0] for r in broken)}"
        ),
        metadata={
            "files": len(rows),
            "not_reconciling": markdown_table(
                broken, ("file", "read", "loaded", "quarantined", "in raw", "in quarantine")
            ) if broken else "none",
        },
    )


def quarantine_rate(
    conn: duckdb.DuckDBPyConnection, source: str, run_id: str, threshold: float = QUARANTINE_WARN_RATE
) -> AssetCheckResult:
    rows = conn.execute(
        """SELECT source_file, rows_read, rows_quarantined, rows_quarantined / rows_read AS rate
        FROM audit.load_audit WHERE source = ? AND run_id = ? AND rows_read > 0 ORDER BY rate DESC""",
        [source, run_id],
    ).fetchall()
    high = [(f, r, q, f"{rate:.1%}") for f, r, q, rate in rows if rate > threshold]
    worst = max((rate for *_, rate in rows), default=0.0)
    rejected = conn.execute(
        """SELECT q.source_file, q.detail FROM audit.quarantine q
        WHERE q.source = ? AND q.run_id = ? AND q.reason = 'rejected_file' ORDER BY q.source_file""",
        [source, run_id],
    ).fetchall()
    description = (
        f"highest quarantine rate {worst:.1%} (threshold {threshold:.0%})" if not high
        else f"{len(high)} file(s) above {threshold:.0%} quarantined: {', '.join(h[0] for h in high)}"
    )
    if rejected:
        description += f"; {len(rejected)} file(s) rejected whole: {', '.join(r[0] for r in rejected)}"
    return AssetCheckResult(
        check_name="quarantine_rate",
        passed=not high and not rejected,
        severity=AssetCheckSeverity.WARN,
        description=description,
        metadata={"highest_rate": float(worst), "files_above": markdown_table(high, ("file", "read", "quarantined", "rate"))
                  if high else "none",
                  "files_rejected": markdown_table(rejected, ("file", "why")) if rejected else "none"},
    )
