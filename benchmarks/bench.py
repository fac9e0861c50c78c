"""Scale benchmark (`make bench`): brw against the DuckDB engine floor and a pandas peer.

For each tier (demo, ~1M, ~10M KPI measurements; ~100M on request: `make bench TIERS=100m`) it
measures, each figure the median of `--repeat` runs, keeps the tier's figures in
benchmarks/results.json (a tier measured now replaces its earlier figures; the others stay, with
the date they were measured) and writes benchmarks/results.md from that file:

1. engine floor: DuckDB alone loading the same measurement files, applying the restatement rule
   and aggregating to KPI-months (benchmarks/floor.py, its own process);
2. full `brw run` wall time (fresh warehouse) and its ratio to the floor;
3. incremental `brw run` the next day (as of + 1 day, one more daily drop) on the same
   warehouse file, and its ratio to the full run;
4. dashboard: p50/p95 latency of every query the pages issue (captured while AppTest renders
   every page, then replayed uncached against the published read copy);
5. peak RSS of `brw run` (largest process of its tree) and of the dashboard process;
6. the pandas peer (benchmarks/pandas_peer.py): wall time, peak RSS, and whether its benefit
   statuses and measures equal the marts (not above 10M: it holds every measurement in memory);
7. the core path (benchmarks/core_path.py): dbt alone rebuilding staging -> monthly actuals ->
   benefit status from the loaded raw tables, on a copy of the full run's warehouse, against the
   pandas peer doing the same work from the files;
8. disk use: the source files, the warehouse and its read copy after the full run.

With `--spark`, it also times the Spark build of the hand-worked test portfolio
(benchmarks/spark_build.py: the same dbt project on dbt-spark's session method).

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
from dataclasses import asdict, dataclass, field
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
    "100m": {"projects": 11000, "years": 9, "seed": 7},  # on request: make bench TIERS=100m
    "tiny": {"projects": 6, "years": 2, "seed": 3},  # the test suite's smoke tier
}
PEER_TIERS = {"demo", "1m", "10m", "tiny"}  # the pandas peer holds every measurement in memory
BASE, BIG = "10m", "100m"  # the tiers the targets are judged on

TARGETS = {
    # issue 16, at the 10M tier
    "core_vs_peer": 3.0,  # the core path >= 3x faster than the pandas peer
    "full_to_floor": 4.0,  # full run <= 4x the floor
    "daily_seconds": 10.0,  # daily (incremental) run <= 10 s
    "query_p95_ms": 300.0,
    "peak_rss_gib": 4.0,
    # issue 16, at the 100M tier
    "big_full_growth": 12.0,  # full run <= 12x the 10M full run
    "big_daily_seconds": 15.0,  # daily run <= 15 s
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
    core: list[Measure] = field(default_factory=list)  # core path: wall of the dbt command
    core_nodes: list[float] = field(default_factory=list)  # core path: the sum of dbt's node times
    disk: dict[str, int] = field(default_factory=dict)  # bytes: source, warehouse, read copy
    measured_at: str = ""

    @staticmethod
    def median(measures: list[Measure]) -> float | None:
        return statistics.median(m.seconds for m in measures) if measures else None

    @staticmethod
    def peak(measures: list[Measure]) -> int | None:
        return max((m.max_rss_kb for m in measures), default=None)

    def to_json(self) -> dict:
        data = asdict(self)
        for name in ("floor", "full", "incremental", "core"):
            for m in data[name]:
                m.pop("output", None)
        for name in ("dashboard", "peer"):
            if data[name]:
                data[name].pop("output", None)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "TierResult":
        known = {f for f in cls.__dataclass_fields__}
        result = cls(**{k: v for k, v in data.items() if k in known})
        for name in ("floor", "full", "incremental", "core"):
            setattr(result, name, [Measure(**m) for m in getattr(result, name)])
        for name in ("dashboard", "peer"):
            if getattr(result, name):
                setattr(result, name, Measure(**getattr(result, name)))
        return result


@dataclass
class SparkResult:
    """The Spark build of the hand-worked test portfolio (benchmarks/spark_build.py)."""

    runs: list[float] = field(default_factory=list)  # wall seconds: raw exported as Parquet + dbt build on Spark
    dbt_runs: list[float] = field(default_factory=list)  # of which the dbt build (its JVM start included)
    nodes: int = 0  # dbt nodes that passed (models and data tests)
    ok: bool | None = None  # every run built without an error
    measured_at: str = ""


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
    if TIERS[tier] is None:  # the demo seeds, copied afresh (a bench before left its copy)
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(REPO / "seeds", source)
        return source
    args = {**TIERS[tier], "end": END.isoformat(), "format": "parquet" if tier != "tiny" else "auto"}
    stamp = workdir / "source.json"  # what generated source/ and how long it took: kept between benches
    if source.is_dir() and stamp.exists() and json.loads(stamp.read_text())["args"] == args:
        result.generate_seconds = json.loads(stamp.read_text())["seconds"]
        return source
    shutil.rmtree(source, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    measure = timed(python("-m", "pipelines.cli", "generate", "--out", str(source), "--projects", str(args["projects"]),
                           "--years", str(args["years"]), "--seed", str(args["seed"]), "--end", args["end"],
                           "--format", args["format"]), env=environment())
    result.generate_seconds = measure.seconds
    stamp.write_text(json.dumps({"args": args, "seconds": measure.seconds}))
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

    result.disk = {"source": tree_bytes(source), "warehouse": warehouse.stat().st_size,
                   "read_copy": read_copy_path(warehouse).stat().st_size}

    # The core path on a copy of the full run's warehouse (it rebuilds those models in place).
    core = workdir / "core" / "brw.duckdb"
    shutil.rmtree(core.parent, ignore_errors=True)
    core.parent.mkdir(parents=True)
    shutil.copy(warehouse, core)
    for i in range(repeat):
        log(f"[{tier}] core path (dbt: staging -> monthly actuals -> benefit status) {i + 1}/{repeat}")
        measure = timed(python("-m", "benchmarks.core_path", str(core), "--as-of", AS_OF, "--json"), env=environment())
        result.core.append(measure)
        result.core_nodes.append(last_json(measure.output)["node_seconds"])
    shutil.rmtree(core.parent, ignore_errors=True)

    if tier in PEER_TIERS:
        log(f"[{tier}] pandas peer")
        peer = timed(python("-m", "benchmarks.pandas_peer", "--source", str(source), "--as-of", AS_OF,
                            "--warehouse", str(warehouse)), env=environment(), check=False)
        result.peer = peer
        result.peer_differences = re.findall(r"^  (.*)$", peer.output, flags=re.MULTILINE)
        result.peer_agrees = peer.output.count("equal to marts.fct_benefit_status") == 1
    result.measured_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return result


def last_json(output: str, prefix: str = "") -> dict:
    """The JSON object on the last line of `output` that starts with `prefix` and then "{"."""
    for line in reversed(output.splitlines()):
        if line.startswith(prefix) and line[len(prefix):].lstrip().startswith("{"):
            return json.loads(line[len(prefix):])
    raise RuntimeError(f"no JSON result line in:\n{output[-2000:]}")


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_spark(repeat: int, log) -> SparkResult:
    result = SparkResult()
    for i in range(repeat):
        log(f"[spark] dbt build of the test portfolio on Spark {i + 1}/{repeat}")
        measure = timed(python("-m", "benchmarks.spark_build"), env=environment(), check=False)
        parsed = last_json(measure.output, "spark_build ")
        result.runs.append(parsed["seconds"])
        result.dbt_runs.append(parsed["dbt_seconds"])
        result.nodes = parsed["nodes"]
        result.ok = parsed["ok"] if result.ok is None else (result.ok and parsed["ok"])
    result.measured_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
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


TIER_ORDER = ["tiny", "demo", "1m", "10m", "100m"]


def _gib_of_bytes(n: int | None) -> str:
    return "–" if not n else f"{n / 1024 ** 3:.2f} GiB"


def _times(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or not b else f"{a / b:.1f}×"


def report(results: dict[str, TierResult], spark: SparkResult | None) -> str:
    tiers = [results[t] for t in sorted(results, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else 99)]
    lines = [
        "# Scale benchmark",
        "",
        f"Machine: {machine()}.",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench` from benchmarks/results.json "
        "(each tier keeps the figures of the last bench that measured it: column \"measured\"). Every time is the "
        "median of the tier's runs; peak RSS is the largest process of the measured command (GNU time). Where the "
        "time goes and why targets are missed: benchmarks/README.md.",
        "",
        "| tier | measurements | benefits | runs | floor | full `brw run` | full / floor | daily `brw run` | daily / full "
        "| peak RSS `brw run` | dashboard p95 (worst query) | peak RSS dashboard | disk: sources · warehouse · read copy "
        "| measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in tiers:
        floor, full, inc = r.median(r.floor), r.median(r.full), r.median(r.incremental)
        worst_p95 = max((q["p95_ms"] for q in r.queries), default=None)
        disk = " · ".join(_gib_of_bytes(r.disk.get(k)) for k in ("source", "warehouse", "read_copy")) if r.disk else "–"
        lines.append(
            f"| {r.name} | {r.measurements:,} | {r.benefits:,} | {len(r.full)} | {_fmt(floor)} | {_fmt(full)} | "
            f"{_times(full, floor)} | {_fmt(inc)} | {(inc / full if inc and full else 0):.0%} | "
            f"{_gib(max(r.peak(r.full) or 0, r.peak(r.incremental) or 0))} | "
            f"{'–' if worst_p95 is None else f'{worst_p95:.0f} ms'} | "
            f"{_gib(r.dashboard.max_rss_kb if r.dashboard else None)} | {disk} | {r.measured_at or '–'} |"
        )
    lines += [
        "",
        "## The core path against the pandas peer",
        "",
        "The core path is dbt alone rebuilding staging → monthly actuals → benefit status (`stg_kpi_measurements`, "
        "`int_kpi_monthly` and every model between them and `fct_benefit_status`, full refresh) from the raw tables a "
        "full run loaded (benchmarks/core_path.py); the wall time includes dbt's start-up and parse. The pandas peer "
        "(benchmarks/pandas_peer.py) does the same work from the files. The peer is not run above 10M: it holds every "
        "measurement in memory.",
        "",
        "| tier | core path (wall) | of which dbt's nodes | pandas peer | peer / core path | peak RSS core path "
        "| peak RSS peer | peer equals marts |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in tiers:
        core = r.median(r.core)
        nodes = statistics.median(r.core_nodes) if r.core_nodes else None
        peer = r.peer.seconds if r.peer else None
        agrees = "–" if r.peer_agrees is None else ("yes" if r.peer_agrees else "NO")
        lines.append(
            f"| {r.name} | {_fmt(core)} | {_fmt(nodes)} | {_fmt(peer)} | {_times(peer, core)} | {_gib(r.peak(r.core))} | "
            f"{_gib(r.peer.max_rss_kb if r.peer else None)} | {agrees} |"
        )
    if spark and spark.runs:
        lines += [
            "",
            "## The same dbt project on Spark",
            "",
            "The hand-worked test portfolio (tests/data/portfolio) ingested by brw into DuckDB, its raw tables exported "
            "as Parquet and `dbt build` run on the `spark` target (dbt-spark, session method, local[2], its JVM start "
            "included): benchmarks/spark_build.py. tests/test_spark.py asserts that its fct_benefit_status, "
            "fct_benefit_monthly and fct_project_health equal the DuckDB build row for row.",
            "",
            "| build | runs | median wall (export + dbt) | of which dbt on Spark | dbt nodes passed | no errors | measured |",
            "|---|---:|---:|---:|---:|---|---|",
            f"| test portfolio on Spark | {len(spark.runs)} | {_fmt(statistics.median(spark.runs))} | "
            f"{_fmt(statistics.median(spark.dbt_runs)) if spark.dbt_runs else '–'} | {spark.nodes} | "
            f"{'yes' if spark.ok else 'NO'} | {spark.measured_at} |",
        ]
    lines += targets_section(results)
    for r in tiers:
        if not r.queries:
            continue
        lines += ["", f"## Dashboard queries, {r.name} tier (uncached, against the read copy)", "",
                  "| page · query | runs | p50 | p95 | rows |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {q['name']} | {q['runs']} | {q['p50_ms']:.1f} ms | {q['p95_ms']:.1f} ms | {q['rows']:,} |"
                  for q in sorted(r.queries, key=lambda q: -q["p95_ms"])]
        if r.peer_differences:
            lines += ["", f"Pandas peer differences ({r.name}):", ""] + [f"- {d}" for d in r.peer_differences[:20]]
    return "\n".join(lines) + "\n"


def targets_section(results: dict[str, TierResult]) -> list[str]:
    """Issue 16's targets: at the 10M tier (or the largest measured without it), and at 100M."""
    base_name = BASE if BASE in results else max(
        (t for t in results if t != BIG), key=lambda t: results[t].measurements, default=None)
    lines: list[str] = []
    if base_name:
        b = results[base_name]
        full, floor, inc, core = b.median(b.full), b.median(b.floor), b.median(b.incremental), b.median(b.core)
        worst = max((q["p95_ms"] for q in b.queries), default=0.0)
        rss = max(b.peak(b.full) or 0, b.peak(b.incremental) or 0, b.dashboard.max_rss_kb if b.dashboard else 0)
        checks = [
            (f"core path ≥ {TARGETS['core_vs_peer']:.0f}× faster than the pandas peer",
             _times(b.peer.seconds, core) if b.peer and core else "–",
             (b.peer.seconds / core >= TARGETS["core_vs_peer"]) if b.peer and core else None),
            (f"full run ≤ {TARGETS['full_to_floor']:.0f}× the floor", _times(full, floor),
             full / floor <= TARGETS["full_to_floor"] if full and floor else None),
            (f"daily run ≤ {TARGETS['daily_seconds']:.0f} s", _fmt(inc),
             inc <= TARGETS["daily_seconds"] if inc else None),
            (f"dashboard query p95 ≤ {TARGETS['query_p95_ms']:.0f} ms", f"{worst:.0f} ms", worst <= TARGETS["query_p95_ms"]),
            (f"peak RSS ≤ {TARGETS['peak_rss_gib']:.0f} GiB", _gib(rss), rss / 1024 / 1024 <= TARGETS["peak_rss_gib"]),
            ("pandas peer equals the marts", "yes" if b.peer_agrees else "no", b.peer_agrees),
        ]
        if b.generate_seconds is not None:
            checks.append((f"`brw generate` of {b.measurements:,} rows < 60 s", _fmt(b.generate_seconds),
                           b.generate_seconds < 60))
        lines += ["", f"## Targets at the {base_name} tier", "", "| target | measured | |", "|---|---:|---|"]
        lines += [f"| {name} | {value} | {_ok(passed)} |" for name, value, passed in checks]
    if BIG in results:
        g = results[BIG]
        full, inc = g.median(g.full), g.median(g.incremental)
        base_full = results[BASE].median(results[BASE].full) if BASE in results else None
        worst = max((q["p95_ms"] for q in g.queries), default=0.0)
        rss = max(g.peak(g.full) or 0, g.peak(g.incremental) or 0)
        checks = [
            (f"peak RSS of `brw run` ≤ {TARGETS['peak_rss_gib']:.0f} GiB", _gib(rss),
             rss / 1024 / 1024 <= TARGETS["peak_rss_gib"]),
            (f"full run ≤ {TARGETS['big_full_growth']:.0f}× the {BASE} full run", _times(full, base_full),
             full / base_full <= TARGETS["big_full_growth"] if full and base_full else None),
            (f"daily run ≤ {TARGETS['big_daily_seconds']:.0f} s", _fmt(inc),
             inc <= TARGETS["big_daily_seconds"] if inc else None),
            (f"dashboard query p95 ≤ {TARGETS['query_p95_ms']:.0f} ms", f"{worst:.0f} ms",
             worst <= TARGETS["query_p95_ms"] if g.queries else None),
        ]
        lines += ["", f"## Targets at the {BIG} tier", "", "| target | measured | |", "|---|---:|---|"]
        lines += [f"| {name} | {value} | {_ok(passed)} |" for name, value, passed in checks]
        if g.disk:
            lines += ["", f"Disk at {BIG}: sources {_gib_of_bytes(g.disk['source'])}, warehouse "
                          f"{_gib_of_bytes(g.disk['warehouse'])}, read copy {_gib_of_bytes(g.disk['read_copy'])}."]
    return lines


