"""`brw sql` and the read-only query helper: reads work, anything that writes is refused."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import main
from pipelines.contract import SOURCES
from pipelines.ingest import connect, load_source
from pipelines.sql import QueryTimeout, ReadOnlySqlError, run_query


@pytest.fixture
def small_warehouse(tiny_source, warehouse_path):
    conn = connect(warehouse_path)
    for source in SOURCES:
        load_source(conn, source, tiny_source, "run-1")
    conn.close()
    return warehouse_path


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM raw.projects",
        "INSERT INTO raw.projects (project_id) VALUES ('X')",
        "UPDATE raw.projects SET stage = 'closed'",
        "DROP TABLE raw.projects",
        "CREATE TABLE t AS SELECT 1",
        "COPY raw.projects TO '/tmp/brw-leak.csv'",
        "ATTACH '/tmp/brw-other.duckdb' AS other",
        "SELECT 1; DELETE FROM raw.projects",
    ],
)
def test_writing_statements_are_refused_before_running(small_warehouse, statement):
    with pytest.raises(ReadOnlySqlError):
        run_query(small_warehouse, statement)
    assert run_query(small_warehouse, "SELECT count(*) AS n FROM raw.projects").frame["n"].tolist() == [2]


def test_limit_and_truncation(small_warehouse):
    result = run_query(small_warehouse, "SELECT * FROM range(10)", limit=3)
    assert len(result.frame) == 3 and result.truncated
    result = run_query(small_warehouse, "SELECT * FROM range(3)", limit=3)
    assert len(result.frame) == 3 and not result.truncated


def test_time_limit_stops_a_long_query(small_warehouse):
    with pytest.raises(QueryTimeout):
        run_query(small_warehouse, "SELECT count(*) FROM range(1000000000) a, range(1000) b", timeout_s=0.5)


def test_cli_refuses_delete_with_a_clear_message(small_warehouse, capsys):
    code = main(["sql", "DELETE FROM raw.projects", "--warehouse", str(small_warehouse)])
    assert code != 0
    err = capsys.readouterr().err
    assert "read-only" in err and "DELETE" in err


def test_cli_formats(small_warehouse, capsys):
    query = "SELECT project_id, budget_at_completion FROM raw.projects ORDER BY project_id"
    assert main(["sql", query, "--warehouse", str(small_warehouse), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"project_id": "P1", "budget_at_completion": 1000000.0},
        {"project_id": "P2", "budget_at_completion": 500000.0},
    ]
    assert main(["sql", query, "--warehouse", str(small_warehouse), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["project_id,budget_at_completion", "P1,1000000.0", "P2,500000.0"]
    assert main(["sql", query, "--warehouse", str(small_warehouse)]) == 0
    out = capsys.readouterr().out
    assert "P1" in out and "(2 rows)" in out


def test_cli_on_a_missing_warehouse(tmp_path, capsys):
    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "run `brw run` first" in capsys.readouterr().err
