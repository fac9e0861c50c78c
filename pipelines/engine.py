"""The engine dbt builds the models on: DuckDB (default) or Apache Spark (README "Running on Spark").

`brw run --engine spark` or BRW_ENGINE=spark. Ingestion is the same on both engines (Python and
DuckDB: validation, quarantine, audit); only the dbt step differs:

1. before dbt, `export_raw` writes the validated raw.* tables of the DuckDB warehouse as Parquet,
   one folder per table (BRW_SPARK_RAW_DIR), which the on-run-start hook of the spark target
   registers as raw.* Spark tables (dbt_project/macros/spark_raw_tables.sql);
2. dbt builds with `--target spark` (dbt-spark's `session` method: a local Spark inside dbt's
   process, its tables Parquet files under BRW_SPARK_DIR/warehouse, its metastore beside them);
3. after dbt, `load_back` copies the Spark-built staging, intermediate, marts, reporting and
   snapshots tables (their Parquet files) into the DuckDB warehouse, so the read copy, alerts,
   board pack, console and dashboard read the same tables whichever engine built them.

Spark's state lives in BRW_SPARK_DIR, default `spark/` beside the warehouse file, never in the repo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENGINES = ("duckdb", "spark")
ENGINE_ENV = "BRW_ENGINE"
SPARK_DIR_ENV = "BRW_SPARK_DIR"
SPARK_RAW_DIR_ENV = "BRW_SPARK_RAW_DIR"
DBT_TARGETS = {"duckdb": "local", "spark": "spark"}
# The schemas dbt builds; load_back copies them from Spark into DuckDB.
BUILT_SCHEMAS = ("staging", "intermediate", "marts", "reporting", "snapshots")


class EngineError(ValueError):
    pass


def resolve_engine(value: str | None = None) -> str:
    """The engine of a run: the flag, else BRW_ENGINE, else duckdb."""
    engine = (value or os.environ.get(ENGINE_ENV, "") or "duckdb").strip().lower()
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    return engine


def dbt_target(engine: str) -> str:
    return DBT_TARGETS[resolve_engine(engine)]


def spark_dir(warehouse: str | Path) -> Path:
    """Spark's state for this warehouse: BRW_SPARK_DIR, else `spark/` beside the warehouse file."""
    value = os.environ.get(SPARK_DIR_ENV, "").strip()
    return Path(value).resolve() if value else Path(warehouse).resolve().parent / "spark"


def spark_raw_dir(warehouse: str | Path) -> Path:
    value = os.environ.get(SPARK_RAW_DIR_ENV, "").strip()
    return Path(value).resolve() if value else spark_dir(warehouse) / "raw"


def dbt_env(engine: str, warehouse: str | Path) -> dict[str, str]:
    """What dbt's environment needs for this engine (absolute paths: dbt runs in dbt_project/)."""
    if resolve_engine(engine) != "spark":
        return {}
    return {SPARK_DIR_ENV: str(spark_dir(warehouse)), SPARK_RAW_DIR_ENV: str(spark_raw_dir(warehouse))}


def export_raw(conn, out_dir: str | Path) -> list[str]:
    """Write every raw.* table of a DuckDB connection as Parquet: <out_dir>/<table>/data.parquet.

    Returns the tables written. A folder of a table no longer in raw is removed.
    """
    import shutil

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = [r[0] for r in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' and table_type = 'BASE TABLE'"
        " order by table_name").fetchall()]
    for child in out.iterdir():
        if child.is_dir() and child.name not in tables:
            shutil.rmtree(child)
    for table in tables:
        folder = out / table
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        target = str(folder / "data.parquet").replace("'", "''")
        conn.execute(f'copy raw."{table}" to \'{target}\' (format parquet)')
    return tables


def export_raw_from(warehouse: str | Path) -> Path:
    """export_raw of a warehouse file into its Spark raw folder; returns the folder."""
    import duckdb

    out = spark_raw_dir(warehouse)
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        export_raw(conn, out)
    finally:
        conn.close()
    return out


def spark_tables(warehouse: str | Path, schemas: tuple[str, ...] = BUILT_SCHEMAS) -> dict[tuple[str, str], Path]:
    """The tables a Spark build left in its warehouse folder: {(schema, table): folder of Parquet files}."""
    root = spark_dir(warehouse) / "warehouse"
    found = {}
    for schema in schemas:
        folder = root / f"{schema}.db"
        if not folder.is_dir():
            continue
        for table in sorted(folder.iterdir()):
            if table.is_dir() and not table.name.endswith("__dbt_tmp") and any(table.glob("*.parquet")):
                found[(schema, table.name)] = table
            elif table.is_dir() and not table.name.endswith("__dbt_tmp"):
                found[(schema, table.name)] = table  # an empty table: no part files, only _SUCCESS
    return found


def load_back(conn, warehouse: str | Path, schemas: tuple[str, ...] = BUILT_SCHEMAS,
              like: Mapping[tuple[str, str], str] | None = None) -> list[str]:
    """Replace the built tables of a DuckDB connection with the Spark-built ones (their Parquet files).

    An empty Spark table (no part files) keeps the DuckDB table's columns, emptied. Returns
    `schema.table` of each table loaded. One transaction: readers see the old or the new tables.
    """
    loaded = []
    conn.execute("begin")
    try:
        for (schema, table), folder in spark_tables(warehouse, schemas).items():
            conn.execute(f'create schema if not exists "{schema}"')
            files = sorted(folder.glob("*.parquet"))
            if files:
                pattern = str(folder / "*.parquet").replace("'", "''")
                conn.execute(f'create or replace table "{schema}"."{table}" as select * from read_parquet(\'{pattern}\')')
            else:
                exists = conn.execute("select count(*) from information_schema.tables where table_schema = ? "
                                      "and table_name = ?", [schema, table]).fetchone()[0]
                if not exists:
                    continue  # nothing tells its columns
                conn.execute(f'delete from "{schema}"."{table}"')
            loaded.append(f"{schema}.{table}")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return loaded
