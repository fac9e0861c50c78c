"""Finding the inputs under a source directory: files, sheets, header rows, delimiters, encodings.

Every `*.csv` (delimiter and encoding sniffed from the first 64 KB), every sheet of every
workbook and every `*.parquet` (hidden folders and `sources.yml` skipped); same-shaped files of a
folder become one glob input. Each input is read with the mapping engine's own reader
(`pipelines.mapping.inputs.read_input`, so headers are exactly what `brw run` will see) and
profiled (`column_profile`).
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from pipelines.mapping.inputs import EXCEL_SUFFIXES, read_input
from pipelines.mapping.model import MAPPING_FILE, InputSpec, Mapping, MappingError, TableMapping
from pipelines.mapping.starter.column_profile import DATE_FORMATS, SCALAR_FIELDS, ColumnProfile, profile_sql
from pipelines.mapping.starter.names import hint_score

SNIFF_BYTES = 64 * 1024
HEADER_SCAN_ROWS = 20
MAX_INPUT_FILES = 500

DELIMITERS = (",", ";", "\t", "|")


@dataclass
class CandidateInput:
    """A candidate input: one CSV/Parquet file or workbook sheet, or a glob of same-shaped files."""

    file: str  # relative path (posix) or glob, as written in input.file
    paths: list[Path]
    kind: str  # csv | xlsx | parquet
    sheet: str | None = None
    header_row: int = 1
    delimiter: str = ","
    encoding: str = "utf-8"
    header: list[str] = field(default_factory=list)
    rows: int = 0
    profiles: dict[str, ColumnProfile] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.file}#{self.sheet}" if self.sheet is not None else self.file

    def hint(self, table: str) -> float:
        first = PurePosixPath(self.file)
        own = hint_score([self.sheet] if self.sheet else [re.sub(r"[*?]", "", first.stem)], table)
        around = hint_score([re.sub(r"[*?]", "", first.stem), first.parent.name] if self.sheet
                             else [first.parent.name], table)
        return max(own, 0.5 * around)

    def spec(self, file: str) -> InputSpec:
        return InputSpec(
            file=file, sheet=self.sheet, header_row=self.header_row,
            delimiter=self.delimiter if self.kind == "csv" else None,
            encoding=self.encoding if self.kind == "csv" else None,
        )

    def input_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.header_row != 1:
            out["header_row"] = self.header_row
        if self.kind == "csv" and self.delimiter != ",":
            out["delimiter"] = self.delimiter
        if self.kind == "csv" and self.encoding != "utf-8":
            out["encoding"] = self.encoding
        return out


_NUMBERISH = re.compile(r"^[(\-+]?[£$€¥₹]?\s*\d[\d,.\s]*(%|k|m|bn|mn)?\)?$", re.IGNORECASE)
_DATEISH = re.compile(r"^\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}([ T].*)?$")


def _is_text_cell(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and not _NUMBERISH.match(text) and not _DATEISH.match(text)


def _header_row(rows: list[list[Any]]) -> int | None:
    """The header's row number (1-based) among the first rows: the first row whose non-empty
    cells are mostly text, with at least 2 of them and at least half as many as the widest row
    (a title or "exported on" line above the header is skipped)."""
    def filled(row: list[Any]) -> list[Any]:
        return [c for c in row if c is not None and str(c).strip() != ""]

    widths = [len(filled(r)) for r in rows[:HEADER_SCAN_ROWS]]
    widest = max(widths, default=0)
    if widest < 2:
        return None
    for k, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = filled(row)
        if len(cells) >= 2 and len(cells) * 2 >= widest and sum(map(_is_text_cell, cells)) * 2 > len(cells):
            return k + 1
    return next(k + 1 for k, w in enumerate(widths) if w >= 2)


def _sniff_encoding(sample: bytes, truncated: bool = False) -> str:
    """utf-8 when the sample decodes as UTF-8 (a character cut by a truncated sample's end is fine), utf-16 with
    its byte-order mark, else cp1252 when it uses cp1252's printable 0x80-0x9F (€ ‘ ’ “ ”), else latin-1."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=not truncated)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        if any(0x80 <= b <= 0x9F for b in sample):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    return "latin-1"


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the most consistent field count (of at least 2) over the sample's rows."""
    best, best_key = ",", (False, 0.0, 0)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(text), delimiter=d) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=lambda n: (counts.count(n), n))
        key = (mode >= 2, round(counts.count(mode) / len(counts), 1), mode)
        if key > best_key:
            best, best_key = d, key
    return best


def _csv_input(path: Path, rel: str) -> CandidateInput | None:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
        truncated = bool(handle.read(1))
    if not sample.strip():
        return None
    encoding = _sniff_encoding(sample, truncated)
    text = sample.decode(encoding, errors="replace")
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut
    text = text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:HEADER_SCAN_ROWS]
    except csv.Error:
        rows = []
    header_row = _header_row(rows) or 1
    return CandidateInput(rel, [path], "csv", delimiter=delimiter, encoding=encoding, header_row=header_row)


