"""`brw`: run the pipeline, query the warehouse, generate sources, serve the dashboard (SPEC 8)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from pipelines.contract import SOURCES
from pipelines.settings import REPO_ROOT, Settings, SettingsError


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help="DuckDB warehouse file (env BRW_WAREHOUSE; default warehouse/brw.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brw", description="Benefits Realization Warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest the sources and build the warehouse through Dagster")
    run.add_argument("--source", help="source directory (env BRW_SOURCE_DIR; default seeds/)")
    _add_warehouse(run)
    run.add_argument("--as-of", help="as-of date YYYY-MM-DD (env BRW_AS_OF; default today)")
    run.add_argument("--mapping", help="a sources.yml mapping your own exports (env BRW_MAPPING; "
                                       "default <source>/sources.yml when present)")
    run.add_argument("--all", action="store_true",
                     help="rebuild everything, not only what changed since the last run")

    sources = sub.add_parser("sources", help="check or start the mapping of your own exports (sources.yml)")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    check = sources_sub.add_parser("check", help="dry run: what each table would load and reject; writes nothing")
    check.add_argument("--source", help="source directory (env BRW_SOURCE_DIR; default seeds/)")
    check.add_argument("--mapping", help="the mapping file (env BRW_MAPPING; default <source>/sources.yml)")
    check.add_argument("--as-of", help="as-of date YYYY-MM-DD for the plausible-date window (default today)")
    init = sources_sub.add_parser("init", help="write a starter sources.yml from the headers of the files in DIR")
    init.add_argument("dir", help="the directory holding your exports")
    init.add_argument("--force", action="store_true", help="overwrite an existing sources.yml")

    sql = sub.add_parser("sql", help="read-only SQL against the warehouse")
    sql.add_argument("query", help="one SELECT / WITH / DESCRIBE / SHOW statement")
    _add_warehouse(sql)
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.add_argument("--limit", type=int, default=None, help="at most this many rows")

    def _size(value: str) -> int:
        from pipelines.sql import parse_size

        try:
            return parse_size(value) or 0  # 0: no limit (None: the flag was not given)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    sql.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="stop the query after S seconds (default 60; 0 = no limit)")
    sql.add_argument("--memory-limit", type=_size, default=None, metavar="SIZE",
                     help="memory the query may use, e.g. 4GB (default 2GB; 0 = no limit)")
    sql.add_argument("--max-bytes", type=_size, default=None, metavar="SIZE",
                     help="stop reading the result at this size, e.g. 1GB (default 256MB; 0 = no limit)")
    sql.add_argument("--trusted", action="store_true",
                     help="a trusted local analyst: files and URLs readable (read_csv, read_parquet ...), "
                          "no time or memory limit unless given; still read-only, writing statements still refused")

    gen = sub.add_parser("generate", help="write a synthetic source directory (SPEC section 2)")
    gen.add_argument("--out", required=True, help="directory to write")
    gen.add_argument("--projects", type=int, default=30)
    gen.add_argument("--years", type=int, default=7)
    gen.add_argument("--seed", type=int, default=2026)
    gen.add_argument("--end", help="last day of data, YYYY-MM-DD (default 2026-11-20)")
    gen.add_argument("--format", choices=["auto", "csv", "parquet"], default="auto", help="KPI measurement files")
    gen.add_argument("--no-stories", action="store_true", help="leave out the planted demo stories")

    dash = sub.add_parser("dashboard", help="serve the Streamlit portfolio board")
    _add_warehouse(dash)
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--address", default="localhost", help="interface to serve on (0.0.0.0 for the network)")
    return parser


# --------------------------------------------------------------------------- run


def read_warehouse(settings: Settings, fetch):
    """fetch(conn) on a read-only connection for the run summary; None when there is nothing
    to read (no warehouse yet, or the tables a failed run did not build)."""
    import duckdb

    from pipelines.ingest import connect

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
        invalid = conn.execute("SELECT count(*) FROM marts.invalid_benefits").fetchone()[0]
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
        print(f"  {invalid} benefit(s) with a target that is no improvement: see marts.invalid_benefits", file=out)
    if portfolios:
        print("Cumulative realized vs planned value per portfolio:", file=out)
        for portfolio, currency, tracked, realized, planned in portfolios:
            share = f"{realized / planned:6.0%}" if planned and planned > 0 else "     -"
            print(
                f"  {portfolio:<32}{currency:>4} {realized or 0:>16,.0f} of {planned or 0:>14,.0f} planned"
                f" {share}  ({tracked} tracked)",
                file=out,
            )


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.resolve(args.source, args.warehouse, args.as_of, args.mapping)
    if settings.as_of is None:  # a CLI run is as of the day it starts
        settings = dataclasses.replace(settings, as_of=date.today())
    settings.export()
    print(f"brw run: sources {settings.source_dir}\n         warehouse {settings.warehouse}\n         as of {settings.as_of}")
    if not settings.source_dir.is_dir():
        print(f"error: source directory {settings.source_dir} does not exist", file=sys.stderr)
        return 2
    # A mapping is checked against its inputs before anything is loaded (README, "Your own exports").
    from pipelines.ingest import connect
    from pipelines.mapping import MappingError, mapping_for, validate

    try:
        mapping = mapping_for(settings.source_dir, settings.mapping)
        if mapping is not None:
            with contextlib.closing(connect(":memory:")) as conn:
                validate(conn, mapping, settings.source_dir)
            print(f"         mapping {mapping.path} ({len(mapping.tables)} tables mapped)")
    except MappingError as exc:
        print(f"error: the mapping cannot be used; nothing was loaded:\n{exc}", file=sys.stderr)
        return 2
    import signal
    import threading
    import traceback

    from pipelines import failures

    # Every failure ends in one line naming the step, the cause and what to do (pipelines.failures);
    # `step` is what this function is doing outside the Dagster job. SIGTERM stops the run like
    # Ctrl-C (Dagster forwards it to dbt); dbt dies with this process even on kill -9
    # (pipelines.processes).
    started = time.monotonic()
    step, log_path = "start", None
    previous_sigterm = None
    if threading.current_thread() is threading.main_thread():
        previous_sigterm = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        log_dir = settings.warehouse.parent / "logs"
        step = f"start (creating the log folder {log_dir})"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"brw-run-{time.strftime('%Y%m%d-%H%M%S')}.log"
        from pipelines.dbt_manifest import ensure_manifest
        from pipelines.plan import PLANNED_TAG, invalidate, plan_run, record_state

        step = "dbt parse (preparing the manifest)"
        ensure_manifest()
        step = "plan (reading the last run's state from the warehouse)"
        plan = plan_run(settings.warehouse, settings.source_dir, settings.as_of, everything=args.all, mapping=mapping)
        for reason in plan.reasons:
            print(f"plan: {reason}")
        if plan.nothing_to_do:
            print(f"Nothing changed since run {plan.last_run_id[:8]} (sources, as of, dbt project, ingestion code): "
                  "the warehouse is up to date. `brw run --all` rebuilds everything.")
            from pipelines.publish import publish_read_copy, read_copy_path

            if not read_copy_path(settings.warehouse).exists():  # deleted since: the dashboard needs it
                step = "publish (the dashboard's read copy)"
                print(f"published the missing read copy {publish_read_copy(settings.warehouse)}")
            return 0
        step = "loading the Dagster definitions"
        from dagster import DagsterInstance

        from pipelines import progress
        from pipelines.assets.dbt import brw_dbt_assets
        from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
        from pipelines.ingest import connect

        defs = build_definitions(settings)
        job = defs.resolve_job_def(ALL_ASSETS_JOB)
        selection = plan.asset_keys(defs, brw_dbt_assets)
        if selection is not None:
            total = len(defs.resolve_asset_graph().get_all_asset_keys())
            print(f"plan: {len(selection)} of {total} assets")
        if settings.warehouse.exists():  # a failed run leaves no state: the next one rebuilds everything
            step = f"opening the warehouse {settings.warehouse}"
            with contextlib.closing(connect(settings.warehouse)) as conn:
                invalidate(conn)
        step = "starting the Dagster run"
        home = os.environ.get("DAGSTER_HOME")
        if home:
            Path(home).mkdir(parents=True, exist_ok=True)
            instance = DagsterInstance.get()
        else:
            instance = DagsterInstance.ephemeral()
        # dagster-dbt echoes dbt's own log to stdout: keep it in a file, show progress lines instead.
        progress.STREAM = sys.stdout
        try:
            with instance, open(log_path, "w", encoding="utf-8") as log_file, contextlib.redirect_stdout(log_file):
                result = job.execute_in_process(
                    instance=instance, run_config={"loggers": {"brw_progress": {}}}, raise_on_error=False,
                    asset_selection=selection, tags={PLANNED_TAG: "true"},
                )
        finally:
            progress.STREAM = None
        if result.success:
            step = "recording the run's state in the warehouse"
            with contextlib.closing(connect(settings.warehouse)) as conn:
                record_state(conn, plan.fingerprints, result.run_id)
        try:
            print_load_summary(settings, result.run_id)
            if selection is not None:
                selected = {tuple(key.path) for key in selection}
                from pipelines.mapping import source_label

                unchanged = [source_label(s, mapping) for s in SOURCES if ("raw", s.name) not in selected]
                if unchanged:
                    print(f"  not read, unchanged since run {plan.last_run_id[:8]}: {', '.join(unchanged)}")
            print_benefit_summary(settings)
            print_delivery_summary(settings)
        except Exception as exc:  # the summary only reads: it never turns the run into a failure
            print(f"(run summary not shown: {failures.root_cause(failures.chain_of(exc))})")
        print(f"dbt log: {log_path}")
        took = time.monotonic() - started
        if result.success:
            print(f"\nbrw run succeeded in {took:.1f} s (run {result.run_id[:8]})")
            return 0
        failure, details = failures.from_run(result, settings.warehouse, log_path)
        failures.append_to_log(log_path, details)
        print(f"\nbrw run failed after {took:.1f} s (run {result.run_id[:8]}). The warehouse keeps the data of the last "
              "successful load of every failed asset; the next `brw run` rebuilds everything.", file=sys.stderr)
        print(failure.line(), file=sys.stderr)
        return 130 if failure.kind == "interrupted" else 1
    except KeyboardInterrupt as exc:
        print(f"\n{failures.describe(exc, step, settings.warehouse).line()}", file=sys.stderr)
        return 130
    except Exception as exc:
        logged = failures.append_to_log(log_path, [f"--- {step}\n{traceback.format_exc()}"])
        failure = failures.describe(exc, step, settings.warehouse, log_path if logged else None)
        if not logged and failure.kind == "other":
            traceback.print_exc()  # an unknown cause and no log to keep its traceback in
        print(f"\n{failure.line()}", file=sys.stderr)
        return 1
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


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


# --------------------------------------------------------------------------- sql


def cmd_sql(args: argparse.Namespace) -> int:
    """Exit 0 with the result, 2 when the statement is refused (nothing ran), 1 for any other
    error (missing warehouse, DuckDB error, time or memory limit); errors are one line on stderr."""
    from pipelines.safe_csv import frame_to_csv
    from pipelines.sql import CLI_LIMITS, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError, run_query

    limits = CLI_LIMITS
    if args.trusted:
        limits = dataclasses.replace(limits, external_access=True, timeout_s=None, memory_limit=None, threads=None)
    changes = {"max_rows": args.limit}
    if args.timeout is not None:
        changes["timeout_s"] = args.timeout or None
    if args.memory_limit is not None:
        changes["memory_limit"] = args.memory_limit or None
    if args.max_bytes is not None:
        changes["max_bytes"] = args.max_bytes or None
    limits = dataclasses.replace(limits, **changes)

    def fail(exc: BaseException, hint: str = "") -> None:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        print(f"error: {lines[0] if lines else type(exc).__name__}{hint}", file=sys.stderr)

    settings = Settings.resolve(warehouse=args.warehouse)
    try:
        result = run_query(settings.warehouse, args.query, limits)
    except ReadOnlySqlError as exc:
        fail(exc)
        return 2
    except QueryTimeout as exc:
        fail(exc, " (--timeout S changes it)")
        return 1
    except QueryMemoryLimit as exc:
        fail(exc, " (--memory-limit SIZE changes it)")
        return 1
    except Exception as exc:  # missing warehouse, DuckDB errors: unknown table, bad column ...
        fail(exc)
        return 1
    frame = result.frame
    if result.truncated:
        hint = " (--max-bytes SIZE changes it)" if result.truncated_by == "bytes" else ""
        print(f"note: {result.note()}{hint}", file=sys.stderr)
    if args.format == "csv":
        frame_to_csv(frame, sys.stdout)  # formula-leading text cells escaped (issue 11, item 8)
    elif args.format == "json":
        print(json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2))
    else:
        print(frame.to_string(index=False) if len(frame.columns) else "(no columns)")
        print(f"({len(frame)} row{'s' if len(frame) != 1 else ''}{', more not shown' if result.truncated else ''})")
    return 0


# --------------------------------------------------------------------------- generate


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generate import generate_source_dir

    kwargs = {}
    if args.end:
        kwargs["end"] = date.fromisoformat(args.end)
    started = time.monotonic()
    counts = generate_source_dir(
        Path(args.out),
        projects=args.projects,
        years=args.years,
        seed=args.seed,
        measurement_format=args.format,
        stories=not args.no_stories,
        progress=lambda msg: print(f"  {msg}", flush=True),
        **kwargs,
    )
    for name, n in counts.items():
        print(f"  {name:<28}{n:>12,}")
    print(f"wrote {args.out} in {time.monotonic() - started:.1f} s")
    return 0


# --------------------------------------------------------------------------- dashboard


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = Settings.resolve(warehouse=args.warehouse)
    settings.export()
    app = REPO_ROOT / "dashboards" / "app.py"
    # Streamlit through pipelines.processes, which ends the process promptly once Streamlit stops
    cmd = [
        sys.executable, "-m", "pipelines.processes", "streamlit", "run", str(app),
        "--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    from pipelines.publish import read_copy_path

    print(f"brw dashboard: http://{args.address}:{args.port} (reads {read_copy_path(settings.warehouse)})", flush=True)
    if os.name != "posix":
        return subprocess.call(cmd)
    # Become the server: signals (Ctrl-C, SIGTERM, a killed terminal) reach Streamlit itself, and
    # no child is left serving when `brw dashboard` is killed.
    os.execv(sys.executable, cmd)


def cmd_sources(args: argparse.Namespace) -> int:
    from pipelines.mapping import MappingError, mapping_for

    if args.sources_command == "init":
        from pipelines.sources_init import write_starter

        folder = Path(args.dir).expanduser().resolve()
        if not folder.is_dir():
            print(f"error: {folder} is not a directory", file=sys.stderr)
            return 2
        try:
            path, report = write_starter(folder, force=args.force)
        except FileExistsError:
            print(f"error: {folder / 'sources.yml'} exists; --force overwrites it", file=sys.stderr)
            return 2
        for line in report:
            print(line)
        print(f"wrote {path}: fill in the TODOs, then `brw sources check --source {folder}`")
        return 0

    from pipelines.sources_check import check_sources, format_report

    settings = Settings.resolve(args.source, None, args.as_of, args.mapping)
    if not settings.source_dir.is_dir():
        print(f"error: source directory {settings.source_dir} does not exist", file=sys.stderr)
        return 2
    try:
        mapping = mapping_for(settings.source_dir, settings.mapping)
    except MappingError as exc:
        print(f"error: the mapping cannot be used:\n{exc}", file=sys.stderr)
        return 2
    print(f"brw sources check: {settings.source_dir} (nothing is written)", flush=True)
    reports, error = check_sources(settings.source_dir, mapping, settings.effective_as_of,
                                   progress=lambda m: print(m, file=sys.stderr, flush=True))
    if error:
        print(f"error: the mapping cannot be used; nothing was loaded:\n{error}", file=sys.stderr)
        return 2
    for line in format_report(reports, mapping.path if mapping else None):
        print(line)
    return 1 if any(r.error for r in reports) else 0


COMMANDS = {"run": cmd_run, "sql": cmd_sql, "generate": cmd_generate, "dashboard": cmd_dashboard,
            "sources": cmd_sources}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside the places that report it themselves (brw run does)
        print(f"\nbrw {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
