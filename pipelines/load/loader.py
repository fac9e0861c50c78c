"""Loading one source: read its files, check them, write raw, quarantine and audit in one transaction.

`load_source` validates and loads a contract file, or the landing folder's new and changed
files, or a table mapped from the organisation's own exports (`pipelines.mapping`). Reading
happens in temporary tables first; then inside one transaction the good rows replace the raw
table (or, for the landing folder, the rows of the files being loaded), bad rows replace that
file's rows in `audit.quarantine`, and `audit.load_audit` gets rows_read = rows_loaded +
rows_quarantined per file and run. A missing required file or column raises
`SourceContractError` before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from pipelines.load.contract import Source, SourceContractError
from pipelines.load.landing import LINK_OUT, inside_source_dir, landing_files, new_or_changed
from pipelines.load.quarantine import conflicting_duplicates, reject_file, write_quarantine
from pipelines.load.readers import ParquetRead, create_stage, plan_parquet, stage_file, stage_parquet
from pipelines.load.results import FileLoad, LoadResult
from pipelines.load.validation import PARSE_MACROS, check_sql, duplicate_key_sql
from pipelines.load.warehouse import ensure_warehouse, literal, quote
from pipelines.settings import DateWindow


def _write(
    conn: duckdb.DuckDBPyConnection, source: Source, files: list[str], run_id: str, loaded_at: datetime,
    reloaded: list[str] | None = None, mapped: bool = False,
) -> None:
    """Replace the raw rows and the quarantine of `files` with the checked batch; audit it.

    `reloaded`: the landing files loaded before (their old rows go); a new file has no rows in
    raw, so a daily drop skips the scan of the whole measurement table."""
    cols = ", ".join(quote(c.name) for c in source.columns)
    if source.landing_folder:
        if reloaded:
            names = ", ".join(literal(f) for f in reloaded)
            conn.execute(f"DELETE FROM raw.{source.name} WHERE _source_file IN ({names})")
    else:
        conn.execute(f"DELETE FROM raw.{source.name}")
    conn.execute(
        f"INSERT INTO raw.{source.name} ({cols}, _source_file, _row_number, _run_id, _loaded_at) "
        f"SELECT {cols}, _source_file, _row_number, $run_id, $loaded_at FROM _checked "
        "WHERE _reason IS NULL",  # in staging order: each file in row order
        {"run_id": run_id, "loaded_at": loaded_at},
    )
    write_quarantine(conn, source, files, run_id, loaded_at, mapped)


def _file_counts(conn: duckdb.DuckDBPyConnection, files: list[str]) -> list[FileLoad]:
    rows = conn.execute(
        """
        WITH outcome AS (
            SELECT _source_file AS f, coalesce(_reason, '') AS reason FROM _checked
            UNION ALL
            SELECT source_file, 'malformed_row' FROM _malformed
        )
        SELECT f, reason, count(*) FROM outcome GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    loads = {f: FileLoad(f) for f in files}
    for f, reason, n in rows:
        load = loads[f]
        load.rows_read += n
        if reason:
            load.rows_quarantined += n
            load.reasons[reason] = n
        else:
            load.rows_loaded += n
    return [loads[f] for f in files]


