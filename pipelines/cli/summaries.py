"""The summary `brw run` prints after a run: rows loaded and quarantined per file, benefits by
status and value per portfolio, delivery health (derived RAG, watermelons, margin leakage)."""

from __future__ import annotations

import sys

from pipelines.settings import Settings


def read_warehouse(settings: Settings, fetch):
    """fetch(conn) on a read-only connection for the run summary; None when there is nothing
    to read (no warehouse yet, or the tables a failed run did not build)."""
    import duckdb

    from pipelines.load import connect

    if not settings.warehouse.exists():
        return None
    conn = connect(settings.warehouse, read_only=True)
    try:
        return fetch(conn)
    except duckdb.Error:
        return None
    finally:
        conn.close()


def _fmt(n: int) -> str:
    return f"{n:,}"


def print_load_summary(settings: Settings, run_id: str, out=None) -> None:
    out = out or sys.stdout

    def fetch(conn):
        audit = conn.execute(
            """SELECT source, source_file, rows_read, rows_loaded, rows_quarantined
            FROM audit.load_audit WHERE run_id = ? ORDER BY source_file""",
            [run_id],
        ).fetchall()
        reasons = dict(
            conn.execute(
                "SELECT reason, count(*) FROM audit.quarantine WHERE run_id = ? GROUP BY reason ORDER BY reason",
                [run_id],
            ).fetchall()
        )
        landing_total = conn.execute("SELECT count(*) FROM audit.loaded_files").fetchone()[0]
        rejected = conn.execute(
            """SELECT source_file, detail FROM audit.quarantine WHERE run_id = ? AND reason = 'rejected_file'
            ORDER BY source_file""",
            [run_id],
        ).fetchall()
        return audit, reasons, landing_total, rejected

    data = read_warehouse(settings, fetch)
    if data is None:  # nothing to read: the run failed before it
        return
    audit, reasons, landing_total, rejected = data
    print("\nLoaded this run (rows):", file=out)
    print(f"  {'file':<48}{'read':>10}{'loaded':>10}{'quarantined':>13}", file=out)
    landing = [row for row in audit if row[0] == "kpi_measurements"]
    shared = {f for f in (row[1] for row in audit) if sum(1 for row in audit if row[1] == f) > 1}
    for source, source_file, read, loaded, quarantined in audit:
        if source == "kpi_measurements" and not quarantined:
            continue  # summed below; files with rejected rows are listed one by one
        shown = f"{source_file} → {source}" if source_file in shared else source_file  # one file, two tables
        print(f"  {shown:<48}{_fmt(read):>10}{_fmt(loaded):>10}{_fmt(quarantined):>13}", file=out)
    if landing:
        read, loaded, quarantined = (sum(r[i] for r in landing) for i in (2, 3, 4))
        label = f"kpi_measurements/ ({len(landing)} new files)"
        print(f"  {label:<48}{_fmt(read):>10}{_fmt(loaded):>10}{_fmt(quarantined):>13}", file=out)
    skipped = landing_total - len(landing)
    if skipped:
        print(f"  kpi_measurements/: {skipped} files loaded by earlier runs, not read again", file=out)
    if reasons:
        text = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
        print(f"Quarantined by reason: {text} (see audit.quarantine)", file=out)
    if rejected:
        print("Files rejected whole (the rest of their batch loaded; fix and drop them again):", file=out)
        for source_file, detail in rejected[:SHOWN]:
            print(f"  {source_file}: {detail}", file=out)
        _more(rejected, "rejected files (audit.quarantine, reason rejected_file)", out)


STATUS_ORDER = (
    "off_track", "eroding", "stale", "exceeded", "at_risk", "on_track", "achieved", "within_tolerance",
    "not_started", "tracking_ended", "no_baseline",
)


