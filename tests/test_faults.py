"""Faults (issue 11, items 10 and 11): nothing outlives `brw`, and every failure says why in one line.

- dbt dies with `brw run`, even on `kill -9` (pipelines.processes: PR_SET_PDEATHSIG through the
  pipelines/dbt_child wrapper); SIGTERM stops a run like Ctrl-C, with one line and exit 130;
- a publish killed half-way leaves a temp file that the next publish removes;
- `brw dashboard` is the Streamlit server itself (exec), so SIGTERM stops it promptly and nothing
  keeps listening;
- a held lock, a folder that cannot be written, a full disk: one last line naming the step, the
  cause and what to do, never a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import failures
from pipelines.processes import DBT_CHILD, kill_process_group
from pipelines.read_copy import publish_read_copy, read_copy_path, remove_stale_temp_files
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF, fetch_all, free_port, start_dashboard

LINUX = sys.platform.startswith("linux") and Path("/proc/self/stat").exists()


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("DAGSTER_HOME", None)
    return env


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie neither runs nor writes; only its parent can reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone_within(pid: int, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not _running(pid):
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _descendants(pid: int) -> list[tuple[int, str]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            found.append((child, cmdline))
            todo.append(child)
    return found


def _processes_with(needle: bytes) -> list[int]:
    """Running processes whose command line contains `needle` (arguments joined by NUL)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "cmdline").read_bytes() and _running(int(proc.name)):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _dbt_processes_of(warehouse: Path) -> list[int]:
    """Running dbt processes (any parent) whose BRW_WAREHOUSE is this warehouse."""
    mine = f"BRW_WAREHOUSE={warehouse}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if b"dbt" in (proc / "cmdline").read_bytes() and mine in (proc / "environ").read_bytes().split(b"\0"):
                if _running(int(proc.name)):
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------- the one line


def _step_error(root: BaseException):
    """What Dagster records for a step that raised `root`: its wrapper around the real error."""
    from dagster._core.errors import DagsterExecutionStepExecutionError
    from dagster._utils.error import serializable_error_info_from_exc_info

    try:
        try:
            raise root
        except BaseException as exc:
            raise DagsterExecutionStepExecutionError(
                'Error occurred while executing op "raw__projects":', user_exception=exc, step_key="raw__projects",
                op_name="raw__projects", op_def_name="raw__projects", original_exc_info=sys.exc_info(),
            ) from exc
    except DagsterExecutionStepExecutionError:
        return serializable_error_info_from_exc_info(sys.exc_info())


def test_a_held_lock_names_the_process_and_what_to_do(tmp_path):
    error = _step_error(duckdb.IOException(
        f'IO Error: Could not set lock on file "{tmp_path}/brw.duckdb": Conflicting lock is held in '
        f"/usr/bin/python3 (PID {os.getpid()}). See also https://duckdb.org/docs/stable/connect/concurrency"
    ))
    failure = failures.describe(error, "raw/projects", tmp_path / "brw.duckdb")
    line = failure.line()
    assert failure.kind == "lock"
    assert line.startswith("brw run FAILED at raw/projects: the warehouse file")
    assert f"PID {os.getpid()} (" in line  # and its command line, from /proc
    assert "What to do: close that process" in line and "\n" not in line
    assert "Error occurred while executing op" not in line


@pytest.mark.parametrize(
    "error, kind, expected",
    [
        (OSError(errno.ENOSPC, "No space left on device", "/tmp/x/brw.read.duckdb"), "disk_full", "free space on the disk of"),
        (duckdb.IOException('IO Error: Could not write file "/tmp/brw.duckdb.wal": No space left on device'), "disk_full",
         "`df -h /tmp`"),
        (OSError(errno.EROFS, "Read-only file system", "/tmp/ro/logs"), "not_writable", "choose a writable --warehouse"),
        (PermissionError(errno.EACCES, "Permission denied", "/tmp/ro"), "not_writable", "choose a writable --warehouse"),
        (OverflowError("Python int too large to convert to C long"), "overflow", "see the full error in"),
        (ValueError("something else"), "other", "see the full error in"),
    ],
)
def test_every_cause_has_its_hint(error, kind, expected):
    failure = failures.describe(_step_error(error), "raw/projects", Path("/tmp/w/brw.duckdb"), Path("/tmp/w/logs/run.log"))
    assert failure.kind == kind, failure
    line = failure.line()
    assert expected in line and "What to do:" in line and "\n" not in line
    assert "Error occurred while executing op" not in line
    assert str(error).split(":")[0][:20] in line  # the root cause itself is shown


