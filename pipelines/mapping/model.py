"""The mapping file (`sources.yml`) as pydantic models: reading, validating its shape, finding it.

`load_mapping` turns YAML and schema errors into a `MappingError` naming the mapping key
(`tables.raid_log.colums: is not a mapping key here (a typo?)`); `mapping_for` finds the mapping
of a source directory (`--mapping` / BRW_MAPPING, else `sources.yml` in it).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.load.contract import SOURCES_BY_NAME, Source, SourceContractError

MAPPING_FILE = "sources.yml"


class MappingError(SourceContractError):
    """The mapping cannot be used: names the mapping file, the key and (where known) the input file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberFormat(_Strict):
    decimal: Literal[".", ","] | None = None  # default: the input's decimal, else "."
    thousands: Literal[",", ".", " ", "'", ""] | None = None  # default: "," (or "." when decimal is ",")
    suffixes: bool = False  # read k / m / mn / bn (thousand, million, billion): "£1,234k"
    scale: float = 1.0  # multiply: 1000000 for a column in $M


class InputSpec(_Strict):
    file: str  # relative to the source directory; a glob reads every match
    sheet: str | int | None = None  # .xlsx: name, or 0-based index (default: the first sheet)
    header_row: int = Field(1, ge=1)  # the header's row number as Excel or an editor shows it
    delimiter: str | None = None  # CSV (default ",")
    encoding: str | None = None  # CSV: any Python codec name (default utf-8)
    decimal: Literal[".", ","] | None = None  # CSV decimal mark, for every number column
    quote: str = '"'
    decode_html: bool = False  # &amp; &lt; &gt; &quot; &#39; &nbsp; in any field become the characters
    collapse_spaces: bool = False  # runs of spaces (tabs, line breaks) inside any field become one space

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1 and v != "\\t":
            raise ValueError("a delimiter is one character (\\t for a tab)")
        return "\t" if v == "\\t" else v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"{v!r} is not a known encoding (e.g. utf-8, latin-1, cp1252, utf-16)") from None
        return v


class ColumnSpec(_Strict):
    column: str | None = None  # an input column, by its header
    value: str | int | float | bool | None = None  # a constant
    expr: str | None = None  # a DuckDB SQL expression over input columns (all text: cast as needed)
    file_modified: bool = False  # the input file's modification time (for recorded_at)
    values: dict[str, str | bool | None] | None = None  # value map: input word → contract word
    default: str | bool | None = None  # for input values the map does not name
    date: str | list[str] | None = None  # strftime formats tried after ISO 8601; "excel" = serial days
    timestamp: str | list[str] | None = None  # strftime formats for a timestamp (UTC unless %z)
    number: NumberFormat | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("column", "value", "expr") if getattr(self, k) is not None]
        given += ["file_modified"] if self.file_modified else []
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, value, expr or file_modified"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class Unpivot(_Strict):
    columns: list[str] | None = None  # the columns holding values (one per KPI)
    exclude: list[str] | None = None  # or: every column except these
    names_to: str = "column_name"  # new column: the header a value came from
    values_to: str = "cell_value"  # new column: the value

    @model_validator(mode="after")
    def _one_way(self) -> Unpivot:
        if (self.columns is None) == (self.exclude is None):
            raise ValueError("give either columns (the value columns) or exclude (the other columns)")
        return self


class TableMapping(_Strict):
    input: InputSpec | None = None
    absent: bool = False  # this organisation has no such export: the table loads empty
    filter: str | None = None  # SQL over input columns: rows where it is not true are skipped
    derive: dict[str, str] = {}  # new input columns: name -> SQL over the input (and earlier derives; any type)
    unpivot: Unpivot | None = None
    columns: dict[str, str | ColumnSpec] = {}

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: (ColumnSpec(column=s) if isinstance(s, str) else s) for k, s in v.items()}
        return v

    @model_validator(mode="after")
    def _input_or_absent(self) -> TableMapping:
        if self.absent and (self.input or self.columns):
            raise ValueError("an absent table has no input and no columns")
        if not self.absent and self.input is None:
            raise ValueError("give an input (file, and sheet for a workbook), or absent: true")
        return self

    def spec(self, name: str) -> ColumnSpec:
        s = self.columns[name]
        return s if isinstance(s, ColumnSpec) else ColumnSpec(column=s)


class Defaults(_Strict):
    delimiter: str | None = None
    encoding: str | None = None
    decimal: Literal[".", ","] | None = None
    date: str | list[str] | None = None
    timestamp: str | list[str] | None = None


class Mapping(_Strict):
    version: Literal[1] = 1
    defaults: Defaults = Defaults()
    tables: dict[str, TableMapping]

    # Set after loading (not from the file):
    path: Path | None = None
    digest: str = ""

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableMapping]) -> dict[str, TableMapping]:
        unknown = [k for k in v if k not in SOURCES_BY_NAME]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a table of the source contract "
                f"(tables: {', '.join(SOURCES_BY_NAME)})"
            )
        return v

    def table(self, name: str) -> TableMapping | None:
        return self.tables.get(name)

    def table_digest(self, name: str) -> str:
        """What a landing file's remembered hash adds: a changed mapping reloads the file."""
        tm = self.tables.get(name)
        payload = json.dumps(
            [self.defaults.model_dump(), tm.model_dump() if tm else None], sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def find_mapping(source_dir: Path, explicit: str | Path | None = None) -> Path | None:
    """The mapping file: `explicit` (--mapping / BRW_MAPPING), else `sources.yml` in the source
    directory, else None (the source directory holds contract-format files)."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise MappingError(f"{path}: mapping file not found")
        return path.resolve()
    candidate = Path(source_dir) / MAPPING_FILE
    return candidate.resolve() if candidate.is_file() else None


def mapping_for(source_dir: Path, explicit: str | Path | None = None) -> Mapping | None:
    """The mapping of a source directory (find_mapping, then load_mapping), or None."""
    path = find_mapping(source_dir, explicit)
    return load_mapping(path) if path else None


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith(("function-", "str", "ColumnSpec", "int", "float", "bool")))


def load_mapping(path: Path) -> Mapping:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise MappingError(f"{path.name}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or "tables" not in data:
        raise MappingError(f"{path.name}: a mapping needs a `tables:` section (see README, 'Your own exports')")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = _where(err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "is not a mapping key here (a typo?)"
            lines.append(f"{path.name}: {where}: {msg}")
        raise MappingError("\n".join(dict.fromkeys(lines))) from None
    mapping.path = path.resolve()
    mapping.digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return mapping


def mapping_key(table: str, *parts: str) -> str:
    """The mapping key a message names: `tables.<table>.<parts>`."""
    return ".".join(["tables", table, *parts])


def source_label(source: Source, mapping: Mapping | None) -> str:
    """How a run's lines name a source's input: the contract file, or the mapped input."""
    tm = mapping.table(source.name) if mapping is not None else None
    if tm is None:
        return source.path + ("/" if source.landing_folder else "")
    return f"{source.name} (absent)" if tm.absent else f"{tm.input.file} → {source.name}"
