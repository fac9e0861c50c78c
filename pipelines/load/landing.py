"""The landing folder's files: which are new or changed since loaded, and which are refused.

A landing file is remembered in `audit.loaded_files` by its content hash; a file whose hash was
loaded before is skipped. A file (or folder) that resolves outside the source directory is
refused unread (SPEC section 2). `landing_signatures` is what the sensor watches and what
`brw run` fingerprints.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from pipelines.load.contract import SourceContractError
from pipelines.load.results import LoadResult
from pipelines.settings import links_out_allowed


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".parquet"))


def landing_signatures(folder: Path) -> dict[str, list[int]]:
    """{file name: [size, mtime_ns]} of the landing files (empty when there is no folder): what
    the sensor watches and what `brw run` fingerprints."""
    if not folder.is_dir():
        return {}
    out = {}
    for path in landing_files(folder):
        stat = path.stat()
        out[path.name] = [stat.st_size, stat.st_mtime_ns]
    return out


LINK_OUT = "refused:link-out"  # the content hash of a landing file that is a link out: none


def inside_source_dir(path: Path, source_dir: Path, shown: str) -> None:
    """Refuse a file (or folder) that resolves outside the source directory (SPEC section 2):
    a link out could publish any file of the machine. BRW_ALLOW_LINKS_OUT=1 lifts it."""
    if links_out_allowed():
        return
    resolved = path.resolve()
    if not resolved.is_relative_to(source_dir.resolve()):
        raise SourceContractError(
            f"{shown}: is a link to a file outside the source directory; refused "
            "(copy the file in, or set BRW_ALLOW_LINKS_OUT=1 for a trusted set-up)"
        )


def new_or_changed(
    conn: duckdb.DuckDBPyConnection, files: Iterable[Path], source_dir: Path, label: Callable[[Path], str],
    salt: str, only_files: Iterable[str] | None, result: LoadResult, rejected: dict[str, SourceContractError],
    log: Callable[[str], None],
) -> tuple[list[tuple[Path, str, str]], dict[str, str]]:
    """The landing files to load, as (file, label, content digest): new or changed since loaded;
    and what was loaded before ({label: digest}).

    `only_files`: just these (by file name or path in the source directory, as the sensor names
    them). A link out of the source directory is rejected unread (digest LINK_OUT: the target is
    never opened); a file whose digest (content hash + `salt`) was loaded before is skipped."""
    known = dict(conn.execute("SELECT source_file, content_hash FROM audit.loaded_files").fetchall())
    wanted = set(only_files) if only_files else None
    todo: list[tuple[Path, str, str]] = []
    for file in files:
        rel = Path(os.path.relpath(file, source_dir)).as_posix()
        if wanted is not None and not {rel, file.name} & wanted:
            continue
        try:
            inside_source_dir(file, source_dir, rel)
        except SourceContractError as exc:
            rejected[rel] = exc
            todo.append((file, rel, LINK_OUT))
            continue
        name, digest = label(file), file_hash(file) + salt
        if known.get(name) == digest:
            result.skipped_files.append(name)
        else:
            todo.append((file, name, digest))
    if result.skipped_files:
        log(f"{result.source}: {len(result.skipped_files)} files already loaded, {len(todo)} new or changed")
    return todo, known