def test_a_dbt_failure_shows_dbts_own_error():
    from dagster_dbt.errors import DagsterDbtCliRuntimeError

    description = (
        "The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `1`. Check the stdout in the "
        "Dagster compute logs for the full information about the error.\n\nErrors parsed from dbt logs:\n\n"
        "Failure in test not_null_dim_project_project_id (models/marts/_marts.yml)\n\n  Got 1 result, configured to fail if != 0"
    )
    error = _step_error(DagsterDbtCliRuntimeError(description=description))
    failure = failures.describe(error, "dbt build (brw_dbt)", Path("/w/brw.duckdb"), Path("/w/logs/run.log"), description)
    assert failure.kind == "dbt"
    assert failure.cause.startswith("dbt: Failure in test not_null_dim_project_project_id")
    assert failure.line().endswith("What to do: see dbt's messages in /w/logs/run.log")


def test_the_outer_exception_explains_an_implicit_context():
    """mkdir(parents=True) on a read-only mount raises EROFS while handling FileNotFoundError."""
    try:
        try:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/ro/wh/logs")
        except FileNotFoundError:
            raise OSError(errno.EROFS, "Read-only file system", "/ro/wh")
    except OSError as exc:
        failure = failures.describe(exc, "start", Path("/ro/wh/brw.duckdb"))
    assert failure.kind == "not_writable" and "Read-only file system" in failure.cause


def test_a_dagster_run_failure_ends_in_one_line_with_the_root_cause(tmp_path):
    """The event walk of `brw run` on a real (tiny) Dagster run whose step hits a full disk."""
    from dagster import asset, materialize

    @asset
    def raw_projects():
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "brw.duckdb.wal"))

    result = materialize([raw_projects], raise_on_error=False)
    failure, details = failures.from_run(result, tmp_path / "brw.duckdb", tmp_path / "run.log")
    assert failure.kind == "disk_full"
    assert failure.line().startswith(f"brw run FAILED at raw_projects: no space left on the disk of {tmp_path}")
    assert details and "in raw_projects" in details[0]  # the full error, with its stack, goes to the log
    step_error = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error
    # the progress line shows the same root cause, not "Error occurred while executing op"
    assert failures.root_cause(failures.chain_of(step_error)).startswith("OSError: [Errno 28] No space left on device")


@pytest.mark.slow
def test_out_of_space_while_publishing_ends_in_one_line(portfolio_warehouse, tmp_path, monkeypatch, capsys):
    """A warehouse that is up to date but lacks its read copy: `brw run` publishes it, and the
    disk is full (simulated: OSError ENOSPC from the copy)."""
    from pipelines import read_copy as publish
    from pipelines.defs.publish import assets as publish_asset
    from pipelines.cli import main

    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    source = portfolio_warehouse.parent / "source"

    def full_disk(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(read_copy_path(path)))

    monkeypatch.setattr(publish, "publish_read_copy", full_disk)
    # and in the publish asset, for when the dbt project or the ingestion code changed since the
    # session's build (the plan then rebuilds everything and the asset publishes)
    monkeypatch.setattr(publish_asset, "publish_read_copy", full_disk)
    code = main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF])
    err = capsys.readouterr().err
    assert code == 1
    line = _last_line(err)
    assert line.startswith("brw run FAILED at publish"), err
    assert f"no space left on the disk of {tmp_path}" in line and "What to do: free space" in line
    assert "Traceback" not in err


# --------------------------------------------------------------------------- publish temp files


