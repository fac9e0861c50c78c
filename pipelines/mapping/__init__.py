"""Foreign exports in: a `sources.yml` maps an organisation's own files onto the source contract.

A PMO analyst writes the mapping once, without Python (README, "Your own exports"). For each
contract table (SPEC section 2) it names the input (a CSV in any delimiter and encoding, an
`.xlsx` sheet, Parquet; a glob reads every match), and for each contract column an input column,
a constant or a DuckDB SQL expression, with value maps for enums, date formats and number
parsing. A wide KPI sheet (one column per KPI) is unpivoted into one measurement per cell.

How it runs: the input is read with every field as text into a temporary table (`.xlsx` through
python-calamine, with the row numbers Excel shows), and one generated SQL statement turns it
into the contract's stage table, with an error message per column where a value cannot be
converted (`stage ← 'Phase': 'Parked' is not mapped`). From there the contract's own checks,
quarantine, reconciliation and transactions apply unchanged (`pipelines.load`). A quarantined
row keeps its original record, file (with `#sheet`) and row number.

The mapping is validated before anything is loaded (`validate`): an unknown key, an unknown
input column, an expression DuckDB cannot bind or a required contract column left unmapped is
a `MappingError` naming the mapping key and the file.

Modules: `model` (the mapping file), `inputs` (reading an input as text), `conversions` (text
to contract types), `compile` (the stage SQL, `validate`), `check` (`brw sources check`, a dry
run) and `starter` (`brw sources init`, a first mapping from the exports found).
"""

from pipelines.mapping.check import check_sources, format_report
from pipelines.mapping.compile import (
    compile_table,
    mapped_stage,
    stage_input,
    stage_sql,
    validate,
)
from pipelines.mapping.conversions import date_sql, number_sql, timestamp_sql
from pipelines.mapping.inputs import EXCEL_SUFFIXES, file_label, input_files, input_signatures, read_input
from pipelines.mapping.model import (
    MAPPING_FILE,
    InputSpec,
    Mapping,
    MappingError,
    NumberFormat,
    TableMapping,
    find_mapping,
    load_mapping,
    mapping_for,
    source_label,
)
from pipelines.mapping.starter import starter_mapping, write_starter

__all__ = [
    "EXCEL_SUFFIXES",
    "MAPPING_FILE",
    "InputSpec",
    "Mapping",
    "MappingError",
    "NumberFormat",
    "TableMapping",
    "check_sources",
    "compile_table",
    "date_sql",
    "file_label",
    "find_mapping",
    "format_report",
    "input_files",
    "input_signatures",
    "load_mapping",
    "mapped_stage",
    "mapping_for",
    "number_sql",
    "read_input",
    "source_label",
    "stage_input",
    "stage_sql",
    "starter_mapping",
    "timestamp_sql",
    "validate",
    "write_starter",
]
