"""Many users at once (issue 15): N dashboard sessions at the same time while `brw run` publishes.

Part of `make bench` (and `make bench-concurrency`), not of `make test` timings. For each tier it
takes the warehouse `benchmarks.bench` built (or builds one), then:

1. gives every session its own principal (dashboards.access.Principal): board members, analysts,
   portfolio leads of different portfolios and benefit owners of different owners;
2. records, once per distinct grant, every query each page its role allows issues: the real app
   (dashboards/app.py) is rendered with streamlit's AppTest, signed in through the [auth] gate as
   that user (a generated access.yml), one page after the other; the render wall time of each page
   for that one session is kept too;
3. runs the N sessions at once, one thread each in this process, as the Streamlit server runs
   its sessions: every session loads every page of its role, round after round, each page's
   queries in the page's order through the dashboard's own query layer (dashboards.queries:
   one Catalog per read copy, a cursor per query, the session's scoped catalog, st.cache_data);
   "page-data time" is the wall time from the page's first query to the end of its last one.
   Rounds cycle through three kinds: `uncached` (every query runs in DuckDB: queries.read),
   `cold` (through the cache, cleared at the start of the round: the first session of a scope
   computes, the others of that scope wait for it) and `warm` (cache hits);
4. meanwhile a real `brw run` (the next day's drop, as of the next day) rebuilds the same
   warehouse in another process and publishes a new read copy; the sessions keep going until
   at least one round has started after the publish, so they read the new copy too.
   Every query error counts; every frame's benefit ids are checked against the session's scope
   (worked out separately from marts.dim_benefit and marts.dim_project).

Writes the section "Many users at once" of benchmarks/results.md (one subsection per tier).
Usage: `python -m benchmarks.concurrency --tiers demo,1m,10m --sessions 20`.
"""

from __future__ import annotations

import argparse
import json
import random
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipelines.read_copy import read_copy_path

REPO = Path(__file__).resolve().parent.parent
KINDS = ("uncached", "cold", "warm")
SECTION = "## Many users at once"
TARGET_P95_MS = 500.0
# AppTest signs the user in through app.py's gate: the gate only needs an [auth] section to exist.
AUTH_SECRETS = {"auth": {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "benchmark-only-" + "x" * 32,
    "client_id": "brw-bench", "client_secret": "benchmark-only",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}}


# --------------------------------------------------------------------------- who the sessions are


@dataclass(frozen=True)
class Grant:
    """One distinct grant of the mix: sessions with the same grant share its recorded queries."""

    label: str  # "board", "analyst", "lead: Digital Transformation", "owner: Oliver Hamilton"
    role: str
    portfolios: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()


