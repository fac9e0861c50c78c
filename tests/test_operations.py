"""Operations: the landing-folder sensor, the schedules and the asset checks."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone

import duckdb
import pytest
from dagster import DagsterInstance, SkipReason, build_schedule_context, build_sensor_context

from pipelines import checks
from pipelines.jobs import BOARD_CYCLE_JOB, FULL_REFRESH_TAG, LANDING_OP
from pipelines.resources import AS_OF_TAG, WarehouseResource
from pipelines.schedules import daily_refresh, monthly_board_cycle
from pipelines.sensors import kpi_landing_sensor


# --------------------------------------------------------------------------- sensor


def tick(source_dir, cursor):
    context = build_sensor_context(
        cursor=cursor,
        resources={"warehouse": WarehouseResource(path="unused.duckdb", source_dir=str(source_dir))},
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
    assert files == ["2026-11-01.csv"]  # unchanged since the last tick: exactly that file
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
    assert files == ["2026-11-02.csv"]

    # the cursor survives a restart (a new context with the stored cursor): nothing re-requested
    files, cursor = tick(tmp_path, json.loads(json.dumps(cursor)))
    assert files == []

    # a changed (restated) file is requested again, once stable; a non-measurement file is ignored
    touch(landing / "2026-11-01.csv", header + "K1,2026-11-01,5,2026-11-03T09:00:00Z\n", 4_000)
    (landing / "notes.txt").write_text("not a measurement file")
    files, cursor = tick(tmp_path, cursor)
    assert files == []
    files, cursor = tick(tmp_path, cursor)
    assert files == ["2026-11-01.csv"]


def test_the_landing_asset_loads_only_the_files_it_is_given(tiny_source, warehouse_path):
    from pipelines.contract import SOURCES_BY_NAME
    from pipelines.ingest import connect, load_source

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


def test_daily_refresh_runs_everything_as_of_its_day():
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 22, 6, tzinfo=timezone.utc))
    request = daily_refresh(context)
    assert request.tags[AS_OF_TAG] == "2026-11-22" and request.run_key == "daily-2026-11-22"
    assert daily_refresh.cron_schedule == "0 6 * * *" and daily_refresh.job_name == "materialize_all"


def test_monthly_board_cycle_is_a_full_rebuild_as_of_the_first():
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 7, tzinfo=timezone.utc))
    request = monthly_board_cycle(context)
    assert request.tags[AS_OF_TAG] == "2026-12-01"  # evaluation month: November 2026
    assert monthly_board_cycle.cron_schedule == "0 7 1 * *" and monthly_board_cycle.job_name == BOARD_CYCLE_JOB
    from pipelines.jobs import board_cycle

    assert board_cycle.tags[FULL_REFRESH_TAG] == "true"


# --------------------------------------------------------------------------- asset checks


@pytest.fixture
def warehouse_copy(portfolio_warehouse, tmp_path):
    path = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, path)
    conn = duckdb.connect(str(path))
    yield conn
    conn.close()


def test_benefit_owner_and_status_coverage_checks(warehouse_copy):
    assert checks.benefits_have_owner(warehouse_copy).passed
    assert checks.status_covers_every_benefit(warehouse_copy).passed
    warehouse_copy.execute("UPDATE marts.dim_benefit SET benefit_owner = ' ' WHERE benefit_id = 'BA1'")
    warehouse_copy.execute("DELETE FROM marts.fct_benefit_status WHERE benefit_id = 'BB1'")
    owner = checks.benefits_have_owner(warehouse_copy)
    assert not owner.passed and owner.description == "1 benefit(s) without an owner"
    coverage = checks.status_covers_every_benefit(warehouse_copy)
    assert not coverage.passed and coverage.description == "9 status rows for 10 valid benefits, 1 missing"


def test_kpi_freshness_check(warehouse_copy):
    result = checks.kpi_freshness(warehouse_copy)
    assert not result.passed  # KD stopped in November 2025
    assert result.description == "1 of 7 KPIs late against their frequency"
    assert "KD" in result.metadata["late"].value
    warehouse_copy.execute("UPDATE marts.dim_kpi SET is_late = false")
    assert checks.kpi_freshness(warehouse_copy).passed


def test_reconciliation_and_quarantine_rate_checks(warehouse_copy, tiny_source, tmp_path):
    run_id = warehouse_copy.execute(
        "SELECT run_id FROM audit.load_audit WHERE source = 'benefits' ORDER BY loaded_at DESC LIMIT 1"
    ).fetchone()[0]
    assert checks.rows_reconcile(warehouse_copy, "benefits", run_id).passed
    assert checks.quarantine_rate(warehouse_copy, "benefits", run_id).passed  # clean file
    warehouse_copy.execute("DELETE FROM raw.benefits WHERE benefit_id = 'BA1'")  # a row goes missing
    broken = checks.rows_reconcile(warehouse_copy, "benefits", run_id)
    assert not broken.passed and broken.description == "1 file(s) do not reconcile: benefits.csv"

    from pipelines.contract import SOURCES_BY_NAME
    from pipelines.ingest import connect, load_source

    conn = connect(tmp_path / "tiny.duckdb")
    load_source(conn, SOURCES_BY_NAME["projects"], tiny_source, "run-t")
    high = checks.quarantine_rate(conn, "projects", "run-t")
    assert not high.passed and high.description == "1 file(s) above 5% quarantined: projects.csv"  # 8 of 10
    conn.close()


@pytest.mark.slow
def test_checks_run_with_the_pipeline(tiny_source, tmp_path):
    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.settings import Settings

    settings = Settings.resolve(tiny_source, tmp_path / "brw.duckdb", "2025-01-15")
    settings.export()
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert evaluations[("raw/projects", "rows_reconcile")] is True
    assert evaluations[("raw/projects", "quarantine_rate")] is False  # 8 of 10 rows
    assert evaluations[("marts/fct_benefit_status", "status_covers_every_benefit")] is True
    assert evaluations[("marts/dim_benefit", "benefits_have_owner")] is True
    assert ("marts/dim_kpi", "kpi_freshness") in evaluations
    assert result.success  # WARN checks do not fail the run


def test_the_sensor_run_config_fits_the_landing_job(tmp_path):
    from dagster import validate_run_config

    from pipelines.definitions import build_definitions
    from pipelines.jobs import LANDING_JOB
    from pipelines.settings import Settings

    job = build_definitions(Settings.resolve(tmp_path, tmp_path / "w.duckdb", "2026-11-21")).resolve_job_def(LANDING_JOB)
    validate_run_config(job, {"ops": {LANDING_OP: {"config": {"files": ["2026-11-01.csv"]}}}})
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert "raw/kpi_measurements" in selected and "raw/projects" not in selected
    assert {"staging/stg_kpi_measurements", "marts/fct_benefit_status", "publish/warehouse_read_copy"} <= selected
