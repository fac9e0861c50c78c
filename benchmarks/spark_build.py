"""Time the dbt build of the hand-worked test portfolio on the spark target (README "Running on Spark").

    python -m benchmarks.spark_build [--warehouse PATH] [--keep DIR]

Ingests tests/data/portfolio as of 2026-04-15 with `brw run` (DuckDB; not timed) unless --warehouse
gives such a warehouse, then times, wall: the raw export as Parquet and `dbt build` on the spark
target (models and data tests, no unit tests; a local Spark: local[2], 2 shuffle partitions; its JVM
start included). The last line is JSON for bench.py:

    spark_build {"seconds": 231.4, "export_seconds": 0.2, "dbt_seconds": 231.2, "nodes": 172, "ok": true}
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PORTFOLIO = REPO_ROOT / "tests" / "data" / "portfolio"
AS_OF = "2026-04-15"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark_build")
    parser.add_argument("--warehouse", help="a DuckDB warehouse of the test portfolio (default: build one with brw run)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    args = parser.parse_args(argv)

    import os

    from pipelines import engine

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="brw-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        warehouse = work / "brw.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from pipelines.cli import main as brw

            source = work / "source"
            shutil.rmtree(source, ignore_errors=True)
            shutil.copytree(PORTFOLIO, source)
            if brw(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", AS_OF]) != 0:
                print("spark_build: the DuckDB build of the portfolio failed", file=sys.stderr)
                return 1
        for name in (engine.SPARK_DIR_ENV, engine.SPARK_RAW_DIR_ENV):
            os.environ.pop(name, None)
        shutil.rmtree(engine.spark_dir(warehouse), ignore_errors=True)  # a cold build: no metastore yet
        started = time.perf_counter()
        engine.export_raw_from(warehouse)
        exported = time.perf_counter()
        proc = engine.spark_build(warehouse, AS_OF, target_path=work / "target", log_path=work / "logs", export=False)
        done = time.perf_counter()
        match = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+)", proc.stdout)
        ok = proc.returncode == 0 and match is not None and match.group(3) == "0"
        if not ok:
            print(proc.stdout[-4000:], proc.stderr[-2000:], file=sys.stderr)
        result = {"seconds": round(done - started, 1), "export_seconds": round(exported - started, 2),
                  "dbt_seconds": round(done - exported, 1), "nodes": int(match.group(1)) if match else 0, "ok": ok}
        print("spark_build " + json.dumps(result), flush=True)
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
