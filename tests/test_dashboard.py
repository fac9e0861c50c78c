"""The Streamlit app on a loaded and on an empty warehouse (AppTest, values checked against SQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.contract import SOURCES
from pipelines.ingest import connect, load_source

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")


@pytest.fixture
def loaded_warehouse(tiny_source, warehouse_path, monkeypatch):
    conn = connect(warehouse_path)
    for source in SOURCES:
        load_source(conn, source, tiny_source, "run-1")
    conn.close()
    monkeypatch.setenv("BRW_WAREHOUSE", str(warehouse_path))
    return warehouse_path


def test_data_quality_page_shows_the_audit_numbers(loaded_warehouse):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # tiny: 11 files; 61 rows read = 30 loaded + 31 quarantined (see tests/test_ingest.py)
    assert metrics["Source files"] == "11"
    assert metrics["Rows read (latest load of each file)"] == "61"
    assert metrics["Rows loaded"] == "30"
    assert metrics["Rows quarantined"] == "31"
    rejected = at.dataframe[1].value
    assert len(rejected) == 31
    assert set(rejected["reason"]) >= {"malformed_row", "conflicting_duplicate", "target_not_an_improvement"}


def test_empty_warehouse_says_run_the_pipeline_first(tmp_path, monkeypatch):
    monkeypatch.setenv("BRW_WAREHOUSE", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "run the pipeline first" in at.info[0].value