def grant_mix(read_copy: Path, leads: int = 4, owners: int = 6) -> list[Grant]:
    """Board, analyst, portfolio leads of the `leads` largest portfolios and benefit owners of
    `owners` different owners (spread over the owners by number of benefits)."""
    conn = duckdb.connect(str(read_copy), read_only=True)
    try:
        portfolios = [p for (p,) in conn.execute(
            """SELECT p.portfolio FROM marts.dim_project p JOIN marts.dim_benefit b USING (project_id)
            WHERE p.portfolio IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?""", [leads]).fetchall()]
        all_owners = [o for (o,) in conn.execute(
            """SELECT benefit_owner FROM marts.dim_benefit WHERE benefit_owner IS NOT NULL AND trim(benefit_owner) <> ''
            GROUP BY 1 ORDER BY count(*) DESC, 1""").fetchall()]
    finally:
        conn.close()
    step = max(1, len(all_owners) // max(1, owners))
    chosen = all_owners[::step][:owners]
    return [Grant("board", "board"), Grant("analyst", "analyst"),
            *(Grant(f"lead: {p}", "portfolio_lead", portfolios=(p,)) for p in portfolios),
            *(Grant(f"owner: {o}", "benefit_owner", owners=(o,)) for o in chosen)]


def email(grant: Grant, session: int | None = None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", grant.label.lower()).strip("-")
    return f"{slug}{'' if session is None else f'-{session}'}@bench.example.org"


def principal(grant: Grant, session: int | None = None):
    """The session's principal, built directly (as app.py's gate would resolve it)."""
    from dashboards.access import Principal

    return Principal(email=email(grant, session), name=grant.label, roles=frozenset({grant.role}),
                     portfolios=tuple(sorted(grant.portfolios)), owner_names=tuple(sorted(grant.owners)))


def access_file(grants: list[Grant], path: Path) -> Path:
    """An access.yml granting each grant's (session-less) email its role, for the recording pass."""
    rows = []
    for g in grants:
        row: dict = {"email": email(g), "role": g.role}
        if g.portfolios:
            row["portfolios"] = list(g.portfolios)
        if g.owners:
            row["benefit_owner"] = list(g.owners)
        rows.append(row)
    path.write_text(yaml.safe_dump({"grants": rows}, sort_keys=False))
    return path


def pages_of(p) -> list[str]:
    """The pages a session loads: every page its role allows (the access log is admin-only and
    not in the mix)."""
    from dashboards.access import PAGE_KEYS

    return [key for key in PAGE_KEYS if p.can(key) and key != "access-log"]


def scope_benefit_ids(read_copy: Path, p) -> set[str]:
    """The benefit ids a principal may see, from the marts directly (not through the dashboard's
    scoped catalogs): every benefit for full access, else the benefits of the granted portfolios
    and of the granted owners."""
    conn = duckdb.connect(str(read_copy), read_only=True)
    try:
        if p.full_access:
            rows = conn.execute("SELECT benefit_id FROM marts.dim_benefit").fetchall()
        else:
            rows = conn.execute(
                """SELECT b.benefit_id FROM marts.dim_benefit b LEFT JOIN marts.dim_project d USING (project_id)
                WHERE d.portfolio IN (SELECT unnest(?::VARCHAR[]))
                   OR lower(trim(b.benefit_owner)) IN (SELECT lower(trim(unnest(?::VARCHAR[]))))""",
                [list(p.portfolios), list(p.owner_names)]).fetchall()
    finally:
        conn.close()
    return {r for (r,) in rows}


# --------------------------------------------------------------------------- recording the pages


@dataclass
class Recording:
    """Every query each page issues for one grant, in order, and the page's AppTest render time."""

    queries: dict[str, list[tuple[str, tuple]]] = field(default_factory=dict)
    render_cold_s: dict[str, float] = field(default_factory=dict)  # cache cleared before the page
    render_warm_s: dict[str, float] = field(default_factory=dict)  # the same page again
    failed: dict[str, str] = field(default_factory=dict)  # page -> the exception it raised (not replayed)


def record(grants: list[Grant], access_path: Path, warm: bool = True) -> dict[str, Recording]:
    """Render every page of every grant with AppTest, signed in as that grant's user, recording the
    queries (sql, params) each page run issues through queries.query, and each page's render time
    with the cache cleared (cold) and, for the first grant of each role, again (warm). AppTest
    swaps process-wide
    state (the runtime, st.secrets) for each run, so this runs one page at a time, before the
    concurrent phase."""
    from streamlit.testing.v1 import AppTest

    from dashboards import access, queries
    from tests.conftest import APP, open_page

    previous_access = os.environ.get("BRW_ACCESS")
    os.environ["BRW_ACCESS"] = str(access_path)
    original = queries.cached
    current: list[tuple[str, tuple]] | None = None

    def recording(sql: str, params: tuple = (), version_key: float = 0.0, scope_key: str = "all"):
        if current is not None:
            current.append((sql, tuple(params)))
        return original(sql, params, version_key=version_key, scope_key=scope_key)

    recordings: dict[str, Recording] = {}
    queries.cached = recording
    try:
        for g in grants:
            rec = recordings[g.label] = Recording()
            at = AppTest.from_file(str(APP), default_timeout=600)
            at.secrets = dict(AUTH_SECRETS)
            at.user = {"is_logged_in": True, "email": email(g), "name": g.label, "email_verified": True}
            at.run()  # the gate, then the home page's switch to the overview
            _check(at, g, "sign-in")
            resolved = access.resolve({"email": email(g)}, access.load_policy(access_path))
            assert resolved is not None and resolved.scope_key == principal(g).scope_key, (g, resolved)
            for page in pages_of(principal(g)):
                original.clear()
                current = rec.queries[page] = []
                started = time.perf_counter()
                open_page(at, page)
                current = None
                if at.exception:  # reported with the results; the page is left out of the replay
                    rec.failed[page] = str(at.exception[0].value).splitlines()[0][:200]
                    del rec.queries[page]
                    continue
                rec.render_cold_s[page] = time.perf_counter() - started
                _check(at, g, page)
                if warm and not any(other.role == g.role for other in grants[:grants.index(g)]):
                    started = time.perf_counter()
                    open_page(at, page)
                    rec.render_warm_s[page] = time.perf_counter() - started
                    _check(at, g, page)
    finally:
        queries.cached = original
        if previous_access is None:
            os.environ.pop("BRW_ACCESS", None)
        else:
            os.environ["BRW_ACCESS"] = previous_access
    return recordings


def _check(at, g: Grant, page: str) -> None:
    if at.exception:
        raise RuntimeError(f"{g.label}: page /{page} raised while recording: {at.exception[0].value}")
    if not any("url_pathname" in info for info in at._registered_pages.values()):  # the gate drew its own page
        raise RuntimeError(f"{g.label}: the sign-in gate did not let the benchmark user in: "
                           f"{[t.value for t in at.title]} {[e.value for e in at.error]}")


# --------------------------------------------------------------------------- the sessions


@dataclass
class Sample:
    session: int
    grant: str
    page: str
    round: int
    kind: str
    seconds: float
    queries: int
    error: str | None = None
    during_run: bool = False  # started while the publishing `brw run` was running
    after_publish: bool = False  # started after the new copy was published
    began: float = 0.0  # seconds since the sessions started


@dataclass
class Outcome:
    samples: list[Sample]
    rounds: int
    wall_s: float
    cpu_s: float  # this process's CPU time over the concurrent phase (both cores: up to 2 × wall)
    publishes: int  # new read copies published (the copy's inode or mtime changed)
    swaps: int  # times the dashboard's query layer opened a Catalog on a new copy
    seen: dict[int, set[str]]  # benefit ids each session read, over all its frames
    outside: dict[int, set[str]]  # benefit ids a session read that its scope does not allow
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average at the start and the end
    think: float = 0.0
    published_at: list[float] = field(default_factory=list)  # seconds since the sessions started
    run_seconds: float | None = None
    run_output: str = ""
    run_returncode: int | None = None


class Publisher:
    """Whatever publishes new read copies during the run: a `brw run` subprocess (the benchmark)
    or a callable run in a thread (the test)."""

    def __init__(self, cmd: list[str] | None = None, env: dict | None = None, action: Callable[[], None] | None = None):
        self.cmd, self.env, self.action = cmd, env, action
        self.proc: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None
        self.started = self.finished = None
        self.output, self.returncode = "", None

    def start(self) -> None:
        self.started = time.monotonic()
        if self.cmd:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True, start_new_session=True)
            self.thread = threading.Thread(target=self._wait_process, daemon=True)
        else:
            self.thread = threading.Thread(target=self._run_action, daemon=True)
        self.thread.start()

    def _wait_process(self) -> None:
        self.output = self.proc.communicate()[0]
        self.returncode = self.proc.returncode
        self.finished = time.monotonic()

    def _run_action(self) -> None:
        try:
            self.action()
            self.returncode = 0
        except Exception as exc:  # reported, not raised in a daemon thread
            self.output, self.returncode = repr(exc), 1
        self.finished = time.monotonic()

    @property
    def running(self) -> bool:
        return self.started is not None and self.finished is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            from pipelines.processes import kill_process_group

            kill_process_group(self.proc, timeout=5)
        if self.thread is not None:
            self.thread.join(timeout=60)


def run_sessions(warehouse: Path, sessions: list[tuple[Grant, object]], recordings: dict[str, Recording],
                 *, min_rounds: int = 3, publisher: Publisher | None = None,
                 scopes: dict[int, set[str]] | None = None, think: float = 0.0,
                 max_seconds: float = 1800.0) -> Outcome:
    """Run the sessions at once, one thread each, round after round (a barrier between rounds), until
    `min_rounds` rounds are done and, with a publisher, it has finished and a round has started after
    its last publish. `think`: a session waits a random 0 to 2 × `think` seconds before its first
    page of a round and after each page (a user reading it); 0: every session starts each round in
    the same instant and asks for its next page at once. `scopes` (session -> allowed benefit ids): frames
    are checked against them."""
    from dashboards import access, queries

    os.environ["BRW_WAREHOUSE"] = str(warehouse)
    copy = read_copy_path(warehouse)
    queries.reset()
    queries.cached.clear()

    samples: list[Sample] = []
    seen: dict[int, set[str]] = defaultdict(set)
    outside: dict[int, set[str]] = defaultdict(set)
    lock = threading.Lock()
    stop_polling = threading.Event()
    publishes: list[float] = []
    swaps = [0]

    def poll() -> None:  # the copy's identity, and the query layer's current Catalog
        stat = copy.stat()
        last_file, last_catalog = (stat.st_ino, stat.st_mtime_ns), None
        while not stop_polling.wait(0.01):
            try:
                stat = copy.stat()
            except FileNotFoundError:
                continue
            if (stat.st_ino, stat.st_mtime_ns) != last_file:
                last_file = (stat.st_ino, stat.st_mtime_ns)
                publishes.append(time.monotonic())
            key = queries._current.get("key")
            if key is not None and key != last_catalog:
                if last_catalog is not None:
                    swaps[0] += 1
                last_catalog = key

    state = {"round": -1, "kind": KINDS[0], "stop": False, "round_started": 0.0}
    started = time.monotonic()

    def next_round() -> None:  # runs in one thread while all the others wait at the barrier
        r = state["round"] + 1
        publisher_done = publisher is None or (publisher.started is not None and not publisher.running)
        after_last_publish = not publishes or state["round_started"] > publishes[-1]
        if (r >= min_rounds and publisher_done and after_last_publish) or time.monotonic() - started > max_seconds:
            state["stop"] = True
            return
        state.update(round=r, kind=KINDS[r % len(KINDS)], round_started=time.monotonic())
        if state["kind"] == "cold":
            queries.cached.clear()
        if r == 0 and publisher is not None:
            publisher.start()

    barrier = threading.Barrier(len(sessions), action=next_round)

    def session(i: int, grant: Grant, who) -> None:
        rec = recordings[grant.label]
        pause = random.Random(i)
        allowed = scopes.get(i) if scopes is not None else None
        with access.acting_as(who):
            while True:
                barrier.wait()
                if state["stop"]:
                    return
                r, kind = state["round"], state["kind"]
                fetch = queries.read if kind == "uncached" else queries.query
                if think:  # people do not all open the first page in the same instant
                    time.sleep(pause.uniform(0, 2 * think))
                for page, page_queries in rec.queries.items():
                    if kind == "uncached":  # a page's repeated queries are cache hits even in the server
                        page_queries = list(dict.fromkeys(page_queries))
                    error, began = None, time.monotonic()
                    during = publisher is not None and publisher.running
                    after = bool(publishes)
                    t0 = time.perf_counter()
                    for sql, params in page_queries:
                        try:
                            frame = fetch(sql, params)
                        except Exception as exc:
                            error = f"{type(exc).__name__}: {exc}"[:300]
                            continue
                        if "benefit_id" in frame.columns:
                            ids = {str(v) for v in frame["benefit_id"].dropna().unique()}
                            with lock:
                                seen[i] |= ids
                                if allowed is not None:
                                    outside[i] |= ids - allowed
                    seconds = time.perf_counter() - t0
                    with lock:
                        samples.append(Sample(i, grant.label, page, r, kind, seconds, len(page_queries), error,
                                              during, after and began > publishes[0], began - started))
                    if think:
                        time.sleep(pause.uniform(0, 2 * think))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    threads = [threading.Thread(target=session, args=(i, g, p), name=f"session-{i}") for i, (g, p) in enumerate(sessions)]
    wall0, cpu0, load0 = time.monotonic(), time.process_time(), os.getloadavg()[0]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if publisher is not None:
            publisher.stop()
    finally:
        stop_polling.set()
        poller.join()
        if publisher is not None:
            publisher.stop()
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    outcome = Outcome(samples, state["round"] + 1, wall, cpu, len(publishes), swaps[0], dict(seen), dict(outside),
                      load=(load0, os.getloadavg()[0]), think=think, published_at=[t - started for t in publishes])
    if publisher is not None:
        outcome.run_returncode, outcome.run_output = publisher.returncode, publisher.output
        if publisher.finished is not None:
            outcome.run_seconds = publisher.finished - publisher.started
    return outcome


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value at rank ceil(q·n))."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered) - 1e-9) - 1)]


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": statistics.median(values) * 1000, "p95": percentile(values, 0.95) * 1000,
            "max": max(values) * 1000}


