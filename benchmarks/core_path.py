"""The core path alone: staging -> monthly actuals -> benefit status, as dbt builds it in a run.

`python -m benchmarks.core_path WAREHOUSE --as-of DATE` runs, in WAREHOUSE itself (nothing is
copied: its raw tables must be loaded, e.g. a copy of a built warehouse), the dbt models from
stg_kpi_measurements to marts.fct_benefit_status - stg_kpi_measurements, int_kpi_monthly and
every model between them and fct_benefit_status - as a full refresh:

    dbt run --full-refresh --select "stg_kpi_measurements+,+fct_benefit_status"

dbt runs as a subprocess with the environment a pipeline run gives it (BRW_WAREHOUSE,
BRW_DBT_AS_OF, BRW_DBT_REPORTING_CURRENCY: pipelines/defs/transform/assets.py). Prints the wall
time (dbt start-up and parse included), the sum of the node times and each node's time from
dbt's run_results.json; `--json` prints them as one JSON object instead. The peer this is held
against is `python -m benchmarks.pandas_peer` (README "Where the time goes").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from pipelines.dbt_manifest import dbt_executable
from pipelines.settings import (
    DBT_AS_OF_ENV,
    DBT_PROJECT_DIR,
    DBT_REPORTING_CURRENCY_ENV,
    DBT_TARGET_DIR,
    DEFAULT_REPORTING_CURRENCY,
    dbt_file_log_env,
)

SELECTION = "stg_kpi_measurements+,+fct_benefit_status"
TARGET_PATH = DBT_TARGET_DIR / "core_path"  # its own target folder: run_results.json, partial parse


def dbt_command(selection: str = SELECTION) -> list[str]:
    return [
        dbt_executable(), "run", "--full-refresh", "--select", selection,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(TARGET_PATH),
    ]


def dbt_env(warehouse: Path, as_of: date, currency: str) -> dict[str, str]:
    """This process's environment plus what a pipeline run hands dbt."""
    return {
        **os.environ,
        "BRW_WAREHOUSE": str(warehouse),
        DBT_AS_OF_ENV: as_of.isoformat(),
        DBT_REPORTING_CURRENCY_ENV: currency,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **dbt_file_log_env(),
    }


def node_times(run_results: Path) -> list[tuple[str, str, float]]:
    """(node name, status, seconds) per node of a dbt run, in the order dbt finished them."""
    results = json.loads(run_results.read_text())["results"]
    return [(r["unique_id"].split(".")[-1], r["status"], float(r["execution_time"])) for r in results]


def run(warehouse: Path, as_of: date, currency: str = DEFAULT_REPORTING_CURRENCY, selection: str = SELECTION) -> dict:
    if not warehouse.is_file():
        raise SystemExit(f"{warehouse}: no such warehouse (copy a built one; this tool copies nothing)")
    TARGET_PATH.mkdir(parents=True, exist_ok=True)
    results = TARGET_PATH / "run_results.json"
    results.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run(dbt_command(selection), cwd=DBT_PROJECT_DIR, env=dbt_env(warehouse, as_of, currency),
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    if proc.returncode != 0 or not results.exists():
        sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise SystemExit(f"dbt failed (exit {proc.returncode})")
    nodes = node_times(results)
    return {"wall_seconds": round(wall, 2), "node_seconds": round(sum(s for _, _, s in nodes), 2),
            "nodes": [{"name": n, "status": st, "seconds": round(s, 2)} for n, st, s in nodes]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.core_path", description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="a warehouse with its raw tables loaded (used in place)")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--reporting-currency", default=DEFAULT_REPORTING_CURRENCY)
    parser.add_argument("--select", default=SELECTION, help=f"dbt selection (default {SELECTION!r})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.warehouse.resolve(), args.as_of, args.reporting_currency, args.select)
    if args.json:
        print(json.dumps(result))
        return 0
    for node in sorted(result["nodes"], key=lambda n: -n["seconds"]):
        print(f"{node['seconds']:8.2f} s  {node['name']} ({node['status']})")
    print(f"core path: {len(result['nodes'])} models, node sum {result['node_seconds']:.2f} s, "
          f"wall {result['wall_seconds']:.2f} s (dbt start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
