"""`brw run` end to end through Dagster (ingest → dbt build with tests) on the tiny sources."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from pipelines.cli import main
from pipelines.plan import plan_run
from tests.conftest import TINY
from tests.conftest import fetch_all as query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny_run")
    source = base / "source"
    shutil.copytree(TINY, source)
    warehouse = base / "warehouse" / "brw.duckdb"
    code = main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", "2025-01-15"])
    return code, source, warehouse


def test_run_succeeds_and_builds_staging(tiny_run):
    code, _, warehouse = tiny_run
    assert code == 0
    tables = {t for (t,) in query(warehouse, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'")}
    assert {"stg_projects", "stg_kpi_measurements", "stg_benefits", "stg_change_requests"} <= tables


def test_current_view_takes_the_latest_restatement_and_counts_exact_duplicates_once(tiny_run):
    _, _, warehouse = tiny_run
    assert query(
        warehouse,
        "SELECT kpi_id, measured_on::VARCHAR, value, is_restated FROM staging.stg_kpi_measurements ORDER BY 1, 2",
    ) == [
        ("K1", "2024-01-02", 100.0, False),
        ("K1", "2024-01-03", 115.0, True),  # restated on 2024-03-01 (110 → 115)
        ("K1", "2024-02-01", 120.0, False),
        ("K2", "2024-01-05", 12.5, False),
        ("K2", "2024-01-12", 11.5, False),
        ("K3", "2024-01-31", 20.0, False),
        ("K3", "2024-02-29", 22.0, False),  # an exact duplicate pair in raw, once here
    ]


def test_run_prints_the_per_file_summary(tiny_run, capsys):
    # the module fixture ran before capture of this test: run again (idempotent) and read it
    _, source, warehouse = tiny_run
    before = query(warehouse, "SELECT count(*) FROM raw.kpi_measurements UNION ALL SELECT count(*) FROM audit.quarantine")
    # nothing changed: nothing to do
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", "2025-01-15"]) == 0
    assert "the warehouse is up to date" in capsys.readouterr().out
    assert query(warehouse, "SELECT count(DISTINCT run_id) FROM audit.load_audit") == [(1,)]
    # --all reads every file again and adds nothing (idempotent)
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", "2025-01-15", "--all"]) == 0
    out = capsys.readouterr().out
    assert "projects.csv" in out and "kpi_measurements/: 2 files loaded by earlier runs, not read again" in out
    assert "ok raw__projects" in out and "dbt built staging/stg_kpi_measurements" in out
    assert query(warehouse, "SELECT count(*) FROM raw.kpi_measurements UNION ALL SELECT count(*) FROM audit.quarantine") == before
    runs = query(warehouse, "SELECT count(DISTINCT run_id) FROM audit.load_audit")
    assert runs == [(2,)]


def test_a_broken_file_fails_its_asset_only_and_keeps_the_warehouse(tiny_run, tmp_path, capsys):
    _, source, warehouse = tiny_run
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    path = broken / "benefits.csv"
    path.write_text(path.read_text().replace("benefit_owner,", "owner_of_benefit,", 1))
    (broken / "projects.csv").write_text((broken / "projects.csv").read_text().replace("Client Portal", "Client Portal v2"))
    before = query(warehouse, "SELECT * EXCLUDE (_run_id, _loaded_at) FROM raw.benefits ORDER BY 1")
    assert main(["run", "--source", str(broken), "--warehouse", str(warehouse), "--as-of", "2025-01-15"]) == 1
    captured = capsys.readouterr()
    assert "benefits.csv: header lacks required column benefit_owner" in captured.out
    assert "FAILED" in captured.err
    # benefits kept as they were; an independent asset (projects) did load the new file
    assert query(warehouse, "SELECT * EXCLUDE (_run_id, _loaded_at) FROM raw.benefits ORDER BY 1") == before
    assert query(warehouse, "SELECT project_name FROM raw.projects WHERE project_id = 'P2'") == [("Client Portal v2",)]
    assert "the next `brw run` builds again what this one did not" in captured.err
    # nothing is recorded as built that was not: benefits (and benefit_plan and benefit_checkins,
    # checked against it) are still to load; the sources that loaded are recorded, but not their dbt
    # models (dbt did not run)
    plan = plan_run(warehouse, broken, date(2025, 1, 15))
    assert plan.changed_sources == ["benefits", "benefit_plan", "benefit_checkins"]
    assert plan.unbuilt_sources == ["projects", "financials", "milestones", "status_reports", "raid_log",
                                    "change_requests"]
    assert not plan.as_of_moved and not plan.all_dbt and not plan.dbt_models


def test_bad_as_of_is_refused(tmp_path, capsys):
    assert main(["run", "--source", str(TINY), "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", "21/11/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
