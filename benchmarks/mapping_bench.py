"""Mapping benchmark (`make bench`): a wide KPI sheet through sources.yml vs the same data in
contract format.

The same measurements are written twice: as contract-format CSV (kpi_id, measured_on, value,
recorded_at: one row per measurement) and as a wide CSV the way KPI systems export them (one
row per day: `Date` as dd/mm/yyyy, `Recorded` as ISO 8601, one column per KPI headed by its
name) with a `sources.yml` that unpivots it and maps the KPI names to ids. Each is loaded into a
fresh warehouse by `pipelines.load.load_source` (kpi_definitions first, as `brw run` does),
each figure the median of `--repeat` runs in a fresh process. Target: mapped ≤ 1.5× contract.
Results: benchmarks/mapping_results.md.

    python -m benchmarks.mapping_bench --kpis 500 --days 20000     # 10M measurements
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-21"
TARGET = 1.5
FIRST_DAY = date(1990, 1, 1)


def write_workbook(mapped: Path) -> Path:
    """The mapped directory's wide CSV as a workbook (typed cells: dates and numbers) next to it,
    with the mapping pointed at it: the .xlsx path (python-calamine) on the same data."""
    import openpyxl
    import yaml

    out = mapped.parent / "mapped_xlsx"
    (out / "kpi").mkdir(parents=True)
    (out / "kpi_definitions.csv").write_bytes((mapped / "kpi_definitions.csv").read_bytes())
    conn = duckdb.connect()
    rel = conn.execute(f"SELECT * FROM read_csv('{mapped / 'kpi' / 'daily.csv'}', all_varchar = true)")
    header = [d[0] for d in rel.description]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Daily")
    sheet.append(header)
    from datetime import datetime

    for row in rel.fetchall():
        day = datetime.strptime(row[0], "%d/%m/%Y").date()
        sheet.append([day, row[1], *(float(v) if v is not None else None for v in row[2:])])
    book.save(out / "kpi" / "daily.xlsx")
    mapping = yaml.safe_load((mapped / "sources.yml").read_text())
    table = mapping["tables"]["kpi_measurements"]
    table["input"] = {"file": "kpi/*.xlsx", "sheet": "Daily"}
    table["columns"]["measured_on"] = "Date"  # a date cell needs no format
    (out / "sources.yml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    return out


def write_sources(base: Path, kpis: int, days: int) -> tuple[Path, Path]:
    """(contract-format source dir, mapped source dir) holding the same measurements."""
    contract, mapped = base / "contract", base / "mapped"
    (contract / "kpi_measurements").mkdir(parents=True)
    (mapped / "kpi").mkdir(parents=True)
    conn = duckdb.connect()
    conn.execute(f"""
        CREATE TABLE defs AS SELECT
            printf('K%04d', i) AS kpi_id, printf('KPI number %d', i) AS kpi_name, 'count' AS unit,
            'sum' AS aggregation, 'daily' AS frequency, 'Data Owner' AS data_owner, 'Bench' AS source_system
        FROM range(1, {kpis + 1}) AS t(i)""")
    conn.execute(f"""
        CREATE TABLE days AS SELECT DATE '{FIRST_DAY}' + CAST(d AS INTEGER) AS measured_on FROM range({days}) AS t(d)""")
    # A deterministic value per (kpi, day): hash-based, two decimals.
    conn.execute("""
        CREATE TABLE m AS SELECT d.kpi_id, days.measured_on,
               round((hash(d.kpi_id || days.measured_on) % 100000) / 100.0, 2) AS value,
               strftime(days.measured_on + INTERVAL 1 DAY + INTERVAL 6 HOUR, '%Y-%m-%dT%H:%M:%SZ') AS recorded_at
        FROM defs d CROSS JOIN days""")
    for folder in (contract, mapped):
        conn.execute(f"COPY defs TO '{folder / 'kpi_definitions.csv'}' (HEADER)")
    conn.execute(f"COPY (SELECT * FROM m ORDER BY measured_on, kpi_id) TO '{contract / 'kpi_measurements' / 'all.csv'}' (HEADER)")
    conn.execute(f"""
        COPY (
            PIVOT (SELECT strftime(m.measured_on, '%d/%m/%Y') AS "Date", m.recorded_at AS "Recorded",
                          defs.kpi_name, m.value, m.measured_on
                   FROM m JOIN defs USING (kpi_id))
            ON kpi_name USING any_value(value) GROUP BY measured_on, "Date", "Recorded" ORDER BY measured_on
        ) TO '{mapped / 'kpi' / 'daily.csv'}' (HEADER)""")
    # The PIVOT keeps measured_on as a column: drop it from the file by rewriting without it.
    wide = mapped / "kpi" / "daily.csv"
    conn.execute(f"COPY (SELECT * EXCLUDE (measured_on) FROM read_csv('{wide}', all_varchar = true)) TO '{wide}.tmp' (HEADER)")
    Path(f"{wide}.tmp").replace(wide)
    names = {name: kpi_id for kpi_id, name in conn.execute("SELECT kpi_id, kpi_name FROM defs").fetchall()}
    mapping = {
        "version": 1,
        "tables": {
            "kpi_measurements": {
                "input": {"file": "kpi/*.csv"},
                "unpivot": {"exclude": ["Date", "Recorded"], "names_to": "kpi", "values_to": "reading"},
                "columns": {
                    "kpi_id": {"column": "kpi", "values": names},
                    "measured_on": {"column": "Date", "date": "%d/%m/%Y"},
                    "value": "reading",
                    "recorded_at": "Recorded",
                },
            }
        },
    }
    import yaml

    (mapped / "sources.yml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    conn.close()
    return contract, mapped


LOAD = """
import json, sys, time
from datetime import date
from pathlib import Path
from pipelines import load
from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.mapping import find_mapping, load_mapping
source, warehouse = Path(sys.argv[1]), sys.argv[2]
path = find_mapping(source)
mapping = load_mapping(path) if path else None
conn = load.connect(warehouse)
start = time.perf_counter()
rows = 0
for name in ("kpi_definitions", "kpi_measurements"):
    r = load.load_source(conn, SOURCES_BY_NAME[name], source, "bench", mapping=mapping, as_of=date(2026, 11, 21))
    rows = r.rows_loaded
    quarantined = r.rows_quarantined
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "quarantined": quarantined}))
"""


def load_once(source: Path, workdir: Path, k: int) -> dict:
    warehouse = workdir / f"w-{source.name}-{k}.duckdb"
    out = subprocess.run([sys.executable, "-c", LOAD, str(source), str(warehouse)], cwd=REPO,
                         check=True, capture_output=True, text=True)
    warehouse.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kpis", type=int, default=500)
    parser.add_argument("--days", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx-kpis", type=int, default=100, help="the workbook tier: KPIs (columns)")
    parser.add_argument("--xlsx-days", type=int, default=10000, help="the workbook tier: days (rows)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "mapping_results.md"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="brw-mapbench-") as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        contract, mapped = write_sources(base, args.kpis, args.days)
        print(f"wrote {args.kpis * args.days:,} measurements twice in {time.perf_counter() - started:.1f} s", flush=True)
        sizes = {d.name: sum(f.stat().st_size for f in d.rglob("*.csv")) for d in (contract, mapped)}
        runs: dict[str, list[dict]] = {"contract": [], "mapped": []}
        for k in range(args.repeat):
            for name, folder in (("contract", contract), ("mapped", mapped)):
                runs[name].append(load_once(folder, base, k))
                print(f"{name} run {k + 1}: {runs[name][-1]['seconds']:.1f} s", flush=True)
        # The workbook tier: a smaller wide sheet (an .xlsx holds at most 1,048,576 rows).
        small = base / "xlsx"
        small_contract, small_mapped = write_sources(small, args.xlsx_kpis, args.xlsx_days)
        workbook = write_workbook(small_mapped)
        book_runs: dict[str, list[dict]] = {"contract": [], "workbook": []}
        for k in range(args.repeat):
            for name, folder in (("contract", small_contract), ("workbook", workbook)):
                book_runs[name].append(load_once(folder, small, k))
                print(f"xlsx tier {name} run {k + 1}: {book_runs[name][-1]['seconds']:.1f} s", flush=True)
        book_size = (workbook / "kpi" / "daily.xlsx").stat().st_size
    med = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    rows = {name: rs[-1]["rows"] for name, rs in runs.items()}
    ratio = med["mapped"] / med["contract"]
    assert rows["contract"] == rows["mapped"] == args.kpis * args.days, rows
    book_med = {name: statistics.median(r["seconds"] for r in rs) for name, rs in book_runs.items()}
    book_rows = {name: rs[-1]["rows"] for name, rs in book_runs.items()}
    assert book_rows["contract"] == book_rows["workbook"] == args.xlsx_kpis * args.xlsx_days, book_rows
    book_ratio = book_med["workbook"] / book_med["contract"]
    lines = [
        "# Mapping benchmark (`make bench`)",
        "",
        f"{args.kpis * args.days:,} KPI measurements ({args.kpis} KPIs × {args.days:,} days), loaded by",
        "`pipelines.load.load_source` (kpi_definitions, then kpi_measurements) into a fresh warehouse,",
        f"median of {args.repeat} runs each in a fresh process (benchmarks/mapping_bench.py).",
        "",
        "| input | files | size | load | rows loaded |",
        "|---|---|---|---|---|",
        f"| contract format (long CSV: kpi_id, measured_on, value, recorded_at) | 1 | {sizes['contract'] / 2**20:,.0f} MiB "
        f"| {med['contract']:.1f} s | {rows['contract']:,} |",
        f"| wide CSV through sources.yml (unpivot, KPI names → ids, dd/mm/yyyy) | 1 | {sizes['mapped'] / 2**20:,.0f} MiB "
        f"| {med['mapped']:.1f} s | {rows['mapped']:,} |",
        "",
        f"Mapped ÷ contract: **{ratio:.2f}×** (target ≤ {TARGET}×: {'met' if ratio <= TARGET else 'missed'}).",
        "",
        f"Workbook tier: {args.xlsx_kpis * args.xlsx_days:,} measurements ({args.xlsx_kpis} KPIs × {args.xlsx_days:,} days) "
        f"as a wide `.xlsx` ({book_size / 2**20:,.0f} MiB, date and number cells, read by python-calamine) through the "
        f"same mapping: {book_med['workbook']:.1f} s against {book_med['contract']:.1f} s for the same data in contract "
        f"format: **{book_ratio:.2f}×**.",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
