"""Every dbt unit test (hand-worked numbers for each formula and rule) passes.

Production builds leave unit tests out (they check SQL, not data); here they run against a
warehouse built from the hand-worked portfolio, which gives them their parents' column types.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from pipelines.dbt_manifest import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow


def test_all_dbt_unit_tests_pass(portfolio_warehouse, tmp_path, dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text())
    unit_tests = [node for node in manifest.get("unit_tests", {}).values()]
    assert len(unit_tests) >= 15
    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    env = {**os.environ, "BRW_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [dbt_executable(), "test", "--select", "test_type:unit", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    # every unit test ran and passed (the project's hooks count as PASS too: on-run-start, which
    # registers raw tables on the spark target only, and on-run-end)
    assert f"Finished running 2 project hooks, {len(unit_tests)} unit tests" in proc.stdout, proc.stdout[-2000:]
    assert "ERROR=0 " in proc.stdout, proc.stdout[-2000:]
