"""The read copy of the warehouse that the dashboard reads (SPEC section 7, issue: never block).

DuckDB allows one writing process, and a reader holding the file blocks the writer. So the
pipeline writes `brw.duckdb` and, at the end of every successful build, publishes
`brw.read.duckdb`: copied next to it under a temporary name, then renamed over the old copy in
one atomic step. Readers open short-lived read-only connections to the copy; a connection that
is open during the rename keeps reading the old file until it closes.

The temporary name carries the publishing process's pid (`.brw.read.duckdb.<pid>.<random>.tmp`):
a publish killed half-way (`kill -9`, power loss) leaves its file behind, and the next publish
removes it once that pid is gone, or after STALE_AFTER_SECONDS whatever the name.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from pipelines.processes import pid_alive

STALE_AFTER_SECONDS = 6 * 3600  # no publish takes this long: a temp file this old is left over


def read_copy_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.read{warehouse.suffix or '.duckdb'}")


def publish_read_copy(warehouse: str | Path) -> Path:
    """Atomically replace the read copy with the current warehouse file. No connection may be open."""
    warehouse = Path(warehouse)
    target = read_copy_path(warehouse)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        checkpoint(warehouse)
        if wal.exists() and wal.stat().st_size > 0:
            raise RuntimeError(f"{warehouse} has an unfinished write-ahead log: a writer is still open")
    remove_stale_temp_files(target)
    needed, free = warehouse.stat().st_size, shutil.disk_usage(target.parent).free
    if free < needed:  # fail before a partial copy fills the disk
        raise OSError(
            errno.ENOSPC,
            f"No space left on device for the read copy: it needs {needed / 1e6:.1f} MB, {free / 1e6:.1f} MB free",
            str(target.parent),
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(warehouse, tmp)
        shutil.copymode(warehouse, tmp)  # mkstemp creates it private
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def checkpoint(warehouse: Path) -> None:
    """Fold a leftover write-ahead log into the warehouse file. A writer that closed without its
    checkpoint (DuckDB skips it silently when the disk is full) leaves one; this raises the real
    cause: the lock of a writer still open, or the full disk."""
    import duckdb

    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("CHECKPOINT")
    finally:
        conn.close()


def remove_stale_temp_files(target: Path, now: float | None = None) -> list[Path]:
    """Remove the temp files of publishes that died (their pid is gone) or are STALE_AFTER_SECONDS
    old (also the older unnumbered names). A running publish's file is left alone."""
    now = time.time() if now is None else now
    numbered = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[^.]+\.tmp$")
    removed = []
    for path in target.parent.glob(f".{glob.escape(target.name)}.*"):
        found = numbered.match(path.name)
        try:
            old = now - path.stat().st_mtime > STALE_AFTER_SECONDS
        except OSError:
            continue
        if old or (found and not pid_alive(int(found.group(1)))):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