def print_benefit_summary(settings: Settings, out=None) -> None:
    """Benefits by status and realized vs planned value per portfolio, from the marts."""
    out = out or sys.stdout
    def fetch(conn):
        statuses = dict(conn.execute("SELECT status, count(*) FROM marts.fct_benefit_status GROUP BY status").fetchall())
        evaluation = conn.execute("SELECT max(evaluation_month) FROM marts.fct_benefit_status").fetchone()[0]
        portfolios = conn.execute(
            """SELECT portfolio, currency, benefits_tracked, cumulative_realized_value, cumulative_planned_value
            FROM marts.fct_portfolio_monthly WHERE period_month = ? ORDER BY portfolio, currency""",
            [evaluation],
        ).fetchall()
        stale = conn.execute(
            """SELECT benefit_owner, count(*) FROM marts.fct_benefit_status WHERE status = 'stale'
            GROUP BY benefit_owner ORDER BY 2 DESC, 1"""
        ).fetchall()
        invalid = conn.execute("SELECT count(*) FROM marts.fct_invalid_benefits").fetchone()[0]
        return statuses, evaluation, portfolios, stale, invalid

    data = read_warehouse(settings, fetch)
    if data is None:  # nothing to read: the run failed before it
        return
    statuses, evaluation, portfolios, stale, invalid = data
    total = sum(statuses.values())
    if evaluation is None:  # e.g. a mapped source directory without a benefits register
        print("\nBenefits: none loaded (benefits and KPI measurements are empty)", file=out)
        return
    print(f"\nBenefits by status at {evaluation:%B %Y} (evaluation month, {total} benefits):", file=out)
    known = [s for s in STATUS_ORDER if s in statuses] + sorted(set(statuses) - set(STATUS_ORDER))
    print("  " + ", ".join(f"{s} {statuses[s]}" for s in known), file=out)
    if stale:
        shown = ", ".join(f"{o} {n}" for o, n in stale[:SHOWN])
        more = f", and {len(stale) - SHOWN} more owners (marts.fct_benefit_status)" if len(stale) > SHOWN else ""
        print(f"  stale (no measurement for 3 months), by owner: {shown}{more}", file=out)
    if invalid:
        print(f"  {invalid} benefit(s) with a target that is no improvement: see marts.fct_invalid_benefits", file=out)
    if portfolios:
        print("Cumulative realized vs planned value per portfolio:", file=out)
        for portfolio, currency, tracked, realized, planned in portfolios:
            share = f"{realized / planned:6.0%}" if planned and planned > 0 else "     -"
            print(
                f"  {portfolio:<32}{currency:>4} {realized or 0:>16,.0f} of {planned or 0:>14,.0f} planned"
                f" {share}  ({tracked} tracked)",
                file=out,
            )


def print_delivery_summary(settings: Settings, out=None) -> None:
    """Derived RAG counts and the watermelon projects with the reasons for their derived RAG."""
    out = out or sys.stdout
    def fetch(conn):
        rag = dict(conn.execute("SELECT derived_rag, count(*) FROM marts.fct_project_health GROUP BY 1").fetchall())
        watermelons = conn.execute(
            """SELECT h.project_id, p.project_name, h.watermelon_months, h.derived_rag_reasons
            FROM marts.fct_project_health h JOIN marts.dim_project p USING (project_id)
            WHERE h.is_watermelon ORDER BY h.watermelon_months DESC, h.project_id"""
        ).fetchall()
        benefit_melons = conn.execute(
            """SELECT h.project_id, p.project_name, h.flagged_benefit_list
            FROM marts.fct_project_health h JOIN marts.dim_project p USING (project_id)
            WHERE h.is_benefits_watermelon ORDER BY h.project_id"""
        ).fetchall()
        leaking = conn.execute(
            """SELECT h.project_id, p.project_name, p.currency, h.margin_leakage, h.unbilled_approved_change_cost
            FROM marts.fct_project_health h JOIN marts.dim_project p USING (project_id)
            WHERE h.margin_leakage > 0 ORDER BY h.margin_leakage DESC"""
        ).fetchall()
        return rag, watermelons, benefit_melons, leaking

    data = read_warehouse(settings, fetch)
    if data is None:  # nothing to read: the run failed before it
        return
    rag, watermelons, benefit_melons, leaking = data
    counts = ", ".join(f"{c} {rag[c]}" for c in ("red", "amber", "green") if c in rag)
    print(f"\nDelivery health (derived RAG): {counts}", file=out)
    if watermelons:
        print("Watermelon projects (reported green, derived red):", file=out)
        for project_id, name, months, reasons in watermelons[:SHOWN]:
            print(f"  {project_id} {name} — {months} month(s): {reasons}", file=out)
        _more(watermelons, "watermelon projects (marts.fct_project_health, is_watermelon)", out)
    else:
        print("Watermelon projects: none", file=out)
    if benefit_melons:
        print("Benefits reported green while measures say otherwise:", file=out)
        for project_id, name, flagged in benefit_melons[:SHOWN]:
            print(f"  {project_id} {name}: {flagged}", file=out)
        _more(benefit_melons, "projects (marts.fct_project_health, is_benefits_watermelon)", out)
    if leaking:
        print("Client projects leaking margin (planned - forecast margin), largest first:", file=out)
    for project_id, name, currency, leakage, unbilled in leaking[:SHOWN]:
        print(f"  {project_id} {name}: {leakage:,.0f} {currency} (unbilled approved changes {unbilled:,.0f})", file=out)
    _more(leaking, "leaking projects (marts.fct_project_health, margin_leakage > 0)", out)


SHOWN = 10  # longer lists in the run summary end with "and N more" and where to find them


def _more(items: list, what: str, out) -> None:
    if len(items) > SHOWN:
        print(f"  ... and {len(items) - SHOWN} more {what}", file=out)
