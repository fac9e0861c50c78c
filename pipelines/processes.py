"""Child processes never outlive `brw` (issue 11, item 10).

`kill -9` of `brw run` cannot be caught, so its dbt child has to notice by itself. On Linux the
kernel sends the child SIGTERM the moment its parent dies (prctl PR_SET_PDEATHSIG, kept across
exec); elsewhere the wrapper stays between them and polls the parent.

dagster-dbt starts dbt with subprocess.Popen and offers no hook for that, so the dbt resource's
`dbt_executable` is a launcher (`dbt_launcher`: two lines of sh, written once per interpreter)
that runs `pipelines/dbt_child` with the interpreter and the dbt of `brw` (BRW_DBT_PYTHON,
BRW_DBT_EXECUTABLE). dbt_child runs `python -m pipelines.processes dbt ARGS`, which asks for the
signal, checks that the parent is still the process that started it (it may have died before the
request), then execs the real dbt in the same process. It answers `dbt --version` itself (`run_dbt`).

A run's own variables (the warehouse, the as-of date, the parent's pid) reach dbt as leading
`--brw-env NAME=VALUE` arguments (`wrapper_args`): dagster-dbt copies this process's environment
for dbt and takes no other, and a run must not change this process's environment. The wrapper
strips them and sets them in dbt's environment only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

DBT_CHILD = Path(__file__).resolve().with_name("dbt_child")  # the sh wrapper dagster-dbt runs
PYTHON_ENV = "BRW_DBT_PYTHON"
PARENT_ENV = "BRW_DBT_PARENT_PID"
EXECUTABLE_ENV = "BRW_DBT_EXECUTABLE"
ENV_ARG = "--brw-env"  # NAME=VALUE: a variable of dbt's environment, set by the wrapper
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dbt_launcher(real_dbt: str, folder: Path) -> str:
    """What the dbt resource runs: a launcher in `folder` that starts pipelines/dbt_child with this
    interpreter and `real_dbt` (written once; its name is its content's hash).

    dagster-dbt asks `<executable> --version` with no other argument and this process's
    environment, so the executable itself has to say which Python and which dbt to use.
    """
    text = (
        "#!/bin/sh\n# Written by pipelines.processes.dbt_launcher: pipelines/dbt_child with the Python and dbt of brw.\n"
        f"export {PYTHON_ENV}={shlex.quote(sys.executable)} {EXECUTABLE_ENV}={shlex.quote(real_dbt)}\n"
        f'exec {shlex.quote(str(DBT_CHILD))} "$@"\n'
    )
    path = Path(folder) / f".brw-dbt-launcher-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    if not os.access(path, os.X_OK):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return str(path)


def wrapper_args(env: Mapping[str, str]) -> list[str]:
    """Leading arguments that hand `env` to the wrapper, which sets it in dbt's environment only."""
    return [arg for name, value in env.items() for arg in (ENV_ARG, f"{name}={value}")]


def split_wrapper_args(args: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(the variables of the leading `--brw-env NAME=VALUE` pairs, the rest: dbt's own arguments)."""
    env, rest = {}, list(args)
    while len(rest) >= 2 and rest[0] == ENV_ARG and "=" in rest[1]:
        name, value = rest[1].split("=", 1)
        env[name] = value
        rest = rest[2:]
    return env, rest


def die_with_parent(parent_pid: int | None, sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for `sig` when the parent dies (Linux). False where that is unavailable.

    When the parent is already gone (it died between fork and this call), send it now. The kernel
    signals when the parent *thread* that started this process ends, so the parent must start it
    from a thread that outlives it (the main thread, or one that waits for it, as dagster-dbt's
    step and the SQL console's query thread do).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def _supervise(argv: list[str], parent_pid: int | None, env: Mapping[str, str] | None = None) -> int:
    """Without PR_SET_PDEATHSIG: run dbt as a child, stop it when our parent goes away, and pass
    SIGINT / SIGTERM on to it."""
    child = subprocess.Popen(argv, env=env)

    def forward(signum, _frame):
        child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    parent = parent_pid if parent_pid is not None else os.getppid()
    while True:
        try:
            return child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:
                child.terminate()
                try:
                    return child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return child.wait()


def installed_dbt_version(real_dbt: str) -> str | None:
    """dbt-core's version, read from the installed package, when `real_dbt` is the dbt of this
    interpreter's environment; else None (ask that dbt)."""
    if Path(real_dbt).parent != Path(sys.executable).parent:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dbt-core")
    except PackageNotFoundError:
        return None


def run_dbt(args: list[str]) -> int:
    """The wrapper's work: die with the parent, then become dbt, with the variables of the leading
    `--brw-env` arguments added to its environment.

    `--version` (which dagster-dbt asks before every invocation) is answered from the installed
    package, in dbt's own format: dbt's answer takes seconds, as it asks PyPI for the latest release.
    """
    handed, args = split_wrapper_args(args)
    env = {**os.environ, **handed}
    real = env.get(EXECUTABLE_ENV) or "dbt"
    known = installed_dbt_version(real) if args == ["--version"] else None
    if known:
        print(f"Core:\n  - installed: {known}")
        return 0
    parent = env.get(PARENT_ENV)
    parent_pid = int(parent) if parent and parent.isdigit() else None
    argv = [real, *args]
    if die_with_parent(parent_pid):
        try:
            os.execvpe(real, argv, env)
        except OSError as exc:
            print(f"brw: cannot run dbt ({real}): {exc}", file=sys.stderr)
            return 127
    return _supervise(argv, parent_pid, env)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts: its parent has not reaped it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


# --------------------------------------------------------------------------- servers and tests


def kill_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a child started with `start_new_session=True` and everything in its process group:
    SIGTERM, SIGKILL after `timeout`, then SIGKILL for whatever is left of the group. For tests
    and tools that start servers, so nothing keeps listening after them."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


def serve_streamlit(args: list[str]) -> int:
    """`streamlit ARGS` in this process (`brw dashboard` execs it, so signals reach it and
    nothing is orphaned), and the process ends as soon as Streamlit has stopped its server.

    Streamlit stops its server within ~0.2 s of SIGTERM / SIGINT, but a page still running a
    query keeps the interpreter from ending: its script thread is in DuckDB (interpreter
    shutdown then aborts: "terminate called without an active exception") and the SQL console's
    time limit is a non-daemon timer (shutdown waits for it, up to the limit). The dashboard only
    reads, so there is nothing to finish: flush the output and leave.
    """
    from streamlit.web import cli as streamlit_cli

    code: int = 0
    try:
        streamlit_cli.main(args=args, prog_name="streamlit")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # before Streamlit installed its own handler
        code = 130
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "dbt":
        return run_dbt(argv[1:])
    if argv and argv[0] == "streamlit":
        return serve_streamlit(argv[1:])
    print("usage: python -m pipelines.processes dbt|streamlit ARGS...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
