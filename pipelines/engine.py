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
            if table.is_dir() and not table.name.endswith("__dbt_tmp"):
                found[(schema, table.name)] = table
    return found


def _parquet_select(conn, pattern: str) -> str:
    """A select of Parquet files written by Spark with DuckDB's types: Spark writes its TIMESTAMP
    (UTC instants) as timestamps adjusted to UTC, which DuckDB reads as TIMESTAMPTZ; the warehouse
    keeps naive UTC TIMESTAMPs (as the DuckDB build does)."""
    literal = pattern.replace("'", "''")
    described = conn.execute(f"describe select * from read_parquet('{literal}')").fetchall()
    columns = []
    for name, dtype, *_ in described:
        quoted = '"' + name.replace('"', '""') + '"'
        columns.append(f"timezone('UTC', {quoted}) as {quoted}" if dtype == "TIMESTAMP WITH TIME ZONE" else quoted)
    return f"select {', '.join(columns)} from read_parquet('{literal}')"


def load_back(conn, warehouse: str | Path, schemas: tuple[str, ...] = BUILT_SCHEMAS) -> list[str]:
    """Replace the built tables of a DuckDB connection with the Spark-built ones (their Parquet files).

    An empty Spark table (no part files) keeps the DuckDB table's columns, emptied. Returns
    `schema.table` of each table loaded. One transaction: readers see the old or the new tables.
    """
    loaded = []
    conn.execute("begin")
    try:
        for (schema, table), folder in spark_tables(warehouse, schemas).items():
            conn.execute(f'create schema if not exists "{schema}"')
            if any(folder.glob("*.parquet")):
                select = _parquet_select(conn, str(folder / "*.parquet"))
                conn.execute(f'create or replace table "{schema}"."{table}" as {select}')
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


def write_comments(conn, manifest: Mapping, loaded: list[str]) -> int:
    """Table and column comments from the dbt manifest's descriptions on the loaded tables, as
    persist_docs writes them on DuckDB (the console's schema pane reads them): Spark keeps column
    comments only on Delta, and Parquet files carry none. Returns the comments written."""
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    wanted = set(loaded)
    written = 0
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in ("model", "snapshot"):
            continue
        name = f"{node['schema']}.{node.get('alias') or node['name']}"
        if name not in wanted:
            continue
        schema, table = name.split(".", 1)
        relation = f'"{schema}"."{table}"'
        if node.get("description"):
            conn.execute(f"comment on table {relation} is {literal(node['description'])}")
            written += 1
        existing = {r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table]).fetchall()}
        for column in node.get("columns", {}).values():
            if column.get("description") and column["name"] in existing:
                conn.execute(f'comment on column {relation}."{column["name"]}" is {literal(column["description"])}')
                written += 1
    return written


def spark_build(warehouse: str | Path, as_of: str, args: list[str] | None = None, *,
                target_path: str | Path | None = None, log_path: str | Path | None = None,
                env: Mapping[str, str] | None = None, timeout: float | None = None, export: bool = True):
    """Export the warehouse's raw tables and run dbt on the spark target (default `build` without
    unit tests), outside Dagster: the benchmark and tests/test_spark.py. Returns the finished
    subprocess (stdout and stderr captured, text)."""
    import subprocess

    from pipelines.dbt_manifest import dbt_executable
    from pipelines.settings import DBT_AS_OF_ENV, DBT_PROJECT_DIR

    if export:
        export_raw_from(warehouse)
    command = [dbt_executable(), *(args or ["build", "--exclude-resource-type", "unit_test"]), "--target", "spark",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    if log_path is not None:
        command += ["--log-path", str(log_path)]
    full_env = {**os.environ, **dbt_env("spark", warehouse), DBT_AS_OF_ENV: as_of,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=full_env, capture_output=True, text=True, timeout=timeout)


# The hooks of the Dagster dbt step (pipelines/defs/transform/assets.py); `warehouse` is its
# WarehouseResource (path, connect()).

def before_dbt(engine: str, warehouse) -> tuple[list[str], dict[str, str]]:
    """Before dbt: on spark, export the raw tables as Parquet. Returns the dbt arguments (the
    target) and the environment dbt needs for this engine."""
    engine = resolve_engine(engine)
    if engine == "duckdb":
        return [], {}
    with warehouse.connect(read_only=True) as conn:
        export_raw(conn, spark_raw_dir(warehouse.path))
    return ["--target", dbt_target(engine)], dbt_env(engine, warehouse.path)


def after_dbt(engine: str, warehouse, target_path: str | Path | None = None) -> list[str]:
    """After a successful dbt build: on spark, load the Spark-built tables into the DuckDB warehouse,
    with the descriptions of the build's manifest (target_path/manifest.json) as their comments."""
    if resolve_engine(engine) == "duckdb":
        return []
    import json

    manifest = Path(target_path) / "manifest.json" if target_path is not None else None
    with warehouse.connect() as conn:
        loaded = load_back(conn, warehouse.path)
        if manifest is not None and manifest.exists():
            write_comments(conn, json.loads(manifest.read_text()), loaded)
    return loaded
