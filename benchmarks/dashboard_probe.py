"""Every query the dashboard pages issue, and its latency (for benchmarks/bench.py).

Renders every page once with AppTest (default filters) while recording each query and the
query function that issued it, then replays every distinct query `runs` times against the
published read copy, uncached. Writes JSON [{name, runs, p50_ms, p95_ms, rows}] to OUT.
Usage: `python -m benchmarks.dashboard_probe WAREHOUSE RUNS OUT`.
"""

from __future__ import annotations

import inspect
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = ("", "benefit", "after-closure", "delivery-health", "data-quality", "sql")


def _issuer() -> str:
    for frame in inspect.stack()[2:]:
        module = frame.frame.f_globals.get("__name__", "")
        if module.startswith("dashboards.") and module not in ("dashboards.queries",):
            return f"{module.removeprefix('dashboards.')}.{frame.function}"
    return "app"


def main(warehouse: str, runs: int = 20) -> list[dict]:
    os.environ["BRW_WAREHOUSE"] = warehouse
    from streamlit.testing.v1 import AppTest

    from dashboards import queries

    seen: dict[tuple, str] = {}

    def recording(sql: str, params: tuple = (), version_key: float = 0.0, scope_key: str = "all"):
        seen.setdefault((sql, tuple(params)), _issuer())
        return queries.read(sql, params)

    queries.cached = recording
    sys.path.insert(0, str(REPO))
    from tests.conftest import open_page

    at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=300).run()
    for url in PAGES[1:]:
        open_page(at, url)
        assert not at.exception, (url, at.exception)

    results = []
    for (sql, params), name in seen.items():
        times, rows = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(queries.read(sql, params))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        results.append({
            "name": name, "runs": runs, "rows": rows,
            "p50_ms": statistics.median(times), "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
        })
    return results


if __name__ == "__main__":
    Path(sys.argv[3]).write_text(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
