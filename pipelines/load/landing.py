"""The landing folder's files: which are new or changed since loaded, and which are refused.

A landing file is remembered in `audit.loaded_files` by its content hash and its signature (size
and mtime) as it was read; a file whose hash was loaded before is skipped (its new signature is
recorded). A file (or folder) that resolves outside the source directory is refused unread
(SPEC section 2). `landing_signatures` is what the sensor watches and `brw run` compares with the
recorded signatures (`loaded_signatures`).
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


def signature(path: Path) -> list[int]:
    """[size, mtime_ns]: a file that is rewritten gets another one."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def landing_signatures(folder: Path) -> dict[str, list[int]]:
    """{file name: [size, mtime_ns]} of the landing files (empty when there is no folder): what
    the sensor watches and what `brw run` compares with `loaded_signatures`."""
    if not folder.is_dir():
        return {}
    return {path.name: signature(path) for path in landing_files(folder)}


def loaded_signatures(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """{label: (size, mtime_ns)} of the landing files as they were when loaded (none before the
    first load, or in a warehouse from before the signatures)."""
    has = conn.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_schema = 'audit' AND table_name = 'loaded_files' AND column_name = 'mtime_ns'"
    ).fetchone()[0]
    if not has:
        return {}
    rows = conn.execute("SELECT source_file, size_bytes, mtime_ns FROM audit.loaded_files WHERE mtime_ns IS NOT NULL")
    return {label: (size, mtime) for label, size, mtime in rows.fetchall()}


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
) -> tuple[list[tuple[Path, str, str]], dict[str, str], dict[str, list[int]]]:
    """The landing files to load, as (file, label, content digest): new or changed since loaded;
    what was loaded before ({label: digest}); and the signature of each file to load as it was
    read ({label: [size, mtime_ns]}, for audit.loaded_files).

    `only_files`: just these (by file name or path in the source directory, as the sensor names
    them). A link out of the source directory is rejected unread (digest LINK_OUT: the target is
    never opened); a file whose digest (content hash + `salt`) was loaded before is skipped, and
    its signature updated (rewritten with the same content: it was loaded as it is)."""
    known = dict(conn.execute("SELECT source_file, content_hash FROM audit.loaded_files").fetchall())
    wanted = set(only_files) if only_files else None
    todo: list[tuple[Path, str, str]] = []
    signatures: dict[str, list[int]] = {}
    touched: list[tuple[int, int, str]] = []
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
        name, sig = label(file), signature(file)  # before reading: a file rewritten meanwhile looks changed
        digest = file_hash(file) + salt
        if known.get(name) == digest:
            result.skipped_files.append(name)
            touched.append((*sig, name))
        else:
            todo.append((file, name, digest))
            signatures[name] = sig
    if touched:
        conn.executemany("UPDATE audit.loaded_files SET size_bytes = ?, mtime_ns = ? WHERE source_file = ?", touched)
    if result.skipped_files:
        log(f"{result.source}: {len(result.skipped_files)} files already loaded, {len(todo)} new or changed")
    return todo, known, signatures
