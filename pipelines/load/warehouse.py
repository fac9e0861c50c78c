"""The warehouse file: connecting to DuckDB, the `raw` and `audit` schemas and their tables.

`ensure_warehouse` creates (idempotently) the audit tables every load writes to
(`audit.quarantine`, `audit.load_audit`, `audit.loaded_files`) and one `raw.<source>` table per
contract source (SPEC section 2), typed as the contract says, with the lineage columns; a raw
table made by an older contract gets the columns added since (`add_missing_columns`).
`quote` and `literal` are the SQL quoting every generated statement uses.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.load.contract import LINEAGE_COLUMNS, SOURCES, Source


DEFAULT_MEMORY_LIMIT = "3GB"


AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.quarantine (
    source_file VARCHAR NOT NULL,
    row_number BIGINT,
    record VARCHAR,
    reason VARCHAR NOT NULL,
    column_name VARCHAR,
    detail VARCHAR,
    run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    source VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.load_audit (
    source_file VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS audit.loaded_files (
    source_file VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    run_id VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    mtime_ns BIGINT  -- with size_bytes, the file as it was read: what the landing sensor compares
);
"""


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def raw_table_ddl(source: Source) -> str:
    cols = [f"{quote(c.name)} {c.sql_type}" for c in source.columns]
    cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS raw.{source.name} (\n    " + ",\n    ".join(cols) + "\n)"


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    # DuckDB takes 80 % of RAM by default; spill to disk beyond this instead (BRW_MEMORY_LIMIT).
    conn.execute(f"SET memory_limit = {literal(os.environ.get('BRW_MEMORY_LIMIT', DEFAULT_MEMORY_LIMIT))}")
    return conn


def ensure_warehouse(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and tables (idempotent)."""
    conn.execute(AUDIT_DDL)
    # Warehouses from before the landing files' signatures: their files look changed, once.
    conn.execute("ALTER TABLE audit.loaded_files ADD COLUMN IF NOT EXISTS mtime_ns BIGINT")
    # Warehouses from before mapped sources: one input file may now feed two tables, so each
    # quarantined row also names its table (filled from the load audit for older rows).
    conn.execute("ALTER TABLE audit.quarantine ADD COLUMN IF NOT EXISTS source VARCHAR")
    if conn.execute("SELECT count(*) FROM audit.quarantine WHERE source IS NULL").fetchone()[0]:
        conn.execute(
            """UPDATE audit.quarantine q SET source = a.source FROM (
                   SELECT source_file, any_value(source) AS source FROM audit.load_audit GROUP BY source_file
               ) a WHERE q.source IS NULL AND a.source_file = q.source_file"""
        )
    for source in SOURCES:
        conn.execute(raw_table_ddl(source))
        add_missing_columns(conn, source)


def add_missing_columns(conn: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    """Schema evolution: a raw table made by an older contract gets the columns added since
    (e.g. kpi_measurements.recorded_by), null in its old rows. Returns the columns added."""
    present = {
        name.lower() for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = 'raw' AND table_name = ?",
            [source.name],
        ).fetchall()
    }
    added = [c for c in source.columns if c.name.lower() not in present]
    for col in added:
        conn.execute(f"ALTER TABLE raw.{source.name} ADD COLUMN IF NOT EXISTS {quote(col.name)} {col.sql_type}")
    return [c.name for c in added]
