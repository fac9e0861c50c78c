"""Validated loading of source files into the warehouse's `raw` schema (SPEC sections 2 and 5).

All data work is DuckDB SQL generated from `pipelines.load.contract`:

1. every file is read by DuckDB's own reader with every field as text (CSV: `read_csv` with
   `store_rejects`, so a row with the wrong number of fields is kept as `malformed_row`;
   Parquet: `read_parquet`, values cast to text so both formats pass the same checks);
2. one SQL statement types every column and gives each row the first rule it breaks
   (`missing_required`, `bad_type`, `bad_enum`, `bad_range`, `target_not_an_improvement`,
   `unknown_reference`), then window functions find `duplicate_key` and, for KPI measurements,
   `conflicting_duplicate` (same kpi_id, measured_on and recorded_at with different values);
3. inside one transaction the good rows replace the raw table (or, for the landing folder, the
   rows of the files being loaded), bad rows replace that file's rows in `audit.quarantine`,
   and `audit.load_audit` gets rows_read = rows_loaded + rows_quarantined per file and run.

A missing required file or column raises `SourceContractError` before anything is written.
In the landing folder a file that cannot be read at all (a header that lacks or repeats a
required column, not UTF-8 text, not Parquet, a link out of the source directory) is rejected on
its own (`rejected_file`, one quarantine record naming file, row and column) and the other files
of the batch load.

Hostile or careless input is contained here, not downstream (issue 11): dates outside the
plausible window are `bad_range`; non-finite numbers (`1e309`) are `bad_type`; timestamps are
parsed row by row as ISO 8601 with `Z` or an offset within +-14:00 (a named zone is `bad_type`);
a CSV that DuckDB's reader cannot take (a stray quote, a field over 2 MB, mixed line endings)
is read again record by record, so one bad line costs one row, not the file.

Modules: `contract` (SPEC section 2 as data), `warehouse` (connection, schemas, audit tables),
`readers` (files into the stage), `validation` (the checking SQL), `landing` (new and changed
landing files), `quarantine`, `results` and `loader` (`load_source`). Dagster-free: the ingest
assets (`pipelines.defs`) call `load_source`.
"""

from pipelines.load.contract import SourceContractError
from pipelines.load.landing import landing_signatures
from pipelines.load.loader import load_source
from pipelines.load.quarantine import quarantine_samples
from pipelines.load.results import FileLoad, LoadResult
from pipelines.load.validation import PARSE_MACROS
from pipelines.load.warehouse import connect, ensure_warehouse, literal, quote

__all__ = [
    "PARSE_MACROS",
    "FileLoad",
    "LoadResult",
    "SourceContractError",
    "connect",
    "ensure_warehouse",
    "landing_signatures",
    "literal",
    "load_source",
    "quarantine_samples",
    "quote",
]