def summarise(outcome: Outcome) -> dict:
    ok = [s for s in outcome.samples if s.error is None]
    by_page: dict[str, dict] = {}
    for page in dict.fromkeys(s.page for s in outcome.samples):
        by_page[page] = {kind: stats([s.seconds for s in ok if s.page == page and s.kind == kind]) for kind in KINDS}
        by_page[page]["all"] = stats([s.seconds for s in ok if s.page == page])
        by_page[page]["served"] = stats([s.seconds for s in ok if s.page == page and s.kind != "uncached"])
    overall = {kind: stats([s.seconds for s in ok if s.kind == kind]) for kind in KINDS}
    overall["all"] = stats([s.seconds for s in ok])
    overall["served"] = stats([s.seconds for s in ok if s.kind != "uncached"])  # as the server serves: cached
    return {
        "pages": by_page, "overall": overall,
        "during_run": stats([s.seconds for s in ok if s.during_run]),
        "after_publish": stats([s.seconds for s in ok if s.after_publish]),
        "errors": [f"{s.grant} /{s.page}: {s.error}" for s in outcome.samples if s.error],
        "page_loads": len(outcome.samples), "rounds": outcome.rounds,
        "wall_s": outcome.wall_s, "cpu_s": outcome.cpu_s, "load": outcome.load, "think": outcome.think,
        "publishes": outcome.publishes, "swaps": outcome.swaps,
        "run_seconds": outcome.run_seconds, "run_returncode": outcome.run_returncode,
        "scope_violations": sum(len(v) for v in outcome.outside.values()),
        # every page load: page, kind, round, ms, began (s), scoped session; and when copies were published
        "samples": [(s.page, s.kind, s.round, round(s.seconds * 1000, 1), round(s.began, 2),
                     not s.grant.startswith(("board", "analyst"))) for s in outcome.samples],
        "published_at": [round(t, 2) for t in outcome.published_at],
    }


