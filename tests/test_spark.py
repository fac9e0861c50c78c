"""The same dbt project on Apache Spark (README "Running on Spark"): the hand-worked portfolio
built on the `spark` target (dbt-spark's session method, a local Spark, Parquet tables) gives the
DuckDB build's marts row for row.

One Spark build (local[2], 2 shuffle partitions, no UI): the validated raw tables of the DuckDB
portfolio warehouse exported as Parquet (pipelines.engine), then `dbt build` on the spark target,
data tests included. Needs Java (Debian's openjdk-17-jre-headless, which .ci/run installs) and
pyspark (the dev extras).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PORTFOLIO_AS_OF

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# The marts the board reads, compared row for row (every column).
MARTS = ("fct_benefit_status", "fct_benefit_monthly", "fct_project_health")


def _java() -> str | None:
    import os

    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


@pytest.fixture(scope="module")
def spark_warehouse(portfolio_warehouse, tmp_path_factory, monkeypatch_module) -> Path:
    """The portfolio built on Spark: a copy of the DuckDB warehouse, its Spark folder beside it."""
    assert _java(), "Java is missing: install openjdk-17-jre-headless (.ci/run does)"
    from pipelines.engine import spark_build, spark_dir

    base = tmp_path_factory.mktemp("spark")
    warehouse = base / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    monkeypatch_module.delenv("BRW_SPARK_DIR", raising=False)
    monkeypatch_module.delenv("BRW_SPARK_RAW_DIR", raising=False)
    proc = spark_build(warehouse, PORTFOLIO_AS_OF, target_path=base / "target", log_path=base / "logs", timeout=1500)
    assert proc.returncode == 0, (proc.stdout[-6000:], proc.stderr[-3000:])
    assert "ERROR=0" in proc.stdout and "Completed successfully" in proc.stdout, proc.stdout[-3000:]
    assert spark_dir(warehouse) == base / "spark"
    return warehouse


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _rows(conn, select: str) -> list[tuple]:
    return conn.execute(f"{select} order by all").fetchall()


def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        # Spark and DuckDB may sum doubles in another order: equal to 1e-9, relative
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    return x == y


@pytest.mark.parametrize("mart", MARTS)
def test_spark_marts_equal_duckdb(spark_warehouse, portfolio_warehouse, mart):
    from pipelines.engine import _parquet_select, spark_tables

    folder = spark_tables(spark_warehouse, ("marts",))[("marts", mart)]
    conn = duckdb.connect()
    try:
        conn.execute(f"attach '{portfolio_warehouse}' as duck (read_only)")
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_catalog = 'duck' and table_schema = 'marts'"
            " and table_name = ? order by ordinal_position", [mart]).fetchall()]
        spark_select = _parquet_select(conn, str(folder / "*.parquet"))
        spark_columns = [r[0] for r in conn.execute(f"describe {spark_select}").fetchall()]
        assert spark_columns == columns  # the same contract: names and order
        types = conn.execute(f"select * from ({spark_select}) limit 0").description
        duck_types = conn.execute(f"select * from duck.marts.{mart} limit 0").description
        assert [t[1] for t in types] == [t[1] for t in duck_types]
        expected = _rows(conn, f"select * from duck.marts.{mart}")
        got = _rows(conn, f"select * from ({spark_select})")
    finally:
        conn.close()
    assert len(got) == len(expected) > 0
    for want, have in zip(expected, got):
        assert all(_same(x, y) for x, y in zip(want, have)), (mart, dict(zip(columns, want)), dict(zip(columns, have)))


def test_spark_state_stays_beside_the_warehouse(spark_warehouse):
    """Spark's metastore, derby.log and tables are in the warehouse's spark/ folder, not the repo."""
    from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

    spark = spark_warehouse.parent / "spark"
    assert (spark / "metastore_db").is_dir() and (spark / "warehouse" / "marts.db").is_dir()
    for folder in (REPO_ROOT, DBT_PROJECT_DIR):
        assert not (folder / "metastore_db").exists() and not (folder / "spark-warehouse").exists()
        assert not (folder / "derby.log").exists()