def test_the_next_publish_removes_temp_files_of_dead_publishes(tmp_path):
    warehouse = tmp_path / "brw.duckdb"
    duckdb.connect(str(warehouse)).close()
    target = read_copy_path(warehouse)
    dead = tmp_path / f".{target.name}.{_dead_pid()}.k1ll3d.tmp"
    running = tmp_path / f".{target.name}.{os.getpid()}.runn1n.tmp"  # a publish still copying
    old = tmp_path / f".{target.name}.a1b2c3d4"  # the earlier unnumbered name, a day old
    for path in (dead, running, old):
        path.write_bytes(b"partial copy")
    os.utime(old, (time.time() - 86400, time.time() - 86400))

    assert publish_read_copy(warehouse) == target
    assert not dead.exists() and not old.exists()
    assert running.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["brw.duckdb", target.name, running.name])
    assert remove_stale_temp_files(target, now=time.time() + 7 * 3600) == [running]  # too old, whoever owns it


def test_publish_checkpoints_a_leftover_write_ahead_log(tmp_path):
    """A writer that closed without its checkpoint (DuckDB skips it when the disk is full)
    leaves a WAL: publish folds it in, or says why it cannot."""
    warehouse = tmp_path / "brw.duckdb"
    script = (
        "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute('SET checkpoint_threshold = \"1GB\"');"
        "c.execute('CREATE TABLE t AS SELECT range AS i FROM range(10)'); os._exit(0)"  # no checkpoint on close
    )
    subprocess.run([sys.executable, "-c", script, str(warehouse)], check=True)
    assert Path(f"{warehouse}.wal").stat().st_size > 0
    target = publish_read_copy(warehouse)
    assert fetch_all(target, "SELECT count(*) FROM t") == [(10,)]


# --------------------------------------------------------------------------- children die with brw


# Starts a command with the signal state a shell gives it (SIGTERM at its default, nothing blocked):
# what these tests check is the kernel and the wrapper, not whatever the pytest process inherited.
CLEAN_SIGNALS = [sys.executable, "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []);"
                 "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"]

WATCHDOG = (  # the wrapper as it runs where PR_SET_PDEATHSIG does not exist (macOS)
    "import sys; sys.platform = 'darwin'; from pipelines.processes import main; sys.exit(main(['dbt', *sys.argv[1:]]))"
)


@pytest.mark.skipif(not LINUX, reason="watches the processes in /proc")
@pytest.mark.parametrize("how", ["pdeathsig", "watchdog"])
def test_the_dbt_wrapper_dies_with_its_parent(how):
    """pipelines/dbt_child as dagster-dbt runs it (BRW_DBT_EXECUTABLE=sleep stands in for dbt):
    `kill -9` of the parent and "dbt" is gone at once (Linux), or within the watchdog's poll."""
    parent_code = (
        "import os, subprocess, sys, time;"
        "env = {**os.environ, 'BRW_DBT_PARENT_PID': str(os.getpid())};"
        "p = subprocess.Popen([*sys.argv[1:], '600'], env=env); print(p.pid, flush=True); time.sleep(600)"
    )
    wrapper = [str(DBT_CHILD)] if how == "pdeathsig" else [sys.executable, "-c", WATCHDOG]
    env = {**os.environ, "BRW_DBT_PYTHON": sys.executable, "BRW_DBT_EXECUTABLE": shutil.which("sleep")}
    parent = subprocess.Popen(
        [*CLEAN_SIGNALS, sys.executable, "-c", parent_code, *wrapper], stdout=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )
    try:
        child = int(parent.stdout.readline())
        deadline, sleeping = time.monotonic() + 20, []
        while not sleeping and time.monotonic() < deadline:  # until "dbt" runs
            sleeping = [pid for pid, cmd in [(child, _cmdline(child)), *_descendants(child)] if os.path.basename(cmd.split(" ")[0]) == "sleep"]
            time.sleep(0.02)
        assert sleeping, "the wrapper did not start dbt"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for pid in {child, *sleeping}:
            assert _gone_within(pid, 1.0 if how == "pdeathsig" else 3.0) is not None, f"{pid} outlived its parent"
    finally:
        kill_process_group(parent, timeout=1)


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux")
def test_the_dbt_wrapper_notices_a_parent_that_died_before_it_started(tmp_path):
    """The parent may die between fork and the prctl: the wrapper checks and stops at once."""
    env = {**os.environ, "BRW_DBT_PYTHON": sys.executable, "BRW_DBT_EXECUTABLE": shutil.which("sleep"),
           "BRW_DBT_PARENT_PID": str(_dead_pid())}
    started = time.monotonic()
    proc = subprocess.run([*CLEAN_SIGNALS, str(DBT_CHILD), "600"], env=env, timeout=30)
    assert proc.returncode == -signal.SIGTERM and time.monotonic() - started < 10