def _workbook_inputs(path: Path, rel: str) -> tuple[list[CandidateInput], list[str]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        return [], [f"skipped {rel}: cannot be read as a workbook ({str(exc).splitlines()[0][:120]})"]
    inputs = []
    for name in book.sheet_names:
        try:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
        except Exception:  # noqa: BLE001 - a chart sheet or a damaged sheet: not an input
            continue
        header_row = _header_row(rows)
        if header_row is not None:
            inputs.append(CandidateInput(rel, [path], "xlsx", sheet=name, header_row=header_row))
    return inputs, []


def _files(source_dir: Path) -> list[Path]:
    """CSV, workbook and Parquet files under source_dir (sorted; hidden folders and files skipped)."""
    found = []
    for root, dirs, files in os.walk(source_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(files):
            if name.startswith((".", "~$")) or name == MAPPING_FILE:
                continue
            path = Path(root) / name
            if not name.lower().endswith((".csv", ".parquet", *EXCEL_SUFFIXES)):
                continue
            if not path.resolve().is_relative_to(source_dir.resolve()):
                continue  # a link out of the source directory is never read (SPEC section 2)
            found.append(path)
    return found


def _group_key(inp: CandidateInput) -> tuple:
    parent = PurePosixPath(inp.file).parent
    return (str(parent), PurePosixPath(inp.file).suffix.lower(), inp.kind, inp.sheet, inp.header_row,
            inp.delimiter, inp.encoding, tuple(inp.header))


def _glob_for(source_dir: Path, members: list[CandidateInput]) -> str | None:
    """A glob matching exactly these same-shaped files of one folder (`kpi/daily*.csv`), or None."""
    first = PurePosixPath(members[0].file)
    stems = [PurePosixPath(m.file).stem for m in members]
    prefix = os.path.commonprefix(stems).rstrip("0123456789_- .")
    pattern = str(first.parent / f"{prefix}*{first.suffix}") if str(first.parent) != "." else f"{prefix}*{first.suffix}"
    matched = sorted((source_dir / p).resolve() for p in glob.glob(pattern, root_dir=source_dir))
    wanted = sorted(p.resolve() for m in members for p in m.paths)
    return pattern if matched == wanted else None


def load_input_file(conn: duckdb.DuckDBPyConnection, source_dir: Path, inp: CandidateInput, path: Path,
          header_only: bool = False) -> list[str]:
    """Read one file of an input into temp table `_input` with the mapping engine's reader (so
    the header is exactly what `brw run` will see); returns the header."""
    spec = inp.spec(Path(os.path.relpath(path, source_dir)).as_posix())
    tm = TableMapping(input=spec)
    _, header, _ = read_input(conn, source_dir, "projects", tm, Mapping(tables={}), path, header_only=header_only)
    return header


def profile_input(conn: duckdb.DuckDBPyConnection, source_dir: Path, inp: CandidateInput) -> None:
    """Read the input's files and fill in its header, row count and column profiles."""
    conn.execute("DROP TABLE IF EXISTS _profile")
    for k, path in enumerate(inp.paths[:20]):
        header = load_input_file(conn, source_dir, inp, path)
        if k == 0:
            inp.header = header
            conn.execute("CREATE TEMP TABLE _profile AS SELECT * EXCLUDE (__brw_row, __brw_modified) FROM _input")
        else:
            conn.execute("INSERT INTO _profile BY NAME SELECT * EXCLUDE (__brw_row, __brw_modified) FROM _input")
        conn.execute("DROP TABLE IF EXISTS _input")
    inp.rows = conn.execute("SELECT count(*) FROM _profile").fetchone()[0]
    inp.profiles = {name: ColumnProfile() for name in inp.header}
    if inp.header and inp.rows:
        cursor = conn.execute(profile_sql())
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            rec = dict(zip(names, row))
            prof = inp.profiles.setdefault(rec["__name"], ColumnProfile())
            for name in SCALAR_FIELDS:
                setattr(prof, name, rec[name] if rec[name] is not None else getattr(ColumnProfile(), name))
            prof.top = list(rec["top"] or [])
            prof.formats = {f: rec[f"f{k}"] for k, f in enumerate(DATE_FORMATS) if rec[f"f{k}"]}
    conn.execute("DROP TABLE IF EXISTS _profile")


def discover_inputs(conn: duckdb.DuckDBPyConnection, source_dir: Path) -> tuple[list[CandidateInput], list[str]]:
    """Every candidate input under source_dir, profiled; same-shaped files of a folder are one glob."""
    notes: list[str] = []
    files = _files(source_dir)
    if len(files) > MAX_INPUT_FILES:
        notes.append(f"only the first {MAX_INPUT_FILES} of {len(files)} files were looked at")
        files = files[:MAX_INPUT_FILES]
    found: list[CandidateInput] = []
    for path in files:
        rel = Path(os.path.relpath(path, source_dir)).as_posix()
        suffix = path.suffix.lower()
        if suffix == ".csv":
            inputs = [i for i in [_csv_input(path, rel)] if i]
        elif suffix == ".parquet":
            inputs = [CandidateInput(rel, [path], "parquet")]
        else:
            inputs, skipped = _workbook_inputs(path, rel)
            notes += skipped
        for inp in inputs:
            try:
                inp.header = load_input_file(conn, source_dir, inp, path, header_only=True)
                conn.execute("DROP TABLE IF EXISTS _input")
            except (MappingError, duckdb.Error, OSError) as exc:
                notes.append(f"skipped {inp.label}: {str(exc).splitlines()[0][:160]}")
                continue
            if len(inp.header) >= 2:
                found.append(inp)
    # Same-shaped files of one folder: one glob input (a landing folder that grows).
    groups: dict[tuple, list[CandidateInput]] = {}
    for inp in found:
        groups.setdefault(_group_key(inp), []).append(inp)
    inputs: list[CandidateInput] = []
    for members in groups.values():
        pattern = _glob_for(source_dir, members) if len(members) > 1 else None
        if pattern:
            first = members[0]
            first.file, first.paths = pattern, [p for m in members for p in m.paths]
            inputs.append(first)
        else:
            inputs += members
    inputs.sort(key=lambda i: (i.file, i.sheet or ""))
    profiled = []
    for inp in inputs:
        try:
            profile_input(conn, source_dir, inp)
            profiled.append(inp)
        except (MappingError, duckdb.Error, OSError) as exc:
            notes.append(f"skipped {inp.label}: {str(exc).splitlines()[0][:160]}")
    return profiled, notes
