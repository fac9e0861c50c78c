"""Every failure of `brw run` ends in one line: the step, the cause, what to do (issue 11, item 11).

Dagster wraps what a step raised in "Error occurred while executing op ..."; the cause is at the
end of the chain (SerializableErrorInfo.cause / .context, or __cause__ / __context__ of an
exception raised before the job starts). `describe()` walks the chain, finds the root cause and
the few causes an operator can fix (a lock held by another process, a full disk, a folder that
cannot be written, an interruption), and says what to do about each.
"""

from __future__ import annotations

import errno as errno_codes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (class name, text) for every link of an error chain, outermost first
Link = tuple[str, str]

_DAGSTER_WRAPPER = re.compile(r"^Error occurred while executing (op|asset)|^dagster\._core\.errors\.")
_ERRNO = re.compile(r"\[Errno (\d+)\]")
_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)"(?::\s*Conflicting lock is held in (?P<prog>\S+)'
    r"(?: \(PID (?P<pid>\d+)\))?)?"
)
_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")
_SEVERAL_SPACES = re.compile(r"\s+")
MAX_CAUSE = 400  # characters of the cause in the one line


@dataclass(frozen=True)
class Failure:
    step: str
    cause: str
    hint: str
    # interrupted, lock, disk_full, file_size, not_writable, memory, overflow, source, dbt, other
    kind: str = "other"

    def line(self) -> str:
        return f"brw run FAILED at {self.step}: {self.cause.rstrip('.')}. What to do: {self.hint}"


def step_name(step_key: str) -> str:
    """raw__projects -> raw/projects; the dbt step is `dbt build`."""
    if step_key == "brw_dbt":
        return "dbt build (brw_dbt)"
    return step_key.replace("__", "/")


def chain_of(error: Any, context: bool = False) -> list[Link]:
    """The links of an exception's or a SerializableErrorInfo's chain, outermost first.

    Follows the explicit causes (`raise ... from`, which is how Dagster wraps what a step
    raised). An implicit context ("during handling of the above exception, another exception
    occurred") is followed only with context=True, or from a link that is just a Dagster wrapper:
    otherwise the outer exception is the one that explains the failure.
    """
    links: list[Link] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen and len(links) < 20:
        seen.add(id(error))
        if isinstance(error, BaseException):
            text = str(error)
            if isinstance(error, OSError) and error.errno and "[Errno" not in text:
                text = f"[Errno {error.errno}] {text}"
            links.append((type(error).__name__, text))
            cause = error.__cause__
            implicit = None if error.__suppress_context__ else error.__context__
        else:  # dagster's SerializableErrorInfo
            cls_name = error.cls_name or ""
            text = (error.message or "").strip()
            qualified = re.match(r"^[\w.]*" + re.escape(cls_name) + r":\s*", text) if cls_name else None
            links.append((cls_name, text[qualified.end():] if qualified else text))
            cause, implicit = error.cause, error.context
        error = cause or (implicit if context or _is_wrapper(links[-1]) else None)
    return links


_WRAPPERS = {
    "DagsterExecutionStepExecutionError",
    "DagsterUserCodeExecutionError",
    "DagsterResourceFunctionError",
    "DagsterExecutionLoadInputError",
    "DagsterExecutionHandleOutputError",
}


def _is_wrapper(link: Link) -> bool:
    """Dagster's "Error occurred while executing op ..." around what the step raised."""
    return link[0] in _WRAPPERS or bool(_DAGSTER_WRAPPER.search(link[1]))


def _one_line(text: str) -> str:
    text = _SEVERAL_SPACES.sub(" ", text).strip()
    return text if len(text) <= MAX_CAUSE else text[: MAX_CAUSE - 3] + "..."


def _show(link: Link) -> str:
    cls_name, text = link
    if not text:
        return cls_name
    if not cls_name or re.match(r"^[A-Za-z ]*(Error|Exception)\b", text):
        return text  # DuckDB's own "IO Error: ..." already names the kind
    return f"{cls_name}: {text}"


def root_cause(links: list[Link]) -> str:
    """The innermost link that is not one of Dagster's wrappers, on one line."""
    useful = [link for link in links if not _is_wrapper(link)]
    link = (useful or links or [("", "unknown error")])[-1]
    if "Errors parsed from dbt logs:" in link[1]:  # dagster-dbt: the dbt messages, not its preamble
        errors = [line.strip() for line in link[1].split("Errors parsed from dbt logs:", 1)[1].splitlines() if line.strip()]
        if errors:
            return _one_line("dbt: " + "; ".join(errors[:2]))
    return _one_line(_show(link))


