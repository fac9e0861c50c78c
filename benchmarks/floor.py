"""The engine floor: DuckDB alone doing the core data work brw does on KPI measurements.

Loads every measurement file of a source directory into an on-disk DuckDB table, applies the
restatement rule (latest recorded_at per kpi_id and measured_on) and aggregates to KPI-months by
each KPI's aggregation — no validation, no lineage, no orchestration. Usage:
`python -m benchmarks.floor SOURCE_DIR AS_OF`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb


def floor(source: Path, as_of: str) -> dict:
    folder = source / "kpi_measurements"
    parquet = sorted(str(p) for p in folder.glob("*.parquet"))
    csv = sorted(str(p) for p in folder.glob("*.csv"))
    cols = ("TRY_CAST(kpi_id AS VARCHAR) AS kpi_id, TRY_CAST(measured_on AS DATE) AS measured_on, "
            "TRY_CAST(value AS DOUBLE) AS value, TRY_CAST(recorded_at AS TIMESTAMP) AS recorded_at")
    parts = []
    if parquet:
        parts.append(f"SELECT {cols} FROM read_parquet({parquet!r})")
    if csv:
        parts.append(f"SELECT {cols} FROM read_csv({csv!r}, all_varchar = true, header = true, ignore_errors = true)")
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        conn.execute("SET memory_limit = '3GB'")
        started = time.monotonic()
        conn.execute(f"CREATE TABLE measurements AS {' UNION ALL '.join(parts)}")
        conn.execute(f"CREATE TABLE definitions AS SELECT * FROM read_csv('{source / 'kpi_definitions.csv'}', header = true)")
        conn.execute("""
            CREATE TABLE current_measurements AS
            SELECT * FROM measurements
            WHERE kpi_id IS NOT NULL AND measured_on IS NOT NULL AND value IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY kpi_id, measured_on ORDER BY recorded_at DESC) = 1
        """)
        conn.execute(f"""
            CREATE TABLE kpi_monthly AS
            SELECT m.kpi_id, date_trunc('month', m.measured_on) AS period_month,
                   CASE any_value(d.aggregation)
                       WHEN 'sum' THEN sum(m.value) WHEN 'avg' THEN avg(m.value) WHEN 'min' THEN min(m.value)
                       WHEN 'max' THEN max(m.value) ELSE arg_max(m.value, m.measured_on) END AS actual_value
            FROM current_measurements m JOIN definitions d USING (kpi_id)
            WHERE m.measured_on < date_trunc('month', DATE '{as_of}')
            GROUP BY ALL
        """)
        seconds = time.monotonic() - started
        rows = conn.execute("SELECT (SELECT count(*) FROM measurements), (SELECT count(*) FROM kpi_monthly)").fetchone()
        conn.close()
    return {"seconds": seconds, "measurements": rows[0], "kpi_months": rows[1]}


if __name__ == "__main__":
    print(floor(Path(sys.argv[1]), sys.argv[2]))
