"""`brw sources check`: a dry run of the mapping and the contract's validation, writing nothing.

Every table is loaded exactly as `brw run` would load it (same code: pipelines.load with the
mapping), but into an in-memory DuckDB database that is thrown away, so the warehouse is never
opened. The report gives per table: the inputs, rows read, skipped (blank or filtered), loaded,
and rejected by reason with three examples each, then the values each mapped column could not
map (what to add under `values:`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines import load
from pipelines.load.contract import SOURCES
from pipelines.mapping.compile import validate
from pipelines.mapping.model import Mapping, MappingError

EXAMPLES = 3


@dataclass
class TableReport:
    table: str
    how: str  # "mapped from …", "contract file …", "absent"
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    rows_loaded: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    unmapped: list[tuple[str, str, int]] = field(default_factory=list)  # (column label, value, rows)
    error: str | None = None


def check_sources(source_dir: Path, mapping: Mapping | None, as_of: date,
                  progress: Callable[[str], None] = lambda _m: None) -> tuple[list[TableReport], str | None]:
    """(one report per contract table, the mapping-level error or None). Nothing is written."""
    conn = load.connect(":memory:")  # thrown away: the warehouse is never opened
    try:
        if mapping is not None:
            try:
                validate(conn, mapping, source_dir)
            except MappingError as exc:
                return [], str(exc)
        load.ensure_warehouse(conn)
        reports = []
        for source in SOURCES:
            progress(f"checking {source.name} …")
            tm = mapping.table(source.name) if mapping is not None else None
            how = ("absent (declared in the mapping)" if tm is not None and tm.absent
                   else f"mapped from {tm.input.file}" if tm is not None
                   else f"contract file {source.path}{'/' if source.landing_folder else ''}")
            report = TableReport(source.name, how)
            try:
                result = load.load_source(conn, source, source_dir, "sources-check", mapping=mapping, as_of=as_of)
            except load.SourceContractError as exc:
                report.error = str(exc)
                reports.append(report)
                continue
            report.files = [f.source_file for f in result.files]
            report.rows_read = result.rows_read
            report.rows_skipped = sum(f.rows_skipped for f in result.files)
            report.rows_loaded = result.rows_loaded
            report.rejected = result.reasons
            for reason in report.rejected:
                rows = conn.execute(
                    """SELECT source_file, row_number, detail FROM audit.quarantine
                       WHERE source = ? AND reason = ? ORDER BY source_file, row_number LIMIT ?""",
                    [source.name, reason, EXAMPLES],
                ).fetchall()
                report.examples[reason] = [
                    f"{f}{f' row {r}' if r is not None else ''}: {d}" for f, r, d in rows
                ]
            report.unmapped = [
                (label, value, n) for label, value, n in conn.execute(
                    r"""SELECT regexp_extract(detail, '^column (.*?): ', 1) AS label,
                               regexp_extract(detail, ': ''(.*)'' is not mapped', 1) AS value, count(*) AS n
                        FROM audit.quarantine
                        WHERE source = ? AND reason = 'bad_enum' AND detail LIKE '%is not mapped%'
                        GROUP BY ALL ORDER BY label, n DESC, value""",
                    [source.name],
                ).fetchall()
            ]
            reports.append(report)
        return reports, None
    finally:
        conn.close()


def format_report(reports: list[TableReport], mapping_path: Path | None) -> list[str]:
    lines = [f"mapping: {mapping_path}" if mapping_path else "mapping: none (contract-format files, SPEC section 2)"]
    width = max(len(r.table) for r in reports) if reports else 10
    for r in reports:
        lines.append("")
        if r.error:
            lines.append(f"{r.table:<{width}}  FAILS: {r.error}")
            continue
        if r.how.startswith("absent"):
            lines.append(f"{r.table:<{width}}  {r.how}: loads empty")
            continue
        rejected = sum(r.rejected.values())
        skipped = f", {r.rows_skipped:,} skipped (blank or filtered)" if r.rows_skipped else ""
        lines.append(
            f"{r.table:<{width}}  {r.how}: {r.rows_read:,} read{skipped}, {r.rows_loaded:,} mapped and valid, "
            f"{rejected:,} rejected"
        )
        if r.files:
            shown = ", ".join(r.files[:5]) + (f" and {len(r.files) - 5} more" if len(r.files) > 5 else "")
            lines.append(f"{'':<{width}}  files: {shown}")
        for reason, n in r.rejected.items():
            lines.append(f"{'':<{width}}  {reason}: {n:,}")
            for example in r.examples.get(reason, []):
                lines.append(f"{'':<{width}}    e.g. {example}")
        if r.unmapped:
            lines.append(f"{'':<{width}}  unmapped values (add them under `values:`):")
            for label, value, n in r.unmapped:
                lines.append(f"{'':<{width}}    {label}: {value!r} ({n:,} rows)")
    failing = [r.table for r in reports if r.error]
    lines.append("")
    lines.append(
        f"{len(failing)} table(s) cannot load: {', '.join(failing)}" if failing
        else "every table loads; nothing was written (brw run loads them)"
    )
    return lines
