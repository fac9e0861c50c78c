"""Operations: the landing-folder sensor, the schedules and the asset checks."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest
from dagster import DagsterInstance, SkipReason, build_schedule_context, build_sensor_context

from pipelines.defs.ingest import checks as ingest_checks
from pipelines.defs.ingest.jobs import LANDING_JOB, LANDING_OP
from pipelines.defs.ingest.sensors import kpi_landing_sensor
from pipelines.defs.reports.schedules import monthly_board_cycle
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.schedules import daily_refresh
from pipelines.defs.transform import checks as mart_checks
from pipelines.defs.transform.assets import DbtRunOptions, dbt_build_args


# --------------------------------------------------------------------------- sensor


def tick(source_dir, cursor, warehouse="unused.duckdb"):
    context = build_sensor_context(
        cursor=cursor,
        resources={"warehouse": WarehouseResource(path=str(warehouse), source_dir=str(source_dir))},
    )
    result = kpi_landing_sensor(context)
    if isinstance(result, SkipReason):
        return [], context.cursor
    requests = result.run_requests
    assert len(requests) == 1
    return requests[0].run_config["ops"][LANDING_OP]["config"]["files"], result.cursor


def touch(path, text, mtime):
    path.write_text(text)
    os.utime(path, ns=(mtime, mtime))


def test_sensor_requests_a_new_file_once_it_stops_growing(tmp_path):
    landing = tmp_path / "kpi_measurements"
    landing.mkdir()
    header = "kpi_id,measured_on,value,recorded_at\n"
    touch(landing / "2026-11-01.csv", header + "K1,2026-11-01,1,2026-11-01T09:00:00Z\n", 1_000)

    files, cursor = tick(tmp_path, None)
    assert files == []  # first sight: it might still be being written
    files, cursor = tick(tmp_path, cursor)
    assert files == ["kpi_measurements/2026-11-01.csv"]  # unchanged since the last tick: exactly that file
    files, cursor = tick(tmp_path, cursor)
    assert files == []  # already requested

    # a file still being written: it grows between ticks, so it waits
    growing = landing / "2026-11-02.csv"
    touch(growing, header, 2_000)
    files, cursor = tick(tmp_path, cursor)
    assert files == []
    touch(growing, header + "K1,2026-11-02,2,2026-11-02T09:00:00Z\n", 3_000)
    files, cursor = tick(tmp_path, cursor)
    assert files == []
    files, cursor = tick(tmp_path, cursor)
    assert files == ["kpi_measurements/2026-11-02.csv"]

    # the cursor survives a restart (a new context with the stored cursor): nothing re-requested
    files, cursor = tick(tmp_path, json.loads(json.dumps(cursor)))
    assert files == []

    # a changed (restated) file is requested again, once stable; a non-measurement file is ignored
    touch(landing / "2026-11-01.csv", header + "K1,2026-11-01,5,2026-11-03T09:00:00Z\n", 4_000)
    (landing / "notes.txt").write_text("not a measurement file")
    files, cursor = tick(tmp_path, cursor)
    assert files == []
    files, cursor = tick(tmp_path, cursor)
    assert files == ["kpi_measurements/2026-11-01.csv"]


def test_sensor_requests_nothing_that_the_warehouse_says_was_loaded(portfolio_warehouse, tmp_path):
    """`make dagster` right after `make run`: the read copy says every landing file was loaded as
    it is, so no tick requests a run; a new file is requested once stable, and not again once a
    run (any run) has loaded it and published the read copy."""
    from pipelines.load import connect, load_source
    from pipelines.load.contract import SOURCES_BY_NAME
    from pipelines.read_copy import publish_read_copy

    # a copy of the built warehouse and its sources, with its own read copy (the shared one may be
    # open in this process with the dashboard's connection settings)
    source_copy, warehouse = tmp_path / "source", tmp_path / "brw.duckdb"
    shutil.copytree(portfolio_warehouse.parent / "source", source_copy)
    shutil.copy(portfolio_warehouse, warehouse)
    publish_read_copy(warehouse)
    cursor = None
    for _ in range(3):
        files, cursor = tick(source_copy, cursor, warehouse)
        assert files == []  # the copy's files keep their mtimes: loaded as they are
    new = source_copy / "kpi_measurements" / "2026-04-30.csv"
    touch(new, "kpi_id,measured_on,value,recorded_at\nKA,2026-04-30,1,2026-04-30T09:00:00Z\n", 5_000)
    files, cursor = tick(source_copy, cursor, warehouse)
    assert files == []  # first sight
    files, cursor = tick(source_copy, cursor, warehouse)
    assert files == ["kpi_measurements/2026-04-30.csv"]
    conn = connect(warehouse)  # the run the sensor started loads it (or brw run does)
    load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_copy, "run-s", only_files=files)
    conn.close()
    publish_read_copy(warehouse)
    files, cursor = tick(source_copy, cursor, warehouse)
    assert files == [] and json.loads(cursor)["requested"] == {}
    touch(new, "kpi_id,measured_on,value,recorded_at\nKA,2026-04-30,2,2026-04-30T10:00:00Z\n", 6_000)
    files, cursor = tick(source_copy, cursor, warehouse)
    assert files == []  # it may still be being written
    files, cursor = tick(source_copy, cursor, warehouse)
    assert files == ["kpi_measurements/2026-04-30.csv"]  # rewritten since it was loaded


def test_the_landing_asset_loads_only_the_files_it_is_given(tiny_source, warehouse_path):
    from pipelines.load import connect, load_source
    from pipelines.load.contract import SOURCES_BY_NAME

    conn = connect(warehouse_path)
    for name in ("projects", "kpi_definitions"):
        load_source(conn, SOURCES_BY_NAME[name], tiny_source, "run-1")
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], tiny_source, "run-1",
                         only_files=["2024-H1-restated.csv"])
    assert [f.source_file for f in result.files] == ["kpi_measurements/2024-H1-restated.csv"]
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], tiny_source, "run-2")
    assert [f.source_file for f in result.files] == ["kpi_measurements/2024-H1.csv"]
    conn.close()


# --------------------------------------------------------------------------- schedules


RESOURCE = WarehouseResource(path="unused.duckdb", source_dir="unused", as_of="2020-01-01")


def requested_run(schedule, at: datetime, defs) -> tuple[str, dict]:
    """(run key, the run config) of a tick of `schedule` at `at`; the config fits the job."""
    from dagster import validate_run_config

    request = schedule(build_schedule_context(scheduled_execution_time=at))
    validate_run_config(defs.resolve_job_def(schedule.job_name), request.run_config)
    return request.run_key, request.run_config


def options_of(run_config: dict, op: str) -> DbtRunOptions:
    """The run options an op of a run with this config gets."""
    return DbtRunOptions(**run_config["ops"][op]["config"])


def test_the_daily_refresh_builds_once_a_day_incrementally_as_of_that_day(defs):
    morning = datetime(2026, 11, 22, 6, tzinfo=timezone.utc)
    key, config = requested_run(daily_refresh, morning, defs)
    retried, _ = requested_run(daily_refresh, morning + timedelta(minutes=5), defs)
    next_day, _ = requested_run(daily_refresh, morning + timedelta(days=1), defs)
    assert key == retried != next_day  # one run per run key: a retried tick starts nothing new
    # every asset that reads the as-of date gets the day of the tick, whatever the resource says
    for op in ("raw__kpi_measurements", "brw_dbt", "reports__board_pack"):
        assert options_of(config, op).as_of_date(RESOURCE) == date(2026, 11, 22)
    assert "--full-refresh" not in dbt_build_args(options_of(config, "brw_dbt"))
    built = defs.resolve_job_def(daily_refresh.job_name).asset_layer.selected_asset_keys
    assert built == set(defs.resolve_asset_graph().get_all_asset_keys())


def test_the_monthly_board_cycle_rebuilds_everything_in_full_as_of_the_first(defs):
    from dagster import validate_run_config

    _, config = requested_run(monthly_board_cycle, datetime(2026, 12, 1, 7, tzinfo=timezone.utc), defs)
    assert options_of(config, "reports__board_pack").as_of_date(RESOURCE) == date(2026, 12, 1)  # evaluates November
    assert "--full-refresh" in dbt_build_args(options_of(config, "brw_dbt"))  # incremental models rebuilt from scratch
    job = defs.resolve_job_def(monthly_board_cycle.job_name)
    built = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw/kpi_measurements", "marts/fct_benefit_status", "reports/board_pack"} <= built
    # launched from the UI without config: a full rebuild too, as of the day it runs
    default = validate_run_config(job, None)
    assert "--full-refresh" in dbt_build_args(options_of(default, "brw_dbt"))
    assert options_of(default, "brw_dbt").as_of_date(WarehouseResource(path="x", source_dir="x")) == date.today()


def test_a_run_launched_without_config_takes_the_default_options(defs):
    from dagster import validate_run_config

    from pipelines.definitions import ALL_ASSETS_JOB

    config = validate_run_config(defs.resolve_job_def(ALL_ASSETS_JOB), None)
    options = options_of(config, "brw_dbt")
    assert options.as_of_date(RESOURCE) == date(2020, 1, 1)  # the resource's (brw run passes its own)
    assert dbt_build_args(options) == ["build", "--exclude-resource-type", "unit_test"]


# --------------------------------------------------------------------------- asset checks


@pytest.fixture
def warehouse_copy(portfolio_warehouse, tmp_path):
    path = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, path)
    conn = duckdb.connect(str(path))
    yield conn
    conn.close()


def test_benefit_owner_and_status_coverage_checks(warehouse_copy):
    assert mart_checks.benefits_have_owner_result(warehouse_copy).passed
    assert mart_checks.status_covers_every_benefit_result(warehouse_copy).passed
    warehouse_copy.execute("UPDATE marts.dim_benefit SET benefit_owner = ' ' WHERE benefit_id = 'BA1'")
    warehouse_copy.execute("DELETE FROM marts.fct_benefit_status WHERE benefit_id = 'BB1'")
    owner = mart_checks.benefits_have_owner_result(warehouse_copy)
    assert not owner.passed and owner.description == "1 benefit(s) without an owner"
    coverage = mart_checks.status_covers_every_benefit_result(warehouse_copy)
    assert not coverage.passed and coverage.description == "9 status rows for 10 valid benefits, 1 missing"


def test_kpi_freshness_check(warehouse_copy):
    result = mart_checks.kpi_freshness_result(warehouse_copy)
    assert not result.passed  # KD stopped in November 2025
    assert result.description == "1 of 7 KPIs late against their frequency"
    assert "KD" in result.metadata["late"].value
    warehouse_copy.execute("UPDATE marts.dim_kpi SET is_late = false")
    assert mart_checks.kpi_freshness_result(warehouse_copy).passed


def test_reconciliation_and_quarantine_rate_checks(warehouse_copy, tiny_source, tmp_path):
    run_id = warehouse_copy.execute(
        "SELECT run_id FROM audit.load_audit WHERE source = 'benefits' ORDER BY loaded_at DESC LIMIT 1"
    ).fetchone()[0]
    assert ingest_checks.rows_reconcile(warehouse_copy, "benefits", run_id).passed
    assert ingest_checks.quarantine_rate(warehouse_copy, "benefits", run_id).passed  # clean file
    warehouse_copy.execute("DELETE FROM raw.benefits WHERE benefit_id = 'BA1'")  # a row goes missing
    broken = ingest_checks.rows_reconcile(warehouse_copy, "benefits", run_id)
    assert not broken.passed and broken.description == "1 file(s) do not reconcile: benefits.csv"

    from pipelines.load import connect, load_source
    from pipelines.load.contract import SOURCES_BY_NAME

    conn = connect(tmp_path / "tiny.duckdb")
    load_source(conn, SOURCES_BY_NAME["projects"], tiny_source, "run-t")
    high = ingest_checks.quarantine_rate(conn, "projects", "run-t")
    assert not high.passed and high.description == "1 file(s) above 5% quarantined: projects.csv"  # 8 of 10
    conn.close()


@pytest.mark.slow
def test_checks_run_with_the_pipeline(tiny_source, tmp_path):
    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.settings import Settings

    settings = Settings.resolve(tiny_source, tmp_path / "brw.duckdb", "2025-01-15")
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    environment = dict(os.environ)
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert dict(os.environ) == environment  # dbt got the warehouse and the as-of date in its own environment
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert evaluations[("raw/projects", "rows_reconcile")] is True
    assert evaluations[("raw/projects", "quarantine_rate")] is False  # 8 of 10 rows
    assert evaluations[("marts/fct_benefit_status", "status_covers_every_benefit")] is True
    assert evaluations[("marts/dim_benefit", "benefits_have_owner")] is True
    assert ("marts/dim_kpi", "kpi_freshness") in evaluations
    assert result.success  # WARN checks do not fail the run


def test_the_sensor_run_config_fits_the_landing_job(defs):
    from dagster import validate_run_config

    job = defs.resolve_job_def(LANDING_JOB)
    validate_run_config(job, {"ops": {LANDING_OP: {"config": {"files": ["kpi_measurements/2026-11-01.csv"]}}}})
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert "raw/kpi_measurements" in selected and "raw/projects" not in selected
    assert {"staging/stg_kpi_measurements", "marts/fct_benefit_status", "publish/warehouse_read_copy"} <= selected
