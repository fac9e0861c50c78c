"""`brw sources init DIR`: a starter `sources.yml` from the exports found in a source directory.

A PMO's own exports rarely look like the source contract (SPEC section 2). Writing the mapping
(README, "Your own exports") by hand means opening every workbook, finding the header row,
matching forty column names and listing every status word. This module does the first pass:

1. **Find the inputs.** Every `*.csv` (delimiter among `, ; TAB |` and encoding UTF-8 /
   Latin-1 / cp1252 sniffed from the first 64 KB), every sheet of every `*.xlsx` and every
   `*.parquet` under DIR (hidden folders and `sources.yml` skipped). The header row is the first
   of the first 20 rows whose cells are mostly text and about as wide as the table (a title row
   above the header is skipped). Files in one folder with the same header form one glob input.
2. **Profile them.** Each input is read with the mapping engine's own reader
   (`pipelines.mapping.read_input`, so headers are exactly what `brw run` will see), and one
   DuckDB query per input counts, per column, values that look like numbers, ISO dates, Excel
   serial days or each candidate date format, and keeps the 31 most frequent values.
3. **Match.** Each contract column is scored against each header: normalised names, a synonym
   table (`PM` → project_manager, `Phase` → stage, `BAC` → budget_at_completion, …), difflib
   similarity, and whether the values fit the column's type (dates for a date, status words for
   an enum). Each contract table takes the input that covers it best, helped by the file or sheet
   name (`risks.csv` → raid_log). A wide sheet (a date column and many numeric KPI columns) is
   proposed for kpi_measurements with an `unpivot`.
4. **Propose.** Value maps for enums (`In Flight` → active, `G` → green), date formats
   (`31/12/2024` → `%d/%m/%Y`; ambiguous day/month order is a TODO), number options (`£1,250k`,
   scale from a `(£k)` header), a constant currency from a `£` in the money columns.
5. **Write** YAML with comments: every guess the tool is not sure of carries a `# TODO: …`;
   a required column without a match gets `{value: TODO}`; a table without a decent input is
   written commented out. The text is deterministic for the same files.

Public API: `starter_mapping(source_dir)` (the YAML text) and `write_starter(source_dir, force)`
(writes `sources.yml`, returns the report lines the CLI prints).

Modules: `discover` (finding and sniffing the inputs), `column_profile` (what a column holds),
`synonyms` (the names and words of other organisations, as data), `names` (scoring headers),
`proposals` (value maps, date formats, number options), `matching` (one input per table),
`writer` and `yaml_text` (the YAML).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.load.validation import PARSE_MACROS
from pipelines.mapping.model import MAPPING_FILE
from pipelines.mapping.starter.discover import discover_inputs
from pipelines.mapping.starter.matching import plan_tables
from pipelines.mapping.starter.writer import MappingWriter, StarterResult

__all__ = ["starter_mapping", "write_starter"]


def _starter(source_dir: Path) -> StarterResult:
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise NotADirectoryError(f"{source_dir}: not a directory")
    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(PARSE_MACROS)
        conn.execute("CREATE TEMP TABLE _malformed (source_file VARCHAR, row_number BIGINT, record VARCHAR, detail VARCHAR)")
        inputs, notes = discover_inputs(conn, source_dir)
        plans = plan_tables(inputs)
        return MappingWriter(conn, source_dir, plans).render(source_dir.resolve(), notes)
    finally:
        conn.close()


def starter_mapping(source_dir: Path) -> str:
    """YAML text of a starter sources.yml for the exports found in source_dir."""
    return _starter(source_dir).text


def write_starter(source_dir: Path, force: bool = False) -> tuple[Path, list[str]]:
    """Write source_dir/sources.yml (refuse with FileExistsError when present unless force).

    Returns (path, report lines) — report lines are what the CLI prints: per contract table which
    file/sheet was chosen and how many columns matched, and each TODO (then any file skipped)."""
    path = Path(source_dir) / MAPPING_FILE
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; keep it, or overwrite it with --force")
    result = _starter(source_dir)
    path.write_text(result.text, encoding="utf-8")
    return path, result.report