def _clear_source(conn: duckdb.DuckDBPyConnection, source: Source) -> None:
    """An absent optional file (or a table the mapping declares absent): the table is empty."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM raw.{source.name}")
        conn.execute("DELETE FROM audit.quarantine WHERE source = ?", [source.name])
        if source.landing_folder:  # its files are read again when the table comes back
            conn.execute("DELETE FROM audit.loaded_files WHERE source_file IN "
                         "(SELECT source_file FROM audit.load_audit WHERE source = ?)", [source.name])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def load_source(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    source_dir: Path,
    run_id: str,
    loaded_at: datetime | None = None,
    log: Callable[[str], None] = lambda _msg: None,
    only_files: Iterable[str] | None = None,
    as_of: date | None = None,
    window: DateWindow | None = None,
    mapping=None,
) -> LoadResult:
    """Validate and load one source (a file, or the landing folder's new and changed files).

    `only_files` (landing folder only): consider just these file names, e.g. the files a sensor
    saw complete; other new files wait for a later run. `window`: the plausible dates (default:
    the window of `as_of`, default today, from the BRW_EARLIEST_DATE / BRW_YEARS_AHEAD settings).
    `mapping` (a `pipelines.mapping.Mapping`): when it maps this source, its inputs are read
    through it instead of the contract file (README, "Your own exports").
    """
    source_dir = Path(source_dir)
    loaded_at = loaded_at or datetime.now(timezone.utc).replace(tzinfo=None)
    window = window or DateWindow.for_as_of(as_of or date.today())
    ensure_warehouse(conn)
    conn.execute(PARSE_MACROS)
    result = LoadResult(source.name)
    path = source_dir / source.path
    rejected: dict[str, SourceContractError] = {}
    table_map = mapping.table(source.name) if mapping is not None else None
    mapped = None

    if table_map is not None:
        from pipelines import mapping as mapping_mod

        if table_map.absent:
            log(f"{source.name}: declared absent in {mapping.path.name if mapping.path else 'the mapping'}; "
                f"raw.{source.name} left empty")
            _clear_source(conn, source)
            return result
        inputs = mapping_mod.input_files(source_dir, source.name, table_map)
        if not inputs and not source.landing_folder:
            raise SourceContractError(
                f"{table_map.input.file}: the input of tables.{source.name} in the mapping matches no file in {source_dir}"
            )
        mapped = mapping_mod.mapped_stage(source, table_map)

        def label(file: Path) -> str:
            return mapping_mod.file_label(source_dir, file, table_map)

        if source.landing_folder:
            # A changed mapping reads its files again: the remembered hash includes its digest.
            todo, known, signatures = new_or_changed(conn, inputs, source_dir, label, f":{mapping.table_digest(source.name)}",
                                   only_files, result, rejected, log)
        else:
            for file in inputs:
                inside_source_dir(file, source_dir, Path(os.path.relpath(file, source_dir)).as_posix())
            todo = [(file, label(file), "") for file in inputs]
    elif source.landing_folder:
        if not path.is_dir():
            if source.required:
                raise SourceContractError(f"{source.path}/: required landing folder is missing in {source_dir}")
            log(f"{source.path}/: optional landing folder absent; raw.{source.name} left empty")
            _clear_source(conn, source)
            result.table_rows = 0
            return result
        inside_source_dir(path, source_dir, f"{source.path}/")
        todo, known, signatures = new_or_changed(conn, landing_files(path), source_dir, lambda f: f"{source.path}/{f.name}", "",
                               only_files, result, rejected, log)
    else:
        if not path.is_file():
            if source.required:
                raise SourceContractError(f"{source.path}: required file is missing in {source_dir}")
            log(f"{source.path}: optional file absent; raw.{source.name} left empty")
            _clear_source(conn, source)
            result.table_rows = 0
            return result
        inside_source_dir(path, source_dir, source.path)
        todo = [(path, source.path, "")]

    if not todo:
        result.table_rows = conn.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
        return result

    # Reading happens in temporary tables before the transaction: a reader error (the fast CSV
    # path giving up) must not abort the transaction that writes the warehouse.
    create_stage(conn, source, mapped)
    skipped: dict[str, int] = {}
    parquet: list[ParquetRead] = []  # checked one by one, read together after the loop
    for file, rel, _digest in todo:
        if rel in rejected:
            continue
        try:
            if mapped is not None:
                skipped[rel] = mapping_mod.stage_input(conn, source, table_map, mapping, source_dir, file)
                log(f"{rel}: read through the mapping ({skipped[rel]:,} blank or filtered rows skipped)")
            elif file.suffix.lower() == ".parquet":
                parquet.append(plan_parquet(conn, source, file, rel))
            else:
                stage_file(conn, source, file, rel)
        except SourceContractError as exc:
            if not source.landing_folder:
                raise  # a single file that cannot be read fails the source
            rejected[rel] = exc  # this file only: the rest of the batch loads
            conn.execute(f"DELETE FROM _stage WHERE _source_file = {literal(rel)}")
            conn.execute(f"DELETE FROM _malformed WHERE source_file = {literal(rel)}")
    for rel, exc in stage_parquet(conn, parquet).items():  # a file whose data cannot be read
        if not source.landing_folder:
            raise exc
        rejected[rel] = exc
    files = [rel for _, rel, _ in todo if rel not in rejected]

    # The checks type the staged rows into temp table `_checked` before the transaction too: a
    # transaction that both creates a 10M-row table and copies it into raw writes at half speed
    # (DuckDB 1.5: 10 s instead of 5 s for the insert into raw; benchmarks/README.md).
    conn.execute(check_sql(source, window, mapped))
    if not source.landing_folder:
        conn.execute(duplicate_key_sql(source))

    conn.execute("BEGIN TRANSACTION")
    try:
        if source.landing_folder:
            # Exact duplicates count once (they load; the current view keeps one of them).
            result.moved_to_quarantine = conflicting_duplicates(conn, source, files, run_id, loaded_at)
        result.files = _file_counts(conn, files)
        for f in result.files:
            f.rows_skipped = skipped.get(f.source_file, 0)
        reloaded = [rel for _, rel, _ in todo if rel in known and rel not in rejected] if source.landing_folder else None
        if source.landing_folder:
            # A file loaded before and now rejected loses its old rows too: its content changed.
            gone = [rel for rel in rejected if rel in known]
            if gone:
                conn.execute(
                    f"DELETE FROM raw.{source.name} WHERE _source_file IN ({', '.join(literal(f) for f in gone)})"
                )
        if files:
            _write(conn, source, files, run_id, loaded_at, reloaded, mapped=mapped is not None)
        for rel, exc in rejected.items():
            reject_file(conn, source, rel, exc, run_id, loaded_at)
            result.rejected_files[rel] = str(exc)
            result.files.append(FileLoad(rel, reasons={"rejected_file": 1}))
            log(f"rejected: {exc}")
        conn.executemany(  # never empty: `todo` has at least one file
            "INSERT INTO audit.load_audit VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (f.source_file, source.name, run_id, f.rows_read, f.rows_loaded, f.rows_quarantined, loaded_at)
                for f in result.files
            ],
        )
        if source.landing_folder:
            # Rejected files are remembered too: they are not read again until they change. A link
            # out of the source directory is never opened, so it has no hash to remember.
            remembered = [(rel, digest, *signatures[rel], run_id, loaded_at) for _, rel, digest in todo if digest != LINK_OUT]
            if remembered:
                conn.executemany("INSERT OR REPLACE INTO audit.loaded_files (source_file, content_hash, size_bytes, "
                                 "mtime_ns, run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?)", remembered)
            linked_out = [rel for _, rel, digest in todo if digest == LINK_OUT]
            if linked_out:  # a file loaded before and now a link out: forget its old content
                conn.execute(
                    f"DELETE FROM audit.loaded_files WHERE source_file IN ({', '.join(literal(f) for f in linked_out)})"
                )
        result.table_rows = conn.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result
