"""The worker process one capped query runs in, watched and killed at its memory or time limit.

Why a worker process: DuckDB's memory_limit covers its buffer manager (joins, aggregates, sorts
spill to disk within it) but not the vectors a query is computing: DuckDB works in vectors of
2,048 rows, and a 2,048-row vector of 1 MB strings is 2 GB whatever the limit (measured with
DuckDB 1.5). Only the operating system can hold such a query to a cap; killing a separate process
is clean. So with a memory cap the query runs in a short-lived worker (`run_in_worker`) whose
resident memory is watched and which is killed at the cap or just after the time limit: one query
can neither hold the dashboard's process nor take the machine's memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from pipelines.console.connection import arrow_to_frame, fetch_bounded, open_read_only
from pipelines.console.errors import QueryFailed, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError
from pipelines.console.limits import DUCKDB_MEMORY_SHARE, Limits, QueryResult, human_size

KILL_GRACE_S = 1.0  # the worker interrupts itself at the time limit; killed if still alive after this
POLL_S = 0.02  # how often the worker's memory is looked at


def resident_bytes(pid: int, field: str = "VmRSS") -> int | None:
    """Resident memory of `pid` in bytes (Linux /proc), None where unknown. `VmHWM`: its peak
    since it started its program (getrusage's ru_maxrss would include the peak of the process
    it was forked from)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_main(workdir: str) -> int:
    """The worker process: run one request (request.json) and leave header.json and result.arrow."""
    import resource  # POSIX only, like the worker

    work = Path(workdir)
    request = json.loads((work / "request.json").read_text(encoding="utf-8"))
    with contextlib.suppress(Exception):  # die with the dashboard / `brw sql` (issue 11, item 10)
        from pipelines.processes import die_with_parent

        die_with_parent(request.get("parent_pid"), 9)
    limits = Limits(**request["limits"])
    if request.get("rlimit_as"):  # no /proc to watch: let allocations fail beyond the cap instead
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (request["rlimit_as"], request["rlimit_as"]))
    header: dict = {}
    try:
        deadline = None
        if request.get("deadline_wall"):
            deadline = time.monotonic() + (request["deadline_wall"] - time.time())
        conn = open_read_only(request["warehouse"], limits, request.get("duckdb_memory"), work / "spill")
        try:
            table, cut = fetch_bounded(conn, request["sql"], limits, deadline)
        finally:
            conn.close()
        import pyarrow as pa

        with pa.OSFile(str(work / "result.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        header = {"status": "ok", "truncated_by": cut, "nbytes": table.nbytes}
    except ReadOnlySqlError as exc:
        header = {"status": "refused", "message": str(exc)}
    except QueryTimeout as exc:
        header = {"status": "timeout", "message": str(exc)}
    except QueryMemoryLimit as exc:
        header = {"status": "memory", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises QueryFailed
        header = {"status": "error", "message": str(exc).strip() or type(exc).__name__}
    header["peak_rss"] = resident_bytes(os.getpid(), "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    (work / "header.tmp").write_text(json.dumps(header), encoding="utf-8")
    os.replace(work / "header.tmp", work / "header.json")
    return 0


_WORKER_CODE = "import sys; from pipelines.console.worker import worker_main; sys.exit(worker_main(sys.argv[1]))"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def run_in_worker(path: Path, sql: str, limits: Limits) -> QueryResult:
    """Run the query in a fresh process capped at limits.memory_limit of resident memory and
    killed just after limits.timeout_s (the worker interrupts itself at the limit)."""
    import pyarrow as pa

    started = time.monotonic()
    cap = limits.memory_limit
    watch = cap is not None and resident_bytes(os.getpid()) is not None
    deadline_wall = time.time() + limits.timeout_s if limits.timeout_s else None
    work = Path(tempfile.mkdtemp(prefix="brw-sql-"))
    proc = None
    try:
        request = {
            "warehouse": str(path.resolve()), "sql": sql, "limits": asdict(limits),
            "deadline_wall": deadline_wall, "parent_pid": os.getpid(),
            "duckdb_memory": max(64 * 1000**2, int(cap * DUCKDB_MEMORY_SHARE)) if cap else None,
            "rlimit_as": (cap + 1000**3) if cap and not watch else None,
        }
        (work / "request.json").write_text(json.dumps(request), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
        with open(work / "worker.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(work)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            )
        stopped, peak = None, 0
        while True:
            try:
                proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                pass
            if watch:
                rss = resident_bytes(proc.pid) or 0
                peak = max(peak, rss)
                if rss > cap:
                    stopped = "memory"
            if deadline_wall is not None and time.time() > deadline_wall + KILL_GRACE_S:
                stopped = "timeout"
            if stopped:
                proc.kill()
                proc.wait()
                break
        elapsed = time.monotonic() - started
        if stopped == "memory":
            raise QueryMemoryLimit(
                f"query stopped: it needed more than the {human_size(cap)} memory limit "
                f"(after {elapsed:.1f} s)"
            )
        if stopped == "timeout":
            raise QueryTimeout(f"query stopped at the {limits.timeout_s:g} s time limit")
        header_path = work / "header.json"
        if not header_path.exists():
            log_text = (work / "worker.log").read_text(encoding="utf-8", errors="replace").strip()
            last = log_text.splitlines()[-1] if log_text else f"exit code {proc.returncode}"
            raise QueryFailed(f"the query process ended without a result: {last}")
        header = json.loads(header_path.read_text(encoding="utf-8"))
        status, message = header.get("status"), header.get("message", "")
        if status == "refused":
            raise ReadOnlySqlError(message)
        if status == "timeout":
            raise QueryTimeout(message)
        if status == "memory":
            raise QueryMemoryLimit(
                f"query stopped: it needed more than the {human_size(cap)} memory limit" if cap else message
            )
        if status != "ok":
            raise QueryFailed(message)
        with pa.memory_map(str(work / "result.arrow")) as source:
            table = pa.ipc.open_stream(source).read_all()
        frame = arrow_to_frame(table)
        cut = header.get("truncated_by")
        return QueryResult(
            frame, cut is not None, cut, int(header.get("nbytes") or 0), time.monotonic() - started,
            max(peak, int(header.get("peak_rss") or 0)) or None, limits,
        )
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