def test_the_dbt_wrapper_passes_arguments_and_exit_code():
    env = {**os.environ, "BRW_DBT_PYTHON": sys.executable, "BRW_DBT_EXECUTABLE": "/bin/sh",
           "BRW_DBT_PARENT_PID": str(os.getpid())}
    proc = subprocess.run([str(DBT_CHILD), "-c", 'echo "$1 $2"; exit 3', "sh", "build", "--select x"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout) == (3, "build --select x\n")


@pytest.fixture(scope="module")
def killed_runs(tmp_path_factory):
    """A `brw run` killed with SIGKILL while dbt runs, then one stopped with SIGTERM while dbt
    runs: what each left behind, for the tests below."""
    if not LINUX:
        pytest.skip("watches the process tree in /proc")
    base = tmp_path_factory.mktemp("killed")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    warehouse = base / "brw.duckdb"
    outcomes = {}
    for name, sig in (("sigkill", signal.SIGKILL), ("sigterm", signal.SIGTERM)):
        out, err = base / f"{name}.out", base / f"{name}.err"
        with open(out, "w") as stdout, open(err, "w") as stderr:
            run = subprocess.Popen(
                [sys.executable, "-m", "pipelines.cli", "run", "--source", str(source), "--warehouse", str(warehouse),
                 "--as-of", PORTFOLIO_AS_OF, "--all"],
                stdout=stdout, stderr=stderr, env=_env(), start_new_session=True,
            )
        try:
            dbt, deadline = None, time.monotonic() + 240
            while dbt is None and run.poll() is None and time.monotonic() < deadline:
                found = [pid for pid, cmd in _descendants(run.pid)  # dbt itself, once the wrapper exec'd it
                         if "dbt build" in cmd and "dbt_child" not in cmd and "pipelines.processes" not in cmd]
                dbt = found[0] if found else None
                time.sleep(0.05)
            assert dbt is not None, f"no dbt child appeared: {out.read_text()[-3000:]}"
            time.sleep(1.5)  # dbt is at work on the warehouse
            signalled = time.monotonic()
            os.kill(run.pid, sig)
            gone = _gone_within(dbt, 30)
            returncode = run.wait(timeout=60)
            outcomes[name] = {
                "dbt_gone_after": gone, "returncode": returncode, "exited_after": time.monotonic() - signalled,
                "stderr": err.read_text(), "left": _dbt_processes_of(warehouse),
            }
        finally:
            kill_process_group(run, timeout=1)
    return warehouse, source, outcomes


@pytest.mark.slow
def test_kill_9_of_brw_run_stops_its_dbt_child(killed_runs):
    _, _, outcomes = killed_runs
    killed = outcomes["sigkill"]
    assert killed["returncode"] == -signal.SIGKILL
    assert killed["dbt_gone_after"] is not None and killed["dbt_gone_after"] < 1.0, killed
    assert killed["left"] == []


@pytest.mark.slow
def test_sigterm_stops_brw_run_and_dbt_with_one_line(killed_runs):
    _, _, outcomes = killed_runs
    stopped = outcomes["sigterm"]
    assert stopped["returncode"] == 130, stopped["stderr"]
    assert stopped["dbt_gone_after"] is not None and stopped["dbt_gone_after"] < 10, stopped
    line = _last_line(stopped["stderr"])
    assert line.startswith("brw run FAILED at dbt build") and "interrupted" in line and "What to do:" in line, line
    assert "Traceback" not in stopped["stderr"]
    assert stopped["left"] == []


@pytest.mark.slow
def test_the_next_run_after_kills_builds_the_same_marts_and_removes_stale_temp_files(
    killed_runs, portfolio_warehouse, capsys
):
    from pipelines.cli import main

    warehouse, source, _ = killed_runs
    target = read_copy_path(warehouse)
    stale = warehouse.with_name(f".{target.name}.{_dead_pid()}.k1ll3d.tmp")  # a publish killed half-way
    stale.write_bytes(b"partial copy")
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF]) == 0
    capsys.readouterr()
    assert not stale.exists()
    assert [p.name for p in warehouse.parent.glob(f".{target.name}.*")] == []
    sql = "SELECT * FROM marts.fct_benefit_status ORDER BY ALL"
    # the clean build's write file: its read copy may be held open in this process by the
    # dashboard tests' connection (another configuration)
    assert fetch_all(target, sql) == fetch_all(portfolio_warehouse, sql)


