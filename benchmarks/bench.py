"""Scale benchmark (`make bench`): brw against the DuckDB engine floor and a pandas peer.

For each tier (demo, ~1M and ~10M KPI measurements) it measures, each figure the median of
`--repeat` runs, and writes benchmarks/results.md:

1. engine floor: DuckDB alone loading the same measurement files, applying the restatement rule
   and aggregating to KPI-months (benchmarks/floor.py, its own process);
2. full `brw run` wall time (fresh warehouse) and its ratio to the floor;
3. incremental `brw run` the next day (as of + 1 day, one more daily drop) on the same
   warehouse file, and its ratio to the full run;
4. dashboard: p50/p95 latency of every query the pages issue (captured while AppTest renders
   every page, then replayed uncached against the published read copy);
5. peak RSS of `brw run` (largest process of its tree) and of the dashboard process;
6. the pandas peer (benchmarks/pandas_peer.py): wall time, peak RSS, and whether its benefit
   statuses and measures equal the marts.

Every step runs in a subprocess under /usr/bin/time, so wall time and peak RSS are measured the
same way for brw, the floor and the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.concurrency import kept_section
from pipelines.read_copy import read_copy_path

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-21"
NEXT_DAY = "2026-11-22"  # the incremental run: the day after, with that day's drop
END = date(2026, 11, 20)

TIERS = {
    # name: generator arguments (None = the committed demo portfolio in seeds/)
    "demo": None,
    "1m": {"projects": 100, "years": 9, "seed": 7},
    "10m": {"projects": 1100, "years": 9, "seed": 7},
    "tiny": {"projects": 6, "years": 2, "seed": 3},  # the test suite's smoke tier
}

TARGETS = {
    "full_to_floor": 10.0,  # full run <= 10x the floor
    "incremental_to_full": 0.20,  # incremental <= 20 % of the full run
    "query_p95_ms": 300.0,
    "peak_rss_gib": 4.0,
    "peer_to_full": 10.0,  # brw >= 10x faster than the pandas peer
}


@dataclass
class Measure:
    seconds: float
    max_rss_kb: int
    output: str = ""


@dataclass
class TierResult:
    name: str
    measurements: int = 0
    benefits: int = 0
    generate_seconds: float | None = None
    floor: list[Measure] = field(default_factory=list)
    full: list[Measure] = field(default_factory=list)
    incremental: list[Measure] = field(default_factory=list)
    dashboard: Measure | None = None
    queries: list[dict] = field(default_factory=list)
    peer: Measure | None = None
    peer_agrees: bool | None = None
    peer_differences: list[str] = field(default_factory=list)

    @staticmethod
    def median(measures: list[Measure]) -> float | None:
        return statistics.median(m.seconds for m in measures) if measures else None

    @staticmethod
    def peak(measures: list[Measure]) -> int | None:
        return max((m.max_rss_kb for m in measures), default=None)


def timed(cmd: list[str], env: dict | None = None, check: bool = True) -> Measure:
    """Run a command under GNU time: wall seconds and the peak RSS of its largest process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        full = ["/usr/bin/time", "-o", out.name, "-f", "%e %M", *cmd]
        proc = subprocess.run(full, capture_output=True, text=True, env=env)
        seconds, rss = out.read().strip().splitlines()[-1].split()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return Measure(float(seconds), int(rss), proc.stdout + proc.stderr)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def environment() -> dict:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DAGSTER_HOME", None)
    return env


def prepare_source(tier: str, workdir: Path, result: TierResult) -> Path:
    source = workdir / "source"
    if TIERS[tier] is None:
        shutil.copytree(REPO / "seeds", source)
        return source
    args = TIERS[tier]
    measure = timed(python("-m", "pipelines.cli", "generate", "--out", str(source), "--projects", str(args["projects"]),
                           "--years", str(args["years"]), "--seed", str(args["seed"]), "--end", END.isoformat(),
                           "--format", "parquet" if tier != "tiny" else "auto"), env=environment())
    result.generate_seconds = measure.seconds
    return source


