"""The read copy of the warehouse that the dashboard reads (SPEC section 7, issue: never block).

DuckDB allows one writing process, and a reader holding the file blocks the writer. So the
pipeline writes `brw.duckdb` and, at the end of every successful build, publishes
`brw.read.duckdb`: copied next to it under a temporary name, then renamed over the old copy in
one atomic step. Readers open short-lived read-only connections to the copy; a connection that
is open during the rename keeps reading the old file until it closes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def read_copy_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.read{warehouse.suffix or '.duckdb'}")


def publish_read_copy(warehouse: str | Path) -> Path:
    """Atomically replace the read copy with the current warehouse file. No connection may be open."""
    warehouse = Path(warehouse)
    target = read_copy_path(warehouse)
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"{warehouse} has an unfinished write-ahead log: a writer is still open")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(warehouse, tmp)
        shutil.copymode(warehouse, tmp)  # mkstemp creates it private
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