# --------------------------------------------------------------------------- failures before the job


@pytest.mark.slow
def test_a_warehouse_locked_by_another_process_fails_in_one_line(portfolio_warehouse, tmp_path):
    warehouse = tmp_path / "brw.duckdb"
    shutil.copy(portfolio_warehouse, warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(120)",
         str(warehouse)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        run = _brw_run(portfolio_warehouse.parent / "source", warehouse)
    finally:
        kill_process_group(holder, timeout=1)
    assert run.returncode == 1, run.stdout + run.stderr
    line = _last_line(run.stderr)
    assert line.startswith("brw run FAILED at plan"), run.stderr
    assert f"locked by PID {holder.pid}" in line and "What to do: close that process" in line
    assert "Traceback" not in run.stderr


def _brw_run(source: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """`brw run` of the portfolio as a separate process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--source", str(source),
         "--warehouse", str(warehouse), "--as-of", PORTFOLIO_AS_OF],
        capture_output=True, text=True, env=_env(), timeout=300,
    )


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in. Root ignores permission bits, so as root: a
    sysfs folder (writes refused to everyone); otherwise a chmod 0o555 folder."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    folder = Path("/sys/kernel")
    try:
        (folder / "brw-probe").mkdir()
    except OSError:
        return folder
    (folder / "brw-probe").rmdir()
    pytest.skip("no folder here refuses root's writes")


@pytest.mark.slow
def test_a_warehouse_in_a_folder_that_cannot_be_written_fails_in_one_line(tmp_path):
    folder = _unwritable_folder(tmp_path)
    try:
        run = _brw_run(PORTFOLIO, folder / "brw.duckdb")
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o755)
    assert run.returncode == 1, run.stdout + run.stderr
    line = _last_line(run.stderr)
    assert line.startswith("brw run FAILED at start"), run.stderr
    assert f"cannot write to {folder}" in line and "What to do: choose a writable --warehouse" in line
    assert "Traceback" not in run.stderr


# --------------------------------------------------------------------------- the dashboard


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_sigterm_stops_brw_dashboard_and_its_server_promptly(portfolio_warehouse):
    port = free_port()
    proc = start_dashboard(portfolio_warehouse, port, _env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        signalled = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)  # the brw process itself, as a service manager would
        proc.wait(timeout=5)
        while _port_busy(port) and time.monotonic() - signalled < 5:
            time.sleep(0.05)
        took = time.monotonic() - signalled
        assert not _port_busy(port), "a server still listens after brw dashboard ended"
        assert took < 3, f"the dashboard took {took:.1f} s to stop"
        if LINUX:
            assert _processes_with(f"--server.port\0{port}\0".encode()) == []
    finally:
        kill_process_group(proc, timeout=1)