def load_results(path: Path) -> tuple[dict[str, TierResult], SparkResult | None]:
    if not path.exists():
        return {}, None
    data = json.loads(path.read_text())
    tiers = {name: TierResult.from_json(t) for name, t in data.get("tiers", {}).items()}
    spark = SparkResult(**data["spark"]) if data.get("spark") else None
    return tiers, spark


def save_results(path: Path, tiers: dict[str, TierResult], spark: SparkResult | None) -> None:
    data = {"tiers": {name: r.to_json() for name, r in tiers.items()}, "spark": asdict(spark) if spark else None}
    path.write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="demo,1m,10m", help="comma separated: " + ", ".join(TIERS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", action="store_true", help="also time the Spark build of the test portfolio")
    parser.add_argument("--workdir", default=str(REPO / "benchmarks" / "data"))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results.md"))
    parser.add_argument("--json", default=None, help="the kept figures (default: results.json beside --out)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    out = Path(args.out)
    store = Path(args.json) if args.json else out.with_suffix(".json")
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    # the section benchmarks/concurrency.py writes ("Many users at once") stays
    kept = kept_section(out.read_text()) if out.exists() else ""
    results, spark = load_results(store)

    def write() -> None:
        save_results(store, results, spark)
        out.write_text(report(results, spark) + (f"\n{kept}" if kept else ""))

    for tier in [t for t in args.tiers.split(",") if t]:
        results[tier] = run_tier(tier, args.repeat, workdir / tier, log)
        write()
        log(f"[{tier}] done; {args.out} updated")
    if args.spark:
        spark = run_spark(args.repeat, log)
        write()
        log(f"[spark] done; {args.out} updated")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
