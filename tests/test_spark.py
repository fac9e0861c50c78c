"""The same dbt project on Apache Spark (README "Running on Spark"): the hand-worked portfolio
built with `brw run --engine spark` gives the DuckDB build's marts row for row, and every dbt
unit test passes on Spark too.

One `brw run --engine spark` (ingestion in DuckDB as always; the raw tables exported as Parquet;
`dbt build` on the spark target: dbt-spark's session method, a local Spark, local[2], 2 shuffle
partitions, no UI, data tests included; the tables loaded back into the DuckDB warehouse), then
the unit tests on the same Spark folder. Needs Java (Debian's openjdk-17-jre-headless, which .ci/run
installs) and pyspark (the dev extras).
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# The marts the board reads, compared row for row (every column).
MARTS = ("fct_benefit_status", "fct_benefit_monthly", "fct_project_health")


@pytest.fixture(scope="module")
def spark_warehouse(tmp_path_factory) -> Path:
    """`brw run --engine spark` over tests/data/portfolio as of 2026-04-15."""
    assert shutil.which("java") or os.environ.get("JAVA_HOME"), \
        "Java is missing: install openjdk-17-jre-headless (.ci/run does)"
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("spark")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    warehouse = base / "brw.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("BRW_ENGINE", "BRW_SPARK_DIR", "BRW_SPARK_RAW_DIR"):
            patch.delenv(name, raising=False)
        code = main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF,
                     "--engine", "spark"])
    assert code == 0, sorted((warehouse.parent / "logs").glob("*.log"))
    return warehouse


def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        # Spark and DuckDB may add doubles up in another order: equal to 1e-9, relative
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return x == y


@pytest.mark.parametrize("mart", MARTS)
def test_spark_marts_equal_duckdb(spark_warehouse, portfolio_warehouse, mart):
    conn = duckdb.connect()
    try:
        conn.execute(f"attach '{portfolio_warehouse}' as duck (read_only)")
        conn.execute(f"attach '{spark_warehouse}' as spark (read_only)")
        columns = {db: conn.execute(
            "select column_name, data_type from information_schema.columns where table_catalog = ?"
            " and table_schema = 'marts' and table_name = ? order by ordinal_position", [db, mart]).fetchall()
            for db in ("duck", "spark")}
        assert columns["spark"] == columns["duck"]  # the same contract: names, order, types
        expected = conn.execute(f"select * from duck.marts.{mart} order by all").fetchall()
        got = conn.execute(f"select * from spark.marts.{mart} order by all").fetchall()
    finally:
        conn.close()
    names = [name for name, _ in columns["duck"]]
    assert len(got) == len(expected) > 0
    for want, have in zip(expected, got):
        assert all(_same(x, y) for x, y in zip(want, have)), (mart, dict(zip(names, want)), dict(zip(names, have)))


def test_spark_state_stays_beside_the_warehouse(spark_warehouse):
    """Spark's metastore, derby.log and tables are in the warehouse's spark/ folder, not the repo."""
    from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

    spark = spark_warehouse.parent / "spark"
    assert (spark / "metastore_db").is_dir() and (spark / "derby.log").is_file()
    assert (spark / "warehouse" / "marts.db" / "fct_benefit_status").is_dir()
    assert (spark / "raw" / "kpi_measurements").is_dir()
    for folder in (REPO_ROOT, DBT_PROJECT_DIR):
        assert not (folder / "metastore_db").exists() and not (folder / "spark-warehouse").exists()
        assert not (folder / "derby.log").exists()


def test_dbt_unit_tests_pass_on_spark(spark_warehouse, tmp_path, dbt_manifest):
    """Every dbt unit test on the spark target (they take their inputs' column types from the
    Spark tables the run built)."""
    import json

    from pipelines.engine import spark_build

    unit_tests = json.loads(dbt_manifest.read_text()).get("unit_tests", {})
    proc = spark_build(spark_warehouse, PORTFOLIO_AS_OF, ["test", "--select", "test_type:unit"],
                       target_path=tmp_path / "target", log_path=tmp_path / "logs", timeout=1500)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert f"Finished running 2 project hooks, {len(unit_tests)} unit tests" in proc.stdout, proc.stdout[-2000:]
    assert "ERROR=0 " in proc.stdout, proc.stdout[-2000:]


def test_spark_tables_keep_their_descriptions(spark_warehouse, portfolio_warehouse):
    """The tables loaded back from Spark carry the model and column descriptions as comments, as
    persist_docs writes them on DuckDB (the SQL console's schema pane shows them)."""
    query = ("select schema_name, table_name, column_name, comment from duckdb_columns()"
             " where schema_name in ('marts', 'reporting') order by all")
    tables = "select schema_name, table_name, comment from duckdb_tables() where schema_name = 'marts' order by all"
    rows = {}
    for name, path in (("duck", portfolio_warehouse), ("spark", spark_warehouse)):
        conn = duckdb.connect(str(path), read_only=True)
        try:
            rows[name] = (conn.execute(query).fetchall(), conn.execute(tables).fetchall())
        finally:
            conn.close()
    assert rows["spark"] == rows["duck"]
    assert all(comment for *_, comment in rows["spark"][1])