def daily_drop(source: Path, warehouse: Path) -> Path:
    """One more day of measurements for every KPI (the day after the data ends)."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        kpis = [k for (k,) in conn.execute("SELECT kpi_id FROM marts.dim_kpi ORDER BY kpi_id").fetchall()]
    finally:
        conn.close()
    day = END + timedelta(days=1)
    path = source / "kpi_measurements" / f"daily_{day.isoformat()}.csv"
    lines = ["kpi_id,measured_on,value,recorded_at"]
    lines += [f"{k},{day.isoformat()},{100 + i % 17}.5,{day.isoformat()}T23:00:00Z" for i, k in enumerate(kpis)]
    path.write_text("\n".join(lines) + "\n")
    return path


def brw_run(source: Path, warehouse: Path, as_of: str = AS_OF) -> Measure:
    return timed(python("-m", "pipelines.cli", "run", "--source", str(source), "--warehouse", str(warehouse),
                        "--as-of", as_of), env=environment())


def run_tier(tier: str, repeat: int, workdir: Path, log) -> TierResult:
    result = TierResult(tier)
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"[{tier}] preparing sources")
    source = prepare_source(tier, workdir, result)

    log(f"[{tier}] engine floor x{repeat}")
    for _ in range(repeat):
        result.floor.append(timed(python("-m", "benchmarks.floor", str(source), AS_OF), env=environment()))

    warehouse = workdir / "full" / "brw.duckdb"
    for i in range(repeat):
        log(f"[{tier}] full brw run {i + 1}/{repeat}")
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        result.full.append(brw_run(source, warehouse))
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        result.measurements = conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0]
        result.benefits = conn.execute("SELECT count(*) FROM marts.dim_benefit").fetchone()[0]
    finally:
        conn.close()

    # The next day: one more daily drop, and the as-of date one day later. Each repeat starts from
    # the warehouse the full run left, restored to the same path (a daily run works on the same
    # file; dbt's partial parse is keyed on it).
    pristine = {path: workdir / f"pristine-{path.name}" for path in (warehouse, read_copy_path(warehouse))}
    for path, saved in pristine.items():
        shutil.copy(path, saved)
    drop = daily_drop(source, warehouse)
    for i in range(repeat):
        log(f"[{tier}] incremental brw run {i + 1}/{repeat}")
        for path, saved in pristine.items():
            shutil.copy(saved, path)
        os.sync()  # write the restored copies out now, not under the timed run's commits
        result.incremental.append(brw_run(source, warehouse, as_of=NEXT_DAY))
    drop.unlink()
    for path, saved in pristine.items():  # the dashboard probe and the pandas peer read the state as of AS_OF
        shutil.move(saved, path)

    log(f"[{tier}] dashboard queries")
    probe_out = workdir / "dashboard_queries.json"
    probe = timed(python("-m", "benchmarks.dashboard_probe", str(warehouse), "20", str(probe_out)), env=environment())
    result.dashboard = probe
    result.queries = json.loads(probe_out.read_text())

    log(f"[{tier}] pandas peer")
    peer = timed(python("-m", "benchmarks.pandas_peer", "--source", str(source), "--as-of", AS_OF,
                        "--warehouse", str(warehouse)), env=environment(), check=False)
    result.peer = peer
    result.peer_differences = re.findall(r"^  (.*)$", peer.output, flags=re.MULTILINE)
    result.peer_agrees = peer.output.count("equal to marts.fct_benefit_status") == 1
    return result


# --------------------------------------------------------------------------- report


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}; Linux {platform.release()}; Python {platform.python_version()}; "
            f"DuckDB {duckdb.__version__}")


def _fmt(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f} s"


def _gib(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024 / 1024:.2f} GiB"


def _ok(passed: bool | None) -> str:
    return "–" if passed is None else ("met" if passed else "**missed**")


def report(results: list[TierResult], repeat: int) -> str:
    lines = [
        "# Scale benchmark",
        "",
        f"Machine: {machine()}.",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench`; every time is the median of "
        f"{repeat} runs; peak RSS is the largest process of the measured command (GNU time). "
        "Where the time goes and why targets are missed: benchmarks/README.md.",
        "",
        "| tier | measurements | benefits | floor | full `brw run` | full / floor | incremental | incremental / full "
        "| peak RSS `brw run` | dashboard p95 (worst query) | peak RSS dashboard | pandas peer | peak RSS peer | peer / full "
        "| peer equals marts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        floor, full, inc = r.median(r.floor), r.median(r.full), r.median(r.incremental)
        worst_p95 = max((q["p95_ms"] for q in r.queries), default=None)
        lines.append(
            f"| {r.name} | {r.measurements:,} | {r.benefits:,} | {_fmt(floor)} | {_fmt(full)} | "
            f"{full / floor:.1f}× | {_fmt(inc)} | {inc / full:.0%} | {_gib(max(r.peak(r.full), r.peak(r.incremental)))} | "
            f"{worst_p95:.0f} ms | {_gib(r.dashboard.max_rss_kb if r.dashboard else None)} | "
            f"{_fmt(r.peer.seconds if r.peer else None)} | {_gib(r.peer.max_rss_kb if r.peer else None)} | "
            f"{(r.peer.seconds / full) if r.peer else 0:.2f}× | {'yes' if r.peer_agrees else 'NO'} |"
        )
    lines += ["", "## Targets at the largest tier", ""]
    big = results[-1]
    full, floor, inc = big.median(big.full), big.median(big.floor), big.median(big.incremental)
    worst = max((q["p95_ms"] for q in big.queries), default=0.0)
    rss = max(big.peak(big.full), big.peak(big.incremental), big.dashboard.max_rss_kb if big.dashboard else 0)
    checks = [
        (f"full run ≤ {TARGETS['full_to_floor']:.0f}× the floor", f"{full / floor:.1f}×", full / floor <= TARGETS["full_to_floor"]),
        (f"incremental ≤ {TARGETS['incremental_to_full']:.0%} of the full run", f"{inc / full:.0%}",
         inc / full <= TARGETS["incremental_to_full"]),
        (f"dashboard query p95 ≤ {TARGETS['query_p95_ms']:.0f} ms", f"{worst:.0f} ms", worst <= TARGETS["query_p95_ms"]),
        (f"peak RSS ≤ {TARGETS['peak_rss_gib']:.0f} GiB", _gib(rss), rss / 1024 / 1024 <= TARGETS["peak_rss_gib"]),
        (f"≥ {TARGETS['peer_to_full']:.0f}× faster than the pandas peer",
         f"{big.peer.seconds / full:.1f}×" if big.peer else "–",
         (big.peer.seconds / full >= TARGETS["peer_to_full"]) if big.peer else None),
        ("pandas peer equals the marts", "yes" if big.peer_agrees else "no", big.peer_agrees),
    ]
    if big.generate_seconds is not None:
        checks.append((f"`brw generate` of {big.measurements:,} rows < 60 s", _fmt(big.generate_seconds),
                       big.generate_seconds < 60))
    lines += ["| target | measured | |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {_ok(passed)} |" for name, value, passed in checks]
    for r in results:
        lines += ["", f"## Dashboard queries, {r.name} tier (uncached, against the read copy)", "",
                  "| page · query | runs | p50 | p95 | rows |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {q['name']} | {q['runs']} | {q['p50_ms']:.1f} ms | {q['p95_ms']:.1f} ms | {q['rows']:,} |"
                  for q in sorted(r.queries, key=lambda q: -q["p95_ms"])]
        if r.peer_differences:
            lines += ["", f"Pandas peer differences ({r.name}):", ""] + [f"- {d}" for d in r.peer_differences[:20]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="demo,1m,10m", help="comma separated: " + ", ".join(TIERS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(REPO / "benchmarks" / "data"))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results.md"))
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    results = []
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    out = Path(args.out)
    # the section benchmarks/concurrency.py writes ("Many users at once") stays
    kept = kept_section(out.read_text()) if out.exists() else ""
    for tier in args.tiers.split(","):
        results.append(run_tier(tier, args.repeat, workdir / tier, log))
        out.write_text(report(results, args.repeat) + (f"\n{kept}" if kept else ""))
        log(f"[{tier}] done; {args.out} updated")
    print(Path(args.out).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
