"""The summary `brw run` prints after a run: rows loaded and quarantined per file, benefits by
status, net annual planned value and value at stake (rpt_portfolio_board: the definition the
dashboard and the board pack share), value per portfolio, delivery health (derived RAG,
watermelons, margin leakage).

Every figure is a SELECT: the load from the audit tables, the rest from the reporting layer
(`reporting.rpt_benefit_board`, `rpt_project_board`, `rpt_portfolio_month`) and
`marts.fct_invalid_benefits`. Status labels, their order and the stale rule's threshold come from
the warehouse's vocabulary (`pipelines.vocabulary`), numbers are formatted by
`pipelines.formatting`; nothing here names a status or a threshold.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from pipelines import formatting
from pipelines.load.contract import SOURCES
from pipelines.settings import Settings
from pipelines.vocabulary import STATUS_SQL, THRESHOLD_SQL, Vocabulary

SHOWN = 10  # longer lists in the run summary end with "and N more" and where to find them
RAG_ORDER = ("red", "amber", "green")  # the derived RAG of SPEC section 6, worst first
STALE_RULE = "stale"  # status_key of SPEC 4 rule 4: its benefits are listed by owner

LOAD_QUERIES = {  # $1: the run's id
    "audit": """SELECT source, source_file, rows_read, rows_loaded, rows_quarantined
        FROM audit.load_audit WHERE run_id = $1 ORDER BY source_file""",
    "reasons": """SELECT reason, count(*) FROM audit.quarantine WHERE run_id = $1
        GROUP BY reason ORDER BY reason""",
    "rejected": """SELECT source_file, detail FROM audit.quarantine WHERE run_id = $1 AND reason = 'rejected_file'
        ORDER BY source_file""",
    # landing files loaded so far, per landing source (the one whose load audited the file)
    "landing_total": """SELECT coalesce(a.source, 'kpi_measurements'), count(*) FROM audit.loaded_files f
        LEFT JOIN (SELECT source_file, any_value(source) AS source FROM audit.load_audit GROUP BY source_file) a
        USING (source_file) GROUP BY 1""",
}

BENEFIT_QUERIES = {
    "statuses": STATUS_SQL,
    "thresholds": THRESHOLD_SQL,
    "evaluation": "SELECT max(evaluation_month) FROM reporting.rpt_benefit_board",
    "status_counts": """SELECT status_label, count(*) FROM reporting.rpt_benefit_board
        GROUP BY ALL ORDER BY min(status_board_order), status_label""",
    "owners": """SELECT status, benefit_owner, count(*) AS benefits FROM reporting.rpt_benefit_board
        GROUP BY ALL ORDER BY benefits DESC, benefit_owner NULLS LAST""",
    "invalid": "SELECT count(*) FROM marts.fct_invalid_benefits",
    # SPEC section 3: KPIs measured in the evaluation month but not to its end (read as no data)
    "incomplete": """SELECT count(*) FILTER (WHERE NOT is_evaluation_month_complete AND evaluation_month_measurements > 0),
               count(*) FROM marts.dim_kpi""",
    "portfolios": """SELECT portfolio, currency, benefits_tracked, cumulative_realized_value, cumulative_planned_value,
               realized_share_of_plan
        FROM reporting.rpt_portfolio_month WHERE is_evaluation_month AND is_reporting_total
        ORDER BY portfolio, currency""",
    # the board's totals in the reporting currency: rpt_portfolio_board's is_reporting_total rows,
    # the definition the dashboard and the board pack share (a dis-benefit is a cost; over-claimed
    # KPI improvement counted once; null where a benefit lacks a rate, never a partial sum)
    "value": """SELECT currency, sum(annual_planned_benefit), sum(annual_planned_disbenefit), sum(annual_planned_net),
               sum(value_at_stake), sum(attention_benefits),
               string_agg(over_claimed_kpi_ids, ', ' ORDER BY portfolio)
        FROM reporting.rpt_portfolio_board WHERE is_reporting_total GROUP BY currency""",
    "at_stake": """SELECT benefit_id, benefit_name, status_label, benefit_owner, reporting_currency, value_at_stake_reporting
        FROM reporting.rpt_benefit_board WHERE value_at_stake_rank_reporting IS NOT NULL
        ORDER BY value_at_stake_rank_reporting""",
}

DELIVERY_QUERIES = {  # benefits_watermelons: the flagged benefits of each, with their status labels
    "rag": "SELECT derived_rag, count(*) FROM reporting.rpt_project_board GROUP BY derived_rag",
    "watermelons": """SELECT project_id, project_name, watermelon_months, derived_rag_reasons
        FROM reporting.rpt_project_board WHERE is_watermelon ORDER BY watermelon_months DESC, project_id""",
    "benefits_watermelons": """SELECT project_id, project_name,
               string_agg(benefit_id || ' ' || status_label, ', ' ORDER BY benefit_id)
        FROM reporting.rpt_benefit_board WHERE flags_benefits_watermelon
          AND project_id IN (SELECT project_id FROM reporting.rpt_project_board WHERE is_benefits_watermelon)
        GROUP BY project_id, project_name ORDER BY project_id""",
    "leaking": """SELECT project_id, project_name, currency, margin_leakage, unbilled_approved_change_cost
        FROM reporting.rpt_project_board WHERE margin_leakage > 0 ORDER BY margin_leakage DESC, project_id""",
}


def read_warehouse(settings: Settings, queries: Mapping[str, str], params: list | None = None) -> dict | None:
    """The rows of each query by name, read on a read-only connection; `params` are bound to the
    queries that use them ($1, …). None when there is nothing to read (no warehouse yet, or the
    tables a failed run did not build)."""
    import duckdb

    from pipelines.load import connect

    if not settings.warehouse.exists():
        return None
    conn = connect(settings.warehouse, read_only=True)
    try:
        return {name: conn.execute(sql, params if params and "$1" in sql else []).fetchall()
                for name, sql in queries.items()}
    except duckdb.Error:
        return None
    finally:
        conn.close()


def print_load_summary(settings: Settings, run_id: str, out=None) -> None:
    """Rows read, loaded and quarantined per file of this run, the reasons, the files rejected."""
    _print_summary(settings, LOAD_QUERIES, _write_load, out, [run_id])


def print_benefit_summary(settings: Settings, out=None) -> None:
    """Benefits by status (labels in board order), the stale ones by owner, and realized vs
    planned value per portfolio at the evaluation month, from the reporting layer."""
    _print_summary(settings, BENEFIT_QUERIES, _write_benefits, out)


def print_delivery_summary(settings: Settings, out=None) -> None:
    """Derived RAG counts, the watermelon projects with the reasons for their derived RAG, the
    benefits watermelons and the client projects leaking margin, from the reporting layer."""
    _print_summary(settings, DELIVERY_QUERIES, _write_delivery, out)


def _print_summary(settings: Settings, queries, write, out, params: list | None = None) -> None:
    """write(rows by query name, out); nothing when there is nothing to read (the run failed
    before it)."""
    data = read_warehouse(settings, queries, params)
    if data is not None:
        write(data, out or sys.stdout)


def _write_load(data: dict, out) -> None:
    audit, rejected = data["audit"], data["rejected"]
    count = formatting.count
    print("\nLoaded this run (rows):", file=out)
    print(f"  {'file':<48}{'read':>10}{'loaded':>10}{'quarantined':>13}", file=out)
    folders = [s.name for s in SOURCES if s.landing_folder]  # KPI measurements, owner check-ins
    shared = {f for f in (row[1] for row in audit) if sum(1 for row in audit if row[1] == f) > 1}
    for source, source_file, read, loaded, quarantined in audit:
        if source in folders and not quarantined:
            continue  # summed below; files with rejected rows are listed one by one
        shown = f"{source_file} → {source}" if source_file in shared else source_file  # one file, two tables
        print(f"  {shown:<48}{count(read):>10}{count(loaded):>10}{count(quarantined):>13}", file=out)
    loaded_before = dict(data["landing_total"])
    for folder in folders:
        landing = [row for row in audit if row[0] == folder]
        if landing:
            read, loaded, quarantined = (sum(r[i] for r in landing) for i in (2, 3, 4))
            label = f"{folder}/ ({len(landing)} new files)"
            print(f"  {label:<48}{count(read):>10}{count(loaded):>10}{count(quarantined):>13}", file=out)
        skipped = loaded_before.get(folder, 0) - len(landing)
        if skipped > 0:
            print(f"  {folder}/: {skipped} files loaded by earlier runs, not read again", file=out)
    if data["reasons"]:
        text = ", ".join(f"{reason} {count(n)}" for reason, n in data["reasons"])
        print(f"Quarantined by reason: {text} (see audit.quarantine)", file=out)
    if rejected:
        print("Files rejected whole (the rest of their batch loaded; fix and drop them again):", file=out)
        for source_file, detail in rejected[:SHOWN]:
            print(f"  {source_file}: {detail}", file=out)
        _more(rejected, "rejected files (audit.quarantine, reason rejected_file)", out)


def _write_benefits(data: dict, out) -> None:
    evaluation = data["evaluation"][0][0]
    if evaluation is None:  # e.g. a mapped source directory without a benefits register
        print("\nBenefits: none loaded (benefits and KPI measurements are empty)", file=out)
        return
    vocabulary = Vocabulary.from_rows(data["statuses"], data["thresholds"])
    counts = data["status_counts"]
    total = sum(n for _, n in counts)
    print(f"\nBenefits by status at {formatting.month_label(evaluation)} (evaluation month, "
          f"{formatting.count(total)} benefits):", file=out)
    print("  " + ", ".join(f"{label} {formatting.count(n)}" for label, n in counts), file=out)
    stale = vocabulary.by_key(STALE_RULE)
    owners = [(owner, n) for status, owner, n in data["owners"] if status == stale.code]
    if owners:
        months = formatting.count(vocabulary.threshold("stale_after_months"))
        shown = ", ".join(f"{owner} {formatting.count(n)}" for owner, n in owners[:SHOWN])
        more = (f", and {len(owners) - SHOWN} more owners (reporting.rpt_benefit_board)"
                if len(owners) > SHOWN else "")
        print(f"  {stale.label} (no measurement for {months} months), by owner: {shown}{more}", file=out)
    _write_incomplete(data["incomplete"][0], formatting.month_label(evaluation), out)
    invalid = data["invalid"][0][0]
    if invalid:
        print(f"  {formatting.count(invalid)} benefit(s) with a target that is no improvement: "
              "see marts.fct_invalid_benefits", file=out)
    _write_value(data, out)
    if data["portfolios"]:
        print("Cumulative realized vs planned value per portfolio:", file=out)
        for portfolio, currency, tracked, realized, planned, share in data["portfolios"]:
            print(
                f"  {portfolio:<32}{formatting.money(realized, currency):>16} of "
                f"{formatting.money(planned, currency):>14} planned {formatting.pct(share):>5}"
                f"  ({formatting.count(tracked)} tracked)",
                file=out,
            )


def _write_incomplete(counts: tuple, month: str, out) -> None:
    incomplete, kpis = counts
    if incomplete:
        print(f"  {formatting.count(incomplete)} of {formatting.count(kpis)} KPIs have an incomplete {month} "
              "(no measurement in its last days): read as no data (marts.dim_kpi, is_evaluation_month_complete)",
              file=out)


def _write_value(data: dict, out) -> None:
    """Net annual planned value and value at stake per currency, the largest amounts at stake."""
    money = formatting.money
    if data["value"]:
        print("Annual planned value (benefits in their review window; a dis-benefit is a cost) and value at stake:",
              file=out)
    over_claimed = []
    for currency, benefit, disbenefit, net, at_stake, attention, kpis in data["value"]:
        print(f"  {currency}: net {money(net, currency)} a year ({money(benefit, currency)} benefits − "
              f"{money(disbenefit, currency)} dis-benefits); {money(at_stake, currency)} at stake "
              f"({formatting.count(attention)} benefits needing attention)", file=out)
        over_claimed += [k for k in (kpis or "").split(", ") if k and k not in over_claimed]
    if over_claimed:
        print(f"  Each KPI's improvement counted once: benefits claim more than 100 % of {', '.join(over_claimed)} "
              "(reporting.rpt_attribution_overlap)", file=out)
    if data["at_stake"]:
        print("Value at stake, largest first:", file=out)
        for benefit_id, name, status, owner, currency, at_stake in data["at_stake"][:SHOWN]:
            print(f"  {benefit_id} {name} ({status}, {owner or 'no owner'}): {money(at_stake, currency)}", file=out)
        _more(data["at_stake"], "benefits at stake (reporting.rpt_benefit_board, value_at_stake_rank)", out)


def _write_delivery(data: dict, out) -> None:
    rag = dict(data["rag"])
    counts = ", ".join(f"{c} {formatting.count(rag[c])}" for c in RAG_ORDER if c in rag)
    print(f"\nDelivery health (derived RAG): {counts}", file=out)
    watermelons, benefit_melons, leaking = data["watermelons"], data["benefits_watermelons"], data["leaking"]
    if watermelons:
        print("Watermelon projects (reported green, derived red):", file=out)
        for project_id, name, months, reasons in watermelons[:SHOWN]:
            print(f"  {project_id} {name} — {months} month(s): {reasons}", file=out)
        _more(watermelons, "watermelon projects (reporting.rpt_project_board, is_watermelon)", out)
    else:
        print("Watermelon projects: none", file=out)
    if benefit_melons:
        print("Benefits reported green while measures say otherwise:", file=out)
        for project_id, name, flagged in benefit_melons[:SHOWN]:
            print(f"  {project_id} {name}: {flagged}", file=out)
        _more(benefit_melons, "projects (reporting.rpt_project_board, is_benefits_watermelon)", out)
    if leaking:
        print("Client projects leaking margin (planned − forecast margin), largest first:", file=out)
    for project_id, name, currency, leakage, unbilled in leaking[:SHOWN]:
        print(f"  {project_id} {name}: {formatting.money(leakage, currency)} "
              f"(unbilled approved changes {formatting.money(unbilled, currency)})", file=out)
    _more(leaking, "leaking projects (reporting.rpt_project_board, margin_leakage > 0)", out)


def _more(items: list, what: str, out) -> None:
    if len(items) > SHOWN:
        print(f"  ... and {len(items) - SHOWN} more {what}", file=out)