# --------------------------------------------------------------------------- one tier


def environment() -> dict:
    from benchmarks.bench import environment as bench_env

    return bench_env()


def prepare(tier: str, workdir: Path, log, rebuild: bool = False) -> tuple[Path, Path]:
    """(source, warehouse) for the tier: a private copy of the warehouse `benchmarks.bench` built
    (benchmarks/data/<tier>/full), building one first if there is none or `rebuild` (a warehouse
    built by older code lacks the columns today's pages read: they would fail while recording)."""
    from benchmarks import bench

    tier_dir = workdir / tier
    source = tier_dir / "source"
    built = tier_dir / "full" / "brw.duckdb"
    if rebuild:
        shutil.rmtree(built.parent, ignore_errors=True)
        if bench.TIERS[tier] is None:  # the demo tier's sources are a copy of seeds/: copy them again
            shutil.rmtree(source, ignore_errors=True)
    if not source.exists():
        log(f"[{tier}] preparing sources")
        bench.prepare_source(tier, tier_dir, bench.TierResult(tier))
    if not read_copy_path(built).exists():
        log(f"[{tier}] building the warehouse (brw run)")
        bench.brw_run(source, built)
    warehouse = tier_dir / "concurrency" / "brw.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    warehouse.parent.mkdir(parents=True)
    shutil.copy(built, warehouse)
    shutil.copy(read_copy_path(built), read_copy_path(warehouse))
    return source, warehouse


