"""`brw run`: plan what changed, build it through Dagster in this process, print the summary."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import time
from datetime import date
from pathlib import Path

from pipelines.cli.summaries import print_benefit_summary, print_delivery_summary, print_load_summary
from pipelines.load.contract import SOURCES
from pipelines.settings import Settings


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.resolve(args.source, args.warehouse, args.as_of, args.mapping)
    if settings.as_of is None:  # a CLI run is as of the day it starts
        settings = dataclasses.replace(settings, as_of=date.today())
    print(f"brw run: sources {settings.source_dir}\n         warehouse {settings.warehouse}\n         as of {settings.as_of}")
    from pipelines.engine import EngineError, resolve_engine

    try:
        engine = resolve_engine(getattr(args, "engine", None))
    except EngineError as exc:
        print(f"error: {exc} (--engine or BRW_ENGINE)", file=sys.stderr)
        return 2
    if engine != "duckdb":
        print(f"         engine {engine}: ingestion in DuckDB, every dbt model built on {engine} and loaded back")
    if not settings.source_dir.is_dir():
        print(f"error: source directory {settings.source_dir} does not exist", file=sys.stderr)
        return 2
    # A mapping is checked against its inputs before anything is loaded (README, "Your own exports").
    from pipelines.load import connect
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
        from pipelines.plan import plan_run, prepare_manifest

        step = "dbt parse (preparing the manifest)"
        prepare_manifest(settings.warehouse, settings.as_of, settings.reporting_currency)
        step = "plan (reading what the last runs built from the warehouse)"
        # Spark keeps no incremental state across runs (Parquet tables, README "Running on Spark"): everything.
        plan = plan_run(settings.warehouse, settings.source_dir, settings.as_of, everything=args.all or engine != "duckdb",
                        mapping=mapping,
                        reporting_currency=settings.reporting_currency)
        for reason in plan.reasons:
            print(f"plan: {reason}")
        if plan.project_as_built is not None:  # the dbt project changed, but no model dbt builds did
            step = "recording the dbt project in the warehouse"
            record_project(settings.warehouse, *plan.project_as_built)
        if plan.nothing_to_do:
            step = "publish (the dashboard's read copy)"
            up_to_date(settings.warehouse, plan.last_run_id)
            return 0
        step = "loading the Dagster definitions"
        from dagster import DagsterInstance

        from pipelines import progress
        from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
        from pipelines.defs.options import AS_OF_LABEL
        from pipelines.defs.transform.assets import brw_dbt_assets

        defs = build_definitions(settings)
        job = defs.resolve_job_def(ALL_ASSETS_JOB)
        selection = plan.asset_keys(defs, brw_dbt_assets)
        if selection is not None:
            total = len(defs.resolve_asset_graph().get_all_asset_keys())
            print(f"plan: {len(selection)} of {total} assets")
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
                    instance=instance, run_config=run_config(settings, plan, engine), raise_on_error=False,
                    asset_selection=selection, tags={AS_OF_LABEL: settings.as_of.isoformat()},
                )
        finally:
            progress.STREAM = None
        try:
            print_load_summary(settings, result.run_id)
            if selection is not None:
                selected = {tuple(key.path) for key in selection}
                from pipelines.mapping import source_label

                unchanged = [source_label(s, mapping) for s in SOURCES if ("raw", s.name) not in selected]
                if unchanged:
                    print(f"  not read, unchanged since they were loaded: {', '.join(unchanged)}")
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
              "successful load of every failed asset; the next `brw run` builds again what this one did not.",
              file=sys.stderr)
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


def run_config(settings: Settings, plan, engine: str = "") -> dict:
    """The run's options (pipelines.defs.options) for every asset that takes them, and the progress logger."""
    from pipelines.defs.options import RunOptions, options_run_config

    config = options_run_config(RunOptions(as_of=settings.as_of.isoformat(), full_refresh=plan.full_refresh,
                                           engine=engine),
                                extra={"brw_dbt": {"project_changes": plan.project_changes}})
    return {**config, "loggers": {"brw_progress": {}}}


def record_project(warehouse: Path, fingerprint: str, manifest: str) -> None:
    """The dbt project changed, but dbt selects no model as modified: record it as built."""
    from pipelines.build_record import write_record
    from pipelines.load import connect

    with contextlib.closing(connect(warehouse)) as conn:
        write_record(conn, {"dbt_project": fingerprint}, "brw-run-plan", manifest)


def up_to_date(warehouse: Path, last_run_id: str | None) -> None:
    from pipelines.read_copy import publish_read_copy, read_copy_path

    print(f"Nothing changed since run {(last_run_id or '?')[:8]} (sources, as of, dbt project, code): "
          "the warehouse is up to date. `brw run --all` rebuilds everything.")
    if not read_copy_path(warehouse).exists():  # deleted since: the dashboard needs it
        print(f"published the missing read copy {publish_read_copy(warehouse)}")