def _process(pid: str) -> str:
    """`PID 123 (python -m pipelines.cli run ...)` when /proc tells the command."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"PID {pid}"
    return f"PID {pid} ({cmdline[:80]}{'...' if len(cmdline) > 80 else ''})" if cmdline else f"PID {pid}"


def _folder_in(links: list[Link], default: Path | None) -> Path | None:
    """The folder of the innermost quoted path in the chain (the nearest one that exists)."""
    path = default
    for _, text in reversed(links):
        found = _QUOTED_PATH.search(text)
        if found:
            path = Path(found.group(1))
            break
    if path is None:
        return None
    if path.suffix and not path.is_dir():  # a file: its folder
        path = path.parent
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def describe(
    error: Any, step: str, warehouse: Path | None = None, log: Path | None = None, description: str | None = None
) -> Failure:
    """The one-line failure for `error` (an exception or a SerializableErrorInfo) at `step`.

    description: a dagster Failure's own description (dagster-dbt puts dbt's errors there).
    """
    links = chain_of(error)
    if description:
        links.append(("", description))
    # what the operator can fix may hide in an implicit context too: search every link
    texts = [f"{cls} {text}" for cls, text in chain_of(error, context=True) + links]
    everything = "\n".join(texts)
    numbers = {int(n) for text in texts for n in _ERRNO.findall(text)}
    see_log = f"see the full error in {log}" if log else "see the traceback above"
    warehouse_dir = warehouse.parent if warehouse else None

    if any(cls in ("DagsterExecutionInterruptedError", "KeyboardInterrupt") for cls, _ in links):
        return Failure(
            step,
            "interrupted (Ctrl-C or SIGTERM)",
            "run `brw run` again when you are ready: it rebuilds everything that did not finish",
            "interrupted",
        )
    lock = _LOCK.search(everything)
    if lock:
        holder = _process(lock.group("pid")) if lock.group("pid") else "another process"
        return Failure(
            step,
            f"the warehouse file {lock.group('path')} is locked by {holder}",
            "close that process (another `brw run`, a `brw dashboard` or DuckDB session opened on the warehouse "
            "file rather than its read copy), then run `brw run` again",
            "lock",
        )
    if errno_codes.ENOSPC in numbers or "No space left on device" in everything:
        disk = _folder_in(links, warehouse_dir)
        return Failure(
            step,
            f"no space left on the disk of {disk} ({root_cause(links)})",
            f"free space on the disk of {disk} (`df -h {disk}`) or choose a --warehouse on another disk, "
            "then run `brw run` again",
            "disk_full",
        )
    if errno_codes.EFBIG in numbers or "File too large" in everything:
        return Failure(
            step,
            f"a file grew past the size limit ({root_cause(links)})",
            "raise the file size limit (`ulimit -f`) or free space, then run `brw run` again",
            "file_size",
        )
    if (
        numbers & {errno_codes.EACCES, errno_codes.EPERM, errno_codes.EROFS, errno_codes.ENOTDIR}
        or re.search(r"Permission denied|Read-only file system|Operation not permitted|Not a directory", everything)
    ):
        folder = _folder_in(links, warehouse_dir)
        return Failure(
            step,
            f"cannot write to {folder} ({root_cause(links)})",
            f"choose a writable --warehouse (or BRW_WAREHOUSE), or make {folder} writable, then run `brw run` again",
            "not_writable",
        )
    if re.search(r"Out of Memory Error|MemoryError", everything):
        return Failure(
            step,
            root_cause(links),
            f"lower BRW_MEMORY_LIMIT or free memory, and keep free disk space for DuckDB to spill to; {see_log}",
            "memory",
        )
    if re.search(r"OverflowError|Out of Range Error|[Oo]verflow", everything):
        return Failure(
            step,
            f"a number is too large for its type ({root_cause(links)})",
            f"find the value in the source file the step reads: {see_log}",
            "overflow",
        )
    if any(cls == "SourceContractError" for cls, _ in links):
        return Failure(step, root_cause(links), "fix the source file named above, then run `brw run` again", "source")
    if "dbt" in everything and step.startswith("dbt"):
        return Failure(step, root_cause(links), f"see dbt's messages in {log}" if log else see_log, "dbt")
    return Failure(step, root_cause(links), see_log)


def from_run(result: Any, warehouse: Path | None = None, log: Path | None = None) -> tuple[Failure, list[str]]:
    """The failure of a Dagster run (ExecuteInProcessResult) and the full error text of every failed
    step, for the log. The first failed step is the one named; the others are counted."""
    failed = [event for event in result.all_events if event.is_step_failure]
    details: list[str] = []
    for event in failed:
        data = event.step_failure_data
        if data and data.error:
            details.append(f"--- {event.step_key}\n{data.error.to_string()}")
    if failed:
        first = failed[0]
        data = first.step_failure_data
        description = data.user_failure_data.description if data and data.user_failure_data else None
        step = step_name(first.step_key or "")
        if len(failed) > 1:
            others = ", ".join(step_name(e.step_key or "") for e in failed[1:4]) + (", ..." if len(failed) > 4 else "")
            step += f" (and {len(failed) - 1} more failed step{'s' if len(failed) > 2 else ''}: {others})"
        return describe(data.error if data else None, step, warehouse, log, description), details
    for event in result.all_events:  # the run failed outside any step (a resource, the executor)
        if event.is_failure and getattr(event.event_specific_data, "error", None) is not None:
            error = event.event_specific_data.error
            details.append(f"--- run\n{error.to_string()}")
            return describe(error, "run setup", warehouse, log), details
    return Failure("run", "the Dagster run failed without a step failure", f"see {log}" if log else "see the log"), details


def append_to_log(log: Path | None, texts: list[str]) -> bool:
    """Add the full error text (tracebacks) to the run's log; False when there is no log to write."""
    if log is None or not texts:
        return False
    try:
        with open(log, "a", encoding="utf-8") as out:
            out.write("\n\n".join(["", "brw run failure details:", *texts]) + "\n")
    except OSError:
        return False
    return True