def run_tier(tier: str, n_sessions: int, min_rounds: int, workdir: Path, log, thinks: tuple[float, ...] = (0.0,),
             rebuild: bool = False) -> dict:
    from benchmarks import bench

    source, warehouse = prepare(tier, workdir, log, rebuild=rebuild)
    copy = read_copy_path(warehouse)
    os.environ["BRW_WAREHOUSE"] = str(warehouse)
    os.environ.setdefault("BRW_ACCESS_LOG", str(warehouse.parent / "access_log"))
    conn = duckdb.connect(str(copy), read_only=True)
    try:
        measurements = conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0]
        benefits = conn.execute("SELECT count(*) FROM marts.dim_benefit").fetchone()[0]
    finally:
        conn.close()

    grants = grant_mix(copy)[:n_sessions]
    log(f"[{tier}] recording the pages of {len(grants)} grants with AppTest")
    t0 = time.monotonic()
    recordings = record(grants, access_file(grants, warehouse.parent / "access.yml"))
    log(f"[{tier}] recorded in {time.monotonic() - t0:.0f} s")
    sessions = [(g, principal(g, i)) for i, g in ((i, grants[i % len(grants)]) for i in range(n_sessions))]
    scopes = {i: scope_benefit_ids(copy, p) for i, (_, p) in enumerate(sessions)}

    log(f"[{tier}] one session alone (baseline): an analyst, then a portfolio lead")
    alone = [run_sessions(warehouse, sessions[k:k + 1], recordings, min_rounds=len(KINDS)) for k in (1, 2)]
    alone[0].samples += alone[1].samples

    variants = []
    for think in thinks:
        if variants:  # the previous variant's run moved the warehouse on: start from the built one again
            source, warehouse = prepare(tier, workdir, log)
        drop = bench.daily_drop(source, warehouse)
        run = Publisher(bench.python("-m", "pipelines.cli", "run", "--source", str(source), "--warehouse",
                                     str(warehouse), "--as-of", bench.NEXT_DAY), env=environment())
        log(f"[{tier}] {n_sessions} sessions at once (pauses of 0-{2 * think:g} s) while brw run publishes")
        try:
            outcome = run_sessions(warehouse, sessions, recordings, min_rounds=min_rounds, publisher=run,
                                   scopes=scopes, think=think)
        finally:
            drop.unlink(missing_ok=True)
        if outcome.run_returncode != 0:
            raise RuntimeError(f"brw run during the benchmark failed:\n{outcome.run_output[-3000:]}")
        variants.append({**summarise(outcome), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    render = {page: {"cold": [r.render_cold_s[page] for r in recordings.values() if page in r.render_cold_s],
                     "warm": [r.render_warm_s[page] for r in recordings.values() if page in r.render_warm_s]}
              for page in dict.fromkeys(p for r in recordings.values() for p in r.render_cold_s)}
    return {
        "tier": tier, "measurements": measurements, "benefits": benefits, "sessions": n_sessions,
        "grants": [g.label for g in grants], "mix": _mix(sessions),
        "queries_per_page": {page: (max(len(r.queries.get(page, [])) for r in recordings.values()),
                                    max(len(set(r.queries.get(page, []))) for r in recordings.values()))
                             for page in render},
        "failed_pages": sorted({f"/{page}: {error}" for r in recordings.values() for page, error in r.failed.items()}),
        "render_ms": {page: {k: statistics.median(v) * 1000 for k, v in kinds.items() if v}
                      for page, kinds in render.items()},
        "alone": summarise(alone[0]), "variants": variants,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _mix(sessions) -> str:
    counts: dict[str, int] = defaultdict(int)
    for g, _ in sessions:
        counts[g.role] += 1
    distinct = defaultdict(set)
    for g, _ in sessions:
        distinct[g.role].add(g.label)
    return ", ".join(f"{counts[r]} {r.replace('_', ' ')}" + (f" ({len(distinct[r])} different scopes)"
                                                            if r in ("portfolio_lead", "benefit_owner") else "")
                     for r in ("board", "analyst", "portfolio_lead", "benefit_owner") if counts[r])


# --------------------------------------------------------------------------- report


def _ms(s: dict, key: str) -> str:
    return f"{s[key]:.0f}" if s.get("n") else "–"


def _triple(s: dict) -> str:
    return f"{_ms(s, 'p50')} / {_ms(s, 'p95')} / {_ms(s, 'max')}"


def _met(c: dict, key: str) -> bool:
    return (c["overall"][key].get("p95", float("inf")) <= TARGET_P95_MS and not c["errors"]
            and c["scope_violations"] == 0 and c["publishes"] >= 1)


def tier_report(r: dict) -> list[str]:
    a = r["alone"]
    lines = [f"### {r['tier']} tier: {r['measurements']:,} measurements, {r['benefits']:,} benefits", ""]
    lines += [f"Run {r['date']}; {r['sessions']} sessions: {r['mix']}."]
    if r.get("failed_pages"):
        lines[-1] += (" Pages that raised while recording, so not measured: "
                      + "; ".join(f"`{f}`" for f in r["failed_pages"]) + ".")
    for c in r["variants"]:
        pause = ("no pause: every round starts in the same instant, each next page at once" if not c["think"] else
                 f"a pause of 0–{2 * c['think']:g} s before the first page of a round and after each page")
        lines += [
            "",
            f"**{r['sessions']} sessions, {pause}** ({c.get('date', r['date'])}): {c['rounds']} rounds "
            f"({', '.join(KINDS)} in turn), {c['page_loads']:,} page loads in "
            f"{c['wall_s']:.1f} s; the `brw run` took {c['run_seconds']:.1f} s (exit {c['run_returncode']}); "
            f"the sessions' process used {c['cpu_s'] / c['wall_s']:.2f} cores; load average {c['load'][0]:.1f} → "
            f"{c['load'][1]:.1f} (runnable threads: the sessions, the run and the other work on this shared "
            f"machine). New read copies published during the run: "
            f"{c['publishes']}; Catalog swaps: {c['swaps']}. Errors: **{len(c['errors'])}**. Benefit ids outside "
            f"a session's scope: **{c['scope_violations']}**.",
            "",
            "| page | queries (distinct) | uncached p50 / p95 / max | cold p50 / p95 / max | warm p50 / p95 / max "
            "| cold + warm p95 | all p95 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for page, s in c["pages"].items():
            total, distinct = r["queries_per_page"].get(page, (0, 0))
            lines.append(f"| {page} | {total} ({distinct}) | " + " | ".join(_triple(s[k]) for k in KINDS)
                         + f" | {_ms(_merge_p95(c, page), 'p95')} | {_ms(s['all'], 'p95')} |")
        o = c["overall"]
        lines.append("| **every page** | | " + " | ".join(_triple(o[k]) for k in KINDS)
                     + f" | **{_ms(o['served'], 'p95')}** | **{_ms(o['all'], 'p95')}** |")
        lines += [
            "",
            f"While the `brw run` was running: p50 {_ms(c['during_run'], 'p50')} ms, p95 "
            f"{_ms(c['during_run'], 'p95')} ms ({c['during_run'].get('n', 0)} page loads); after the publish: p95 "
            f"{_ms(c['after_publish'], 'p95')} ms ({c['after_publish'].get('n', 0)} page loads). Target p95 ≤ "
            f"{TARGET_P95_MS:.0f} ms with no errors while a run publishes: as the server serves pages (cold and "
            f"warm rounds) {'met' if _met(c, 'served') else '**missed**'}; counting the uncached rounds too "
            f"{'met' if _met(c, 'all') else '**missed**'}.",
        ]
        if c["errors"]:
            lines += ["", "Errors (first 10):", ""] + [f"- {e}" for e in c["errors"][:10]]
    lines += [
        "",
        "One session alone (an analyst, then a portfolio lead; no run publishing), and the AppTest render of the "
        "whole page (data and drawing) for one session, ms:",
        "",
        "| page | alone p50 uncached / cold / warm | AppTest render cold / warm |",
        "|---|---:|---:|",
    ]
    for page, render in r["render_ms"].items():
        s = a["pages"].get(page)
        alone = " / ".join(_ms(s[k], "p50") for k in KINDS) if s else "–"
        drawn = " / ".join(f"{render[k]:.0f}" if k in render else "–" for k in ("cold", "warm"))
        lines.append(f"| {page} | {alone} | {drawn} |")
    return lines


def _merge_p95(c: dict, page: str) -> dict:
    return c["pages"][page].get("served", {"n": 0})


def kept_section(text: str) -> str:
    """The "Many users at once" section of a results.md text ("" if none): benchmarks.bench keeps
    it when it rewrites the file."""
    _, found, rest = text.partition(SECTION)
    if not found:
        return ""
    nxt = re.search(r"^## ", rest, flags=re.MULTILINE)
    return SECTION + (rest[:nxt.start()] if nxt else rest).rstrip("\n") + "\n"


def write_section(results: list[dict], out: Path) -> str:
    """Replace this tier's subsection of "Many users at once" in `out` (other tiers' stay)."""
    from benchmarks.bench import machine

    text = out.read_text() if out.exists() else ""
    head, _, rest = text.partition(SECTION)
    body, tail = rest, ""
    nxt = re.search(r"^## ", rest, flags=re.MULTILINE)
    if nxt:
        body, tail = rest[:nxt.start()], rest[nxt.start():]
    subsections = {m.group(1): m.group(0) for m in re.finditer(r"^### (\S+) tier.*?(?=^### |\Z)", body,
                                                                  flags=re.MULTILINE | re.DOTALL)}
    for r in results:
        subsections[r["tier"]] = "\n".join(tier_report(r)) + "\n\n"
    order = ["demo", "1m", "10m", "tiny"]
    ordered = sorted(subsections.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    section = [
        SECTION, "",
        f"Machine: {machine()}.",
        "Written by `python -m benchmarks.concurrency` (`make bench-concurrency`, part of `make bench`): N dashboard "
        "sessions at once, one thread each in one process as the Streamlit server runs them, each with its own "
        "principal, loading every page its role allows round after round while a `brw run` (the next day's drop) "
        "publishes a new read copy. How it works and what limits the p95: benchmarks/README.md, \"Many users at "
        "once\".",
        "",
    ]
    new = head.rstrip("\n") + ("\n\n" if head.strip() else "") + "\n".join(section) + "\n" + \
        "".join(s for _, s in ordered).rstrip("\n") + "\n" + (("\n" + tail) if tail else "")
    out.write_text(new)
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="demo,1m,10m")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=len(KINDS) * 2, help="at least this many rounds")
    parser.add_argument("--think", default="0,2", help="comma separated: mean pause after each page, seconds "
                        "(0: the next page at once); one run of the sessions (and one `brw run`) each")
    parser.add_argument("--workdir", default=str(REPO / "benchmarks" / "data"))
    parser.add_argument("--rebuild", action="store_true",
                        help="build each tier's warehouse again first (after the models or the pages changed)")
    parser.add_argument("--report-only", action="store_true",
                        help="only rewrite the section from each tier's last concurrency.json")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results.md"))
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    sys.path.insert(0, str(REPO))
    if args.report_only:
        write_section([json.loads((Path(args.workdir) / t / "concurrency.json").read_text())
                       for t in args.tiers.split(",")], Path(args.out))
        return 0
    results = []
    for tier in args.tiers.split(","):
        result = run_tier(tier, args.sessions, args.rounds, Path(args.workdir), log,
                          thinks=tuple(float(t) for t in args.think.split(",")), rebuild=args.rebuild)
        saved = Path(args.workdir) / tier / "concurrency.json"
        if saved.exists():  # the load models not run this time stay as they were measured
            previous = json.loads(saved.read_text())
            ran = {c["think"] for c in result["variants"]}
            kept = [{"date": previous.get("date"), **c} for c in previous.get("variants", []) if c["think"] not in ran]
            result["variants"] = sorted(kept + result["variants"], key=lambda c: c["think"])
        saved.write_text(json.dumps(result, indent=1, default=str))
        results.append(result)
        write_section([result], Path(args.out))
        log(f"[{tier}] done: " + "\n".join(tier_report(result)))
    return 0 if all(not c["errors"] and c["scope_violations"] == 0 for r in results for c in r["variants"]) else 1


if __name__ == "__main__":
    sys.exit(main())
