"""Hostile and careless source files (issue 11, items 1-5): a table of variants at the ingest
level, then a few end-to-end runs that show the marts stay true.

Every ingest variant starts from the same loaded warehouse (the tiny source directory, loaded
once), changes one thing in a private copy of the sources and loads the affected source only.
For each variant it asserts: whether the load fails (a single file that cannot be read fails its
source, SPEC section 5), the exact quarantine (row, reason, column) of the changed file, the
reconciliation of every file of the load (read = loaded + quarantined, and the tables agree),
and, when the load fails, that the raw table is exactly what it was before.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.load.contract import SOURCES, SOURCES_BY_NAME
from pipelines.load import SourceContractError, connect, load_source
from pipelines.cli.summaries import print_load_summary
from pipelines.settings import DateWindow, Settings
from tests.conftest import TINY, fetch_all

AS_OF = date(2026, 12, 1)  # window 1990-01-01 .. 2056-12-01
HEADER = "kpi_id,measured_on,value,recorded_at"
GOOD = "K1,2024-03-01,5,2024-03-02T00:00:00Z"
GOOD2 = "K2,2024-03-08,7.5,2024-03-09T00:00:00Z"
FUZZ = "kpi_measurements/fuzz.csv"
PROJECTS_HEADER = (TINY / "projects.csv").read_text(encoding="utf-8").splitlines()[0]
PROJECT_ROW = "P7,Fuzz Project,Operations,,Ann Archer,Bob Baker,Finance,active,{start},2026-12-31,,{budget},GBP,"


def kpi_file(*rows: str, header: str = HEADER, name: str = "fuzz.csv", end: str = "\n", encoding: str = "utf-8"):
    def write(src: Path) -> None:
        text = end.join([header, *rows]) + end
        (src / "kpi_measurements" / name).write_bytes(text.encode(encoding))
    return write


def kpi_bytes(data: bytes, name: str = "fuzz.csv"):
    def write(src: Path) -> None:
        (src / "kpi_measurements" / name).write_bytes(data)
    return write


def both(*writers):
    def write(src: Path) -> None:
        for w in writers:
            w(src)
    return write


def add_project(start: str = "2025-03-01", budget: str = "1000"):
    def write(src: Path) -> None:
        path = src / "projects.csv"
        with path.open("a", encoding="utf-8") as f:
            f.write(PROJECT_ROW.format(start=start, budget=budget) + "\n")
    return write


def projects_text(text: str):
    def write(src: Path) -> None:
        (src / "projects.csv").write_text(text, encoding="utf-8")
    return write


def link(name: str, target: Callable[[Path], Path]):
    def write(src: Path) -> None:
        dest = src / name
        dest.unlink(missing_ok=True)
        dest.symlink_to(target(src))
    return write


def outside_csv(tmp_root: Path, text: str) -> Path:
    path = tmp_root / "outside.csv"
    path.write_text(text, encoding="utf-8")
    return path


def parquet_file(table: pa.Table, name: str = "fuzz.parquet"):
    def write(src: Path) -> None:
        pq.write_table(table, src / "kpi_measurements" / name)
    return write


def kpi_parquet(measured_on: date, value: float) -> pa.Table:
    return pa.table({
        "kpi_id": pa.array(["K1", "K2"]),
        "measured_on": pa.array([measured_on, date(2024, 3, 8)], pa.date32()),
        "value": pa.array([value, 7.5], pa.float64()),
        "recorded_at": pa.array([datetime(2024, 3, 2), datetime(2024, 3, 9)], pa.timestamp("us")),
    })


@dataclass
class Variant:
    name: str
    change: Callable[[Path], None]
    source: str = "kpi_measurements"
    file: str = FUZZ
    quarantine: set = field(default_factory=set)  # {(row_number, reason, column)} of `file`
    loaded: int | None = None  # rows of `file` in raw after the load
    fails: str | None = None  # the load raises SourceContractError matching this text
    other_files: dict = field(default_factory=dict)  # {file: rows loaded} for the rest of the batch
    keeps_planted: bool = True  # the file keeps the tiny directory's planted bad rows (expected too)


LANDING = [
    Variant("clean file", kpi_file(GOOD, GOOD2), loaded=2),
    Variant("1e309 is not a number", kpi_file(GOOD, "K1,2024-03-02,1e309,2024-03-03T00:00:00Z"),
            quarantine={(3, "bad_type", "value")}, loaded=1),
    Variant("-1e309 is not a number", kpi_file("K1,2024-03-02,-1e309,2024-03-03T00:00:00Z", GOOD),
            quarantine={(2, "bad_type", "value")}, loaded=1),
    Variant("NaN", kpi_file("K1,2024-03-02,NaN,2024-03-03T00:00:00Z"), quarantine={(2, "bad_type", "value")}, loaded=0),
    Variant("inf", kpi_file("K1,2024-03-02,inf,2024-03-03T00:00:00Z"), quarantine={(2, "bad_type", "value")}, loaded=0),
    Variant("decimal comma", kpi_file('K1,2024-03-02,"1,5",2024-03-03T00:00:00Z'),
            quarantine={(2, "bad_type", "value")}, loaded=0),
    Variant("year 0205 (typo for 2025)", kpi_file("K1,0205-03-01,5,2024-03-02T00:00:00Z", GOOD),
            quarantine={(2, "bad_range", "measured_on")}, loaded=1),
    Variant("year 0001", kpi_file("K1,0001-01-01,5,2024-03-02T00:00:00Z"),
            quarantine={(2, "bad_range", "measured_on")}, loaded=0),
    Variant("year 2999", kpi_file("K1,2999-01-01,5,2024-03-02T00:00:00Z"),
            quarantine={(2, "bad_range", "measured_on")}, loaded=0),
    Variant("day-first date", kpi_file("K1,31/12/2024,5,2024-03-02T00:00:00Z"),
            quarantine={(2, "bad_type", "measured_on")}, loaded=0),
    Variant("30 February", kpi_file("K1,2024-02-30,5,2024-03-02T00:00:00Z"),
            quarantine={(2, "bad_type", "measured_on")}, loaded=0),
    Variant("offset +99:00", kpi_file("K1,2024-03-02,5,2024-06-01T00:00:00+99:00", GOOD),
            quarantine={(2, "bad_type", "recorded_at")}, loaded=1),
    Variant("offset +14:01", kpi_file("K1,2024-03-02,5,2024-06-01T00:00:00+14:01"),
            quarantine={(2, "bad_type", "recorded_at")}, loaded=0),
    Variant("named zone", kpi_file("K1,2024-03-02,5,2024-06-01T00:00:00America/New_York", "K1,2024-03-03,6,2024-06-01"),
            quarantine={(2, "bad_type", "recorded_at")}, loaded=1),
    Variant("recorded in year 0001", kpi_file("K1,2024-03-02,5,0001-01-01T00:00:00Z"),
            quarantine={(2, "bad_range", "recorded_at")}, loaded=0),
    Variant("offsets and date-only timestamps", kpi_file(
        "K1,2024-03-02,5,2024-06-01T05:00:00+05:30", "K1,2024-03-03,5,2024-06-01", "K1,2024-03-04,5,2024-06-01 05:00-0800",
        "K1,2024-03-05,5,2024-06-01t05:00:00.123456z"), loaded=4),
    Variant("stray quote at the start of a field", kpi_file(GOOD, 'K1,2024-03-02,"2,2024-03-03T00:00:00Z', GOOD2),
            quarantine={(3, "malformed_row", None)}, loaded=2),
    Variant("stray quote at the end of the file", kpi_file(GOOD, 'K1,2024-03-02,2,"2024-03-03'),
            quarantine={(3, "malformed_row", None)}, loaded=1),
    Variant("quote inside a field", kpi_file('K1,2024-03-02,2"x,2024-03-03T00:00:00Z', GOOD),
            quarantine={(2, "bad_type", "value")}, loaded=1),
    Variant("quoted field followed by text", kpi_file('K1,2024-03-02,"2"x,2024-03-03T00:00:00Z', GOOD),
            quarantine={(2, "malformed_row", None)}, loaded=1),
    Variant("field over 2 MB", kpi_file(GOOD, "K1,2024-03-02," + "9" * 2_100_000 + ",2024-03-03T00:00:00Z", GOOD2),
            quarantine={(3, "malformed_row", None)}, loaded=2),
    Variant("too many fields", kpi_file(GOOD, "K1,2024-03-02,5,2024-03-03T00:00:00Z,extra"),
            quarantine={(3, "malformed_row", None)}, loaded=1),
    Variant("too few fields", kpi_file("K1,2024-03-02", GOOD), quarantine={(2, "malformed_row", None)}, loaded=1),
    Variant("blank lines", kpi_file(GOOD, "", "", GOOD2), loaded=2),
    Variant("quoted field over two lines", kpi_file('"K\n1",2024-03-02,5,2024-03-03T00:00:00Z', GOOD),
            quarantine={(2, "unknown_reference", "kpi_id")}, loaded=1),
    Variant("NUL byte", kpi_file("K1,2024-03-02,5\x00,2024-03-03T00:00:00Z", GOOD),
            quarantine={(2, "bad_type", "value")}, loaded=1),
    Variant("Latin-1 byte in a row", kpi_bytes(f"{HEADER}\n{GOOD}\nK\xe9,2024-03-02,5,2024-03-03T00:00:00Z\n{GOOD2}\n"
                                               .encode("latin-1")),
            quarantine={(3, "malformed_row", None)}, loaded=2),
    Variant("BOM and CRLF", kpi_bytes(("\ufeff" + HEADER + "\r\n" + GOOD + "\r\n" + GOOD2 + "\r\n").encode("utf-8")),
            loaded=2),
    Variant("CR line endings", kpi_file(GOOD, GOOD2, end="\r"), loaded=2),
    Variant("CRLF header, LF rows", kpi_bytes((HEADER + "\r\n" + GOOD + "\n" + GOOD2 + "\n").encode("utf-8")), loaded=2),
    Variant("spaces around fields", kpi_file(" K1 , 2024-03-01 , 5 , 2024-03-02T00:00:00Z "), loaded=1),
    Variant("header only", kpi_file(), loaded=0),
    Variant("conflicting duplicate", kpi_file(GOOD, "K1,2024-03-01,6,2024-03-02T00:00:00Z"),
            quarantine={(2, "conflicting_duplicate", "value"), (3, "conflicting_duplicate", "value")}, loaded=0),
    Variant("exact duplicate counts once", kpi_file(GOOD, GOOD), loaded=2),
    Variant("formula as a KPI id", kpi_file("=HYPERLINK(\"http://x\"),2024-03-02,5,2024-03-03T00:00:00Z"),
            quarantine={(2, "unknown_reference", "kpi_id")}, loaded=0),
    Variant("duplicated header column", both(kpi_file("K1,2024-03-02,5,6,2024-03-03T00:00:00Z",
                                                      header="kpi_id,measured_on,value,value,recorded_at"),
                                             kpi_file(GOOD, name="fuzz_ok.csv")),
            quarantine={(1, "rejected_file", "value")}, loaded=0, other_files={"kpi_measurements/fuzz_ok.csv": 1}),
    Variant("header lacks a column", both(kpi_file("K1,2024-03-02,5", header="kpi_id,measured_on,value"),
                                          kpi_file(GOOD, name="fuzz_ok.csv")),
            quarantine={(1, "rejected_file", "recorded_at")}, loaded=0, other_files={"kpi_measurements/fuzz_ok.csv": 1}),
    Variant("semicolons", kpi_file("K1;2024-03-02;5;2024-03-03T00:00:00Z", header=HEADER.replace(",", ";")),
            quarantine={(1, "rejected_file", "kpi_id")}, loaded=0),
    Variant("UTF-16", kpi_file(GOOD, encoding="utf-16"), quarantine={(1, "rejected_file", None)}, loaded=0),
    Variant("empty file", kpi_bytes(b""), quarantine={(1, "rejected_file", None)}, loaded=0),
    Variant("not Parquet", both(kpi_bytes(b"PAR1 this is no parquet", name="fuzz.parquet"), kpi_file(GOOD, name="fuzz_ok.csv")),
            file="kpi_measurements/fuzz.parquet", quarantine={(None, "rejected_file", None)}, loaded=0,
            other_files={"kpi_measurements/fuzz_ok.csv": 1}),
    Variant("Parquet infinity", parquet_file(kpi_parquet(date(2024, 3, 1), float("inf"))),
            file="kpi_measurements/fuzz.parquet", quarantine={(1, "bad_type", "value")}, loaded=1),
    Variant("Parquet year 0205", parquet_file(kpi_parquet(date(205, 3, 1), 5.0)),
            file="kpi_measurements/fuzz.parquet", quarantine={(1, "bad_range", "measured_on")}, loaded=1),
    Variant("link to a CSV outside", both(
                link("kpi_measurements/fuzz.csv", lambda src: outside_csv(src.parent, f"{HEADER}\n{GOOD}\n")),
                kpi_file(GOOD2, name="fuzz_ok.csv")),
            quarantine={(None, "rejected_file", None)}, loaded=0, other_files={"kpi_measurements/fuzz_ok.csv": 1}),
    Variant("link to /etc/passwd", link("kpi_measurements/fuzz.csv", lambda src: Path("/etc/passwd")),
            quarantine={(None, "rejected_file", None)}, loaded=0),
    Variant("link inside the source directory", both(
                lambda src: (src / "kept.csv").write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8"),
                link("kpi_measurements/fuzz.csv", lambda src: src / "kept.csv")),
            loaded=1),
]

SINGLE_FILE = [
    Variant("project started in 0205", add_project(start="0205-03-01"), source="projects", file="projects.csv",
            quarantine={(12, "bad_range", "start_date")}),
    Variant("project budget 1e309", add_project(budget="1e309"), source="projects", file="projects.csv",
            quarantine={(12, "bad_type", "budget_at_completion")}),
    Variant("stray quote in the register", projects_text(
                PROJECTS_HEADER + "\n" + PROJECT_ROW.format(start="2025-03-01", budget="1000").replace("Fuzz", '"Fuzz') + "\n"
                + PROJECT_ROW.format(start="2025-03-01", budget="1000").replace("P7", "P8") + "\n"),
            source="projects", file="projects.csv", quarantine={(2, "malformed_row", None)}, loaded=1,
            keeps_planted=False),
    Variant("duplicated header column in the register", projects_text(
                PROJECTS_HEADER.replace("sponsor", "sponsor,sponsor") + "\nP7,x,y,,a,a,b,c,active\n"),
            source="projects", file="projects.csv", fails="names column sponsor 2 times"),
    Variant("register is a link outside", link("projects.csv", lambda src: outside_csv(src.parent, PROJECTS_HEADER + "\n")),
            source="projects", file="projects.csv", fails="link to a file outside the source directory"),
    Variant("register is a link to /etc/passwd", link("projects.csv", lambda src: Path("/etc/passwd")),
            source="projects", file="projects.csv", fails="link to a file outside the source directory"),
    Variant("benefit target in 2999", lambda src: _edit(src / "benefits.csv", "2024-12-01,linear", "2999-12-01,linear"),
            source="benefits", file="benefits.csv", quarantine={(2, "bad_range", "target_date")}),
]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """The tiny sources loaded once; every variant starts from a copy of this warehouse."""
    base = tmp_path_factory.mktemp("hostile") / "base.duckdb"
    conn = connect(base)
    try:
        for source in SOURCES:
            load_source(conn, source, TINY, "run-base", as_of=AS_OF)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return base


def _raw_digest(warehouse: Path, source: str) -> str:
    rows = fetch_all(warehouse, f"SELECT * EXCLUDE (_run_id, _loaded_at) FROM raw.{source} ORDER BY ALL")
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def run_variant(variant: Variant, baseline: Path, tmp_path: Path):
    source_dir = tmp_path / "source"
    shutil.copytree(TINY, source_dir)
    variant.change(source_dir)
    warehouse = tmp_path / "brw.duckdb"
    shutil.copyfile(baseline, warehouse)
    before = _raw_digest(warehouse, variant.source)
    conn = connect(warehouse)
    error = None
    try:
        result = load_source(conn, SOURCES_BY_NAME[variant.source], source_dir, "run-fuzz", as_of=AS_OF)
    except SourceContractError as exc:
        error, result = exc, None
    finally:
        conn.close()
    return warehouse, before, error, result


@pytest.mark.parametrize("variant", LANDING + SINGLE_FILE, ids=lambda v: v.name)
def test_hostile_variant(variant: Variant, baseline: Path, tmp_path: Path):
    warehouse, before, error, result = run_variant(variant, baseline, tmp_path)
    if variant.fails:
        assert error is not None, "the load should fail"
        message = str(error)
        assert variant.file in message and variant.fails in message
        assert "root:" not in message  # nothing of a linked file leaks into the message
        assert _raw_digest(warehouse, variant.source) == before, "a failed load changed raw"
        return
    assert error is None, f"the load failed: {error}"
    got = set(fetch_all(
        warehouse, "SELECT row_number, reason, column_name FROM audit.quarantine WHERE source_file = ? AND run_id = ?",
        [variant.file, "run-fuzz"]))
    planted = set(fetch_all(
        baseline, "SELECT row_number, reason, column_name FROM audit.quarantine WHERE source_file = ?", [variant.file]
    )) if variant.keeps_planted else set()
    assert got == variant.quarantine | planted
    if variant.loaded is not None:
        rows = fetch_all(warehouse, f"SELECT count(*) FROM raw.{variant.source} WHERE _source_file = ?", [variant.file])
        assert rows[0][0] == variant.loaded
    for other, n in variant.other_files.items():
        rows = fetch_all(warehouse, f"SELECT count(*) FROM raw.{variant.source} WHERE _source_file = ?", [other])
        assert rows[0][0] == n, f"{other} of the same batch should load"
    # Reconciliation of every file the load read: read = loaded + quarantined; raw and quarantine agree.
    audit = fetch_all(warehouse, f"""
        SELECT a.source_file, a.rows_read, a.rows_loaded, a.rows_quarantined,
               (SELECT count(*) FROM raw.{variant.source} r WHERE r._source_file = a.source_file),
               (SELECT count(*) FROM audit.quarantine q WHERE q.source_file = a.source_file
                  AND q.reason <> 'rejected_file')
        FROM audit.load_audit a WHERE a.run_id = 'run-fuzz'""")
    assert audit, "the load wrote no audit"
    for file, read, loaded, quarantined, in_raw, in_quarantine in audit:
        assert read == loaded + quarantined, file
        assert (loaded, quarantined) == (in_raw, in_quarantine), file
    # A rejected file is named with its row and column and never read past its header.
    for file, detail in fetch_all(warehouse, "SELECT source_file, detail FROM audit.quarantine WHERE reason = 'rejected_file'"):
        assert detail and "root:" not in detail


def test_at_least_forty_variants():
    assert len(LANDING) + len(SINGLE_FILE) >= 40


def test_timestamps_are_parsed_row_by_row(baseline: Path, tmp_path: Path):
    """A named zone is rejected and does not shift the date-only row after it; offsets convert to UTC."""
    variant = Variant("zones", kpi_file(
        "K1,2024-03-02,5,2024-06-01T00:00:00America/New_York", "K1,2024-03-03,6,2024-06-01",
        "K1,2024-03-04,7,2024-06-01T05:00:00+05:30", "K1,2024-03-05,8,2024-06-01T05:00:00-08:00"))
    warehouse, *_ = run_variant(variant, baseline, tmp_path)
    rows = fetch_all(warehouse, "SELECT measured_on::VARCHAR, recorded_at::VARCHAR FROM raw.kpi_measurements "
                                "WHERE _source_file = ? ORDER BY 1", [FUZZ])
    assert rows == [
        ("2024-03-03", "2024-06-01 00:00:00"),
        ("2024-03-04", "2024-05-31 23:30:00"),
        ("2024-03-05", "2024-06-01 13:00:00"),
    ]


def test_messages_name_file_row_and_column(baseline: Path, tmp_path: Path):
    variant = Variant("messages", kpi_file("K1,0205-03-01,5,2024-03-02T00:00:00Z", "K1,2024-03-02,1e309,2024-03-03T00:00:00Z",
                                           'K1,2024-03-02,"2,2024-03-03T00:00:00Z'))
    warehouse, *_ = run_variant(variant, baseline, tmp_path)
    details = dict(fetch_all(warehouse, "SELECT row_number, detail FROM audit.quarantine WHERE source_file = ?", [FUZZ]))
    assert details[2] == ("column measured_on: '0205-03-01' is outside the plausible window 1990-01-01 to 2056-12-01 "
                          "(BRW_EARLIEST_DATE to as of + BRW_YEARS_AHEAD years)")
    assert details[3] == "column value: '1e309' is not a finite decimal number (point as decimal separator)"
    assert details[4].startswith("line 4: not valid CSV")


def test_rejected_file_message_and_no_reread(baseline: Path, tmp_path: Path):
    """A landing file with a duplicated column is rejected with file, row and column; an unchanged
    rejected file is not read again, a corrected one loads and its rejection goes."""
    variant = Variant("dup", kpi_file("K1,2024-03-02,5,6,2024-03-03T00:00:00Z", header="kpi_id,measured_on,value,value,recorded_at"))
    warehouse, _, _, result = run_variant(variant, baseline, tmp_path)
    assert result.rejected_files == {FUZZ: f"{FUZZ}: row 1 (header) names column value 2 times (columns 3 and 4); keep one"}
    out = io.StringIO()
    print_load_summary(Settings(tmp_path, warehouse, AS_OF), "run-fuzz", out)
    assert (f"  {FUZZ}: row 1 (header) names column value 2 times (columns 3 and 4); keep one"
            in out.getvalue().splitlines())
    source_dir = tmp_path / "source"
    conn = connect(warehouse)
    try:
        again = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-again", as_of=AS_OF)
        assert again.files == [] and FUZZ in again.skipped_files
        kpi_file(GOOD)(source_dir)
        fixed = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], source_dir, "run-fixed", as_of=AS_OF)
        assert [(f.source_file, f.rows_loaded) for f in fixed.files] == [(FUZZ, 1)]
        assert conn.execute("SELECT count(*) FROM audit.quarantine WHERE source_file = ?", [FUZZ]).fetchone()[0] == 0
    finally:
        conn.close()


def test_links_out_can_be_allowed_for_a_trusted_set_up(baseline: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BRW_ALLOW_LINKS_OUT", "1")
    variant = Variant("allowed", link("kpi_measurements/fuzz.csv", lambda src: outside_csv(src.parent, f"{HEADER}\n{GOOD}\n")))
    warehouse, _, error, _ = run_variant(variant, baseline, tmp_path)
    assert error is None
    assert fetch_all(warehouse, "SELECT count(*) FROM raw.kpi_measurements WHERE _source_file = ?", [FUZZ]) == [(1,)]


def test_date_window_is_configurable(monkeypatch):
    assert DateWindow.for_as_of(date(2026, 12, 1)).describe() == "1990-01-01 to 2056-12-01"
    monkeypatch.setenv("BRW_EARLIEST_DATE", "1980-06-01")
    monkeypatch.setenv("BRW_YEARS_AHEAD", "5")
    assert DateWindow.for_as_of(date(2024, 2, 29)).describe() == "1980-06-01 to 2029-02-28"


# --------------------------------------------------------------------------- end to end (brw run)

E2E_AS_OF = "2026-04-15"  # the hand-worked portfolio's as-of date (tests/conftest.py)
MARTS = ("dim_project", "dim_benefit", "fct_benefit_monthly", "fct_benefit_status", "fct_project_health",
         "fct_portfolio_monthly")


def _marts_digest(warehouse: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256(repr(fetch_all(warehouse, f"SELECT * FROM marts.{name} ORDER BY ALL")).encode()).hexdigest()
        for name in MARTS
    }


@pytest.fixture(scope="module")
def e2e_baseline(tmp_path_factory):
    """The hand-worked portfolio built once; the end-to-end cases run on copies of it."""
    from pipelines.cli import main
    from tests.conftest import PORTFOLIO

    base = tmp_path_factory.mktemp("hostile_e2e")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    warehouse = base / "warehouse" / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", E2E_AS_OF]) == 0
    return source, warehouse


def _copy(e2e_baseline, tmp_path: Path) -> tuple[Path, Path]:
    source, warehouse = e2e_baseline
    new_source = tmp_path / "source"
    shutil.copytree(source, new_source, symlinks=True)
    new_warehouse = tmp_path / "warehouse" / "brw.duckdb"
    new_warehouse.parent.mkdir(parents=True)
    shutil.copyfile(warehouse, new_warehouse)
    return new_source, new_warehouse


@pytest.mark.slow
def test_a_mistyped_year_infinity_and_a_named_zone_do_not_corrupt_the_marts(e2e_baseline, tmp_path):
    """Issue 11 items 1-3 end to end: each bad value is quarantined with its column and the marts
    of everything else are exactly as before (before the fix: no benefit months at all, `inf`
    statuses, and a crashing board pack)."""
    from pipelines.cli import main

    source, warehouse = _copy(e2e_baseline, tmp_path)
    before = fetch_all(warehouse, "SELECT b.benefit_id, s.status, s.cumulative_realized_value FROM marts.fct_benefit_status s "
                                  "JOIN marts.dim_benefit b USING (benefit_id) WHERE b.project_id <> 'PA' ORDER BY 1")
    _edit(source / "projects.csv", "PA,Billing Automation,Operations,Finance Ops,Ann Archer,Bob Baker,Finance,closed,2024-09-01",
          "PA,Billing Automation,Operations,Finance Ops,Ann Archer,Bob Baker,Finance,closed,0205-09-01")
    (source / "kpi_measurements" / "late.csv").write_text(
        "kpi_id,measured_on,value,recorded_at\n"
        "KA,2026-03-31,1e309,2026-04-01T09:00:00Z\n"
        "KA,2026-03-30,-1e309,2026-04-01T09:00:00Z\n"
        "KA,2026-03-29,5,2026-04-01T09:00:00America/New_York\n",
        encoding="utf-8",
    )
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", E2E_AS_OF, "--all"]) == 0
    assert set(fetch_all(warehouse, "SELECT source_file, row_number, reason, column_name FROM audit.quarantine")) >= {
        ("projects.csv", 2, "bad_range", "start_date"),
        ("kpi_measurements/late.csv", 2, "bad_type", "value"),
        ("kpi_measurements/late.csv", 3, "bad_type", "value"),
        ("kpi_measurements/late.csv", 4, "bad_type", "recorded_at"),
    }
    after = fetch_all(warehouse, "SELECT b.benefit_id, s.status, s.cumulative_realized_value FROM marts.fct_benefit_status s "
                                 "JOIN marts.dim_benefit b USING (benefit_id) WHERE b.project_id <> 'PA' ORDER BY 1")
    assert after == before and after
    assert fetch_all(warehouse, "SELECT min(period_month)::VARCHAR, count(*) > 0 FROM intermediate.int_calendar_months") == [
        ("1990-01-01", True)]
    assert fetch_all(warehouse, "SELECT count(*) FROM marts.fct_benefit_monthly")[0][0] > 0
    assert fetch_all(warehouse, "SELECT count(*) FROM marts.fct_benefit_status WHERE isinf(cumulative_realized_value) "
                                "OR isinf(trailing_realization_pct)") == [(0,)]


@pytest.mark.slow
def test_a_register_that_cannot_be_read_fails_the_run_and_keeps_the_marts(e2e_baseline, tmp_path, capsys):
    from pipelines.cli import main

    source, warehouse = _copy(e2e_baseline, tmp_path)
    before = _marts_digest(warehouse)
    text = (source / "projects.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    (source / "projects.csv").write_text(header.replace("sponsor", "sponsor,sponsor") + "\n" + rest, encoding="utf-8")
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", E2E_AS_OF]) == 1
    err = capsys.readouterr().err
    assert "projects.csv: row 1 (header) names column sponsor 2 times" in err
    assert _marts_digest(warehouse) == before


@pytest.mark.slow
def test_the_build_fails_when_benefit_months_vanish(e2e_baseline, tmp_path):
    """The dbt test behind issue 11 item 1: a fct_benefit_monthly without a started benefit's
    months fails `dbt test`."""
    import subprocess

    import duckdb

    from pipelines.dbt_manifest import dbt_executable
    from pipelines.settings import DBT_PROJECT_DIR

    _, warehouse = _copy(e2e_baseline, tmp_path)
    env = {**os.environ, "BRW_WAREHOUSE": str(warehouse), "BRW_DBT_AS_OF": E2E_AS_OF,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    args = [dbt_executable(), "test", "--select", "assert_benefit_months_present", "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--log-path",
            str(tmp_path / "logs")]
    ok = subprocess.run(args, env=env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    assert ok.returncode == 0, ok.stdout[-2000:]
    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("DELETE FROM marts.fct_benefit_monthly WHERE benefit_id = (SELECT min(benefit_id) FROM marts.dim_benefit)")
    finally:
        conn.close()
    broken = subprocess.run(args, env=env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    assert broken.returncode != 0
    assert "assert_benefit_months_present" in broken.stdout and "Got 1 result" in broken.stdout
