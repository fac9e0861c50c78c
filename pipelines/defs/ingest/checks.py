"""Asset checks beside the dbt tests (issue: operations). The logic is plain functions over a
DuckDB connection, so each one can be tested on a warehouse with a planted problem.

- rows_reconcile (ERROR, blocking): per file loaded by the run, rows_read = rows_loaded +
  rows_quarantined, and raw and audit.quarantine hold exactly those rows.
- quarantine_rate (WARN): a file of the run with more than 5 % of its rows quarantined.
- kpi_freshness (WARN): KPIs whose last measurement is older than their frequency allows.
- benefits_have_owner (ERROR): every valid benefit names an owner.
- status_covers_every_benefit (ERROR): fct_benefit_status has one row per valid benefit.
"""

from __future__ import annotations

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from pipelines.reports import md_text

QUARANTINE_WARN_RATE = 0.05


def _markdown(rows: list[tuple], header: tuple[str, ...], limit: int = 20) -> MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    # Cells hold source text (file names, KPI names, owners): shown as text, never as Markdown.
    lines += ["| " + " | ".join(md_text(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more")
    return MetadataValue.md("\n".join(lines))


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
            "not_reconciling": _markdown(
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
        metadata={"highest_rate": float(worst), "files_above": _markdown(high, ("file", "read", "quarantined", "rate"))
                  if high else "none",
                  "files_rejected": _markdown(rejected, ("file", "why")) if rejected else "none"},
    )


def kpi_freshness(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    late = conn.execute(
        """SELECT kpi_id, kpi_name, frequency, last_measured_on, days_since_last_measurement, data_owner
        FROM marts.dim_kpi WHERE is_late ORDER BY days_since_last_measurement DESC NULLS FIRST, kpi_id"""
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0]
    return AssetCheckResult(
        check_name="kpi_freshness",
        passed=not late,
        severity=AssetCheckSeverity.WARN,
        description=f"{len(late)} of {total} KPIs late against their frequency",
        metadata={"late_kpis": len(late), "late": _markdown(
            late, ("kpi", "name", "frequency", "last measured", "days since", "data owner")) if late else "none"},
    )


def benefits_have_owner(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    orphans = conn.execute(
        """SELECT benefit_id, benefit_name, project_id FROM marts.dim_benefit
        WHERE benefit_owner IS NULL OR trim(benefit_owner) = '' ORDER BY benefit_id"""
    ).fetchall()
    return AssetCheckResult(
        check_name="benefits_have_owner",
        passed=not orphans,
        severity=AssetCheckSeverity.ERROR,
        description="every benefit has an owner" if not orphans else f"{len(orphans)} benefit(s) without an owner",
        metadata={"without_owner": _markdown(orphans, ("benefit", "name", "project")) if orphans else "none"},
    )


def status_covers_every_benefit(conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    valid, statuses, missing = conn.execute(
        """SELECT (SELECT count(*) FROM marts.dim_benefit),
                  (SELECT count(*) FROM marts.fct_benefit_status),
                  (SELECT count(*) FROM marts.dim_benefit b
                   WHERE NOT EXISTS (SELECT 1 FROM marts.fct_benefit_status s WHERE s.benefit_id = b.benefit_id))"""
    ).fetchone()
    passed = valid == statuses and missing == 0
    return AssetCheckResult(
        check_name="status_covers_every_benefit",
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=f"{statuses} status rows for {valid} valid benefits" + ("" if passed else f", {missing} missing"),
        metadata={"valid_benefits": valid, "status_rows": statuses, "missing": missing},
    )
