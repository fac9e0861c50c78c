"""`brw sources init`: a starter sources.yml from an organisation's own exports (pipelines.mapping.starter).

The source directory here is hand-made and foreign on purpose: a PMO register workbook with a
title row above the header, its own words ("Proj ID", "Phase": "In Flight"/"Done", "RAG" G/A/R)
and UK dates typed as text; a semicolon-separated Latin-1 CSV of status reports; a wide daily KPI
sheet (one column per KPI). The expected mappings below are checked by hand against those files.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from pipelines.load import PARSE_MACROS
from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.mapping import compile_table, input_files, load_mapping, read_input, stage_sql, validate
from pipelines.mapping.starter import starter_mapping, write_starter
from pipelines.mapping.starter.column_profile import ColumnProfile
from pipelines.mapping.starter.discover import _header_row, _sniff_delimiter, _sniff_encoding
from pipelines.mapping.starter.proposals import place_value, propose_date, propose_number

# --------------------------------------------------------------------------- the foreign exports


def _register(root: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projects"
    ws.append(["PMO Register — exported 03/02/2025"])  # a title row above the header
    ws.append(["Proj ID", "Project Name", "Portfolio", "Programme", "Sponsor", "PM", "Business Unit",
               "Phase", "Start", "Finish", "Actual Finish", "Budget (£k)"])
    ws.append(["P-001", "CRM replacement", "Customer", "Digital", "A. Jones", "B. Smith", "Sales",
               "In Flight", "15/01/2024", "30/06/2025", None, "1,250"])
    ws.append(["P-002", "Warehouse robots", "Operations", None, "C. Brown", "D. White", "Logistics",
               "Done", "01/03/2023", "31/12/2024", "20/12/2024", "£800"])
    ws.append(["P-003", "Payroll upgrade", "Back office", None, "E. Green", "F. Black", "HR",
               "In Flight", "02/09/2024", "28/02/2026", None, "450"])
    ws.append(["P-004", "Data lake", "Operations", "Digital", "C. Brown", "G. Grey", "IT",
               "Parked", "13/05/2024", "31/03/2026", None, "2,100"])
    ws.append(["Total", None, None, None, None, None, None, None, None, None, None, "4,600"])
    b = wb.create_sheet("Benefits")
    b.append(["Benefit Ref", "Proj ID", "Benefit", "Type", "Disbenefit?", "KPI", "Direction", "Baseline",
              "Target", "Target Date", "Ramp", "Value per unit", "Owner"])
    b.append(["B-01", "P-001", "Fewer abandoned calls", "Cashable", "No", "KPI-CALLS", "Up", 1000, 1200,
              "31/12/2025", "Linear", 2.5, "H. Owner"])
    b.append(["B-02", "P-002", "Shorter waits", "Non-cashable", "No", "KPI-WAIT", "Down", 300, 120,
              "30/06/2025", "S-curve", 0.1, "I. Owner"])
    b.append(["B-03", "P-002", "More complaints during change", "Quality", "Yes", "KPI-COMPL", "Up", 10, 12,
              "31/03/2025", "Step", None, "J. Owner"])
    k = wb.create_sheet("KPIs")
    k.append(["KPI ID", "KPI Name", "Unit", "Aggregation", "Frequency", "Owner", "System"])
    k.append(["KPI-CALLS", "Calls handled", "calls", "Total", "Daily", "Ops", "Telephony"])
    k.append(["KPI-WAIT", "Average wait (s)", "seconds", "Average", "Daily", "Ops", "Telephony"])
    k.append(["KPI-COMPL", "Complaints", "count", "Total", "Daily", "Service", "CRM"])
    wb.save(root / "PMO Register.xlsx")


def _daily_kpis(root: Path) -> None:
    (root / "kpi").mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Daily"
    ws.append(["Date", "Calls handled", "Avg wait (s)", "Complaints"])
    for i in range(31):
        ws.append([date(2025, 1, 1) + timedelta(days=i), 900 + i, 250 - i, i % 3])  # Excel date cells
    wb.save(root / "kpi" / "daily_2025-01.xlsx")


def _status_csv(root: Path) -> None:
    (root / "exports").mkdir()
    lines = [
        "Proj ID;Report Date;Overall RAG;Schedule;Cost;Benefits;Comments",
        "P-001;03/01/2025;G;G;A;G;Café vendor late, catching up",
        "P-001;17/01/2025;A;At Risk;A;G;Scope change, see CR-12",
        'P-002;17/01/2025;Green;G;G;R;"Benefits not yet visible; résumé pending"',
        "P-003;24/01/2025;R;R;A;A;Payroll test failed",
    ]
    (root / "exports" / "Status Reports.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    root = tmp_path / "exports-dir"
    root.mkdir()
    _register(root)
    _daily_kpis(root)
    _status_csv(root)
    (root / ".git").mkdir()  # hidden folders are not looked at
    (root / ".git" / "junk.csv").write_text("a,b\n1,2\n")
    return root


@pytest.fixture
def more_foreign(foreign: Path) -> Path:
    """Plus a RAID log in US dates (found by its file name) and a monthly EVM landing folder in
    European number format."""
    (foreign / "risks.csv").write_text(
        "Ref,Project,Risk,Type,Impact,Raised,Due,Owner\n"
        "R1,P-001,Vendor insolvency,Risk,High,12/31/2024,01/02/2025,A. Jones\n"
        "R2,P-002,Robot parts delayed,Issue,Critical,01/15/2025,02/03/2025,C. Brown\n"
        "R3,P-003,Payroll rules unclear,Assumption,Medium,01/20/2025,03/04/2025,E. Green\n",
        encoding="utf-8",
    )
    (foreign / "finance").mkdir()
    for month, word in (("01", "Jan"), ("02", "Feb")):
        (foreign / "finance" / f"evm_2025-{month}.csv").write_text(
            "Project;Month;PV;EV;AC;EAC\n"
            f"P-001;{word} 2025;12.500,50;11.000,00;13.250,75;1.300.000,00\n"
            f"P-002;{word} 2025;800,00;800,00;790,10;795.000,00\n",
            encoding="utf-8",
        )
    return foreign


# --------------------------------------------------------------------------- helpers


def _line(text: str, table: str, startswith: str) -> str:
    """The first line of a table's block that starts (after indentation) with `startswith`."""
    block = text[text.index(f"\n  {table}:\n"):]
    block = block[: block.find("\n\n")] if "\n\n" in block else block
    return next(line for line in block.splitlines() if line.strip().startswith(startswith))


def _fill_todos(text: str) -> str:
    """What the analyst does: replace every TODO placeholder outside comments with a value."""
    out = []
    for line in text.splitlines():
        code, sep, comment = line.partition("  #")
        if not code.lstrip().startswith("#"):
            code = re.sub(r"\bTODO\b", "filled", code)
        out.append(code + sep + comment)
    return "\n".join(out) + "\n"


def _staged(source_dir: Path, mapping, table: str) -> list[dict]:
    """The rows a table's mapping stages (as `brw run` would, before the contract's checks)."""
    conn = duckdb.connect()
    conn.execute(PARSE_MACROS)
    conn.execute("CREATE TEMP TABLE _malformed (source_file VARCHAR, row_number BIGINT, record VARCHAR, detail VARCHAR)")
    tm = mapping.tables[table]
    rows = []
    for path in input_files(source_dir, table, tm):
        label, header, _ = read_input(conn, source_dir, table, tm, mapping, path)
        compiled = compile_table(conn, SOURCES_BY_NAME[table], tm, mapping, label, header)
        rel = conn.sql(stage_sql(compiled, label))
        rows += sorted((dict(zip(rel.columns, r)) for r in rel.fetchall()), key=lambda r: r["_row_number"])
    conn.close()
    return rows


# --------------------------------------------------------------------------- tests


def test_register_sheets_are_mapped_column_by_column(foreign: Path) -> None:
    text = starter_mapping(foreign)
    data = yaml.safe_load(text)
    assert data["version"] == 1
    assert data["defaults"] == {"date": "%d/%m/%Y"}  # every text date is UK day/month/year
    tables = data["tables"]

    projects = tables["projects"]
    assert projects["input"] == {"file": "PMO Register.xlsx", "sheet": "Projects", "header_row": 2}
    assert '"Proj ID"' in projects["filter"]  # the Total row is skipped
    cols = projects["columns"]
    assert {k: cols[k] for k in ("project_id", "project_name", "portfolio", "programme", "sponsor",
                                  "project_manager", "business_unit", "start_date", "planned_end_date",
                                  "actual_close_date")} == {
        "project_id": "Proj ID", "project_name": "Project Name", "portfolio": "Portfolio",
        "programme": "Programme", "sponsor": "Sponsor", "project_manager": "PM",
        "business_unit": "Business Unit", "start_date": "Start", "planned_end_date": "Finish",
        "actual_close_date": "Actual Finish",
    }
    assert cols["stage"] == {"column": "Phase", "values": {"Done": "closed", "In Flight": "active"}}
    assert "# Parked: TODO" in text  # a word it cannot place stays a TODO comment
    assert cols["budget_at_completion"] == {
        "column": "Budget (£k)", "number": {"decimal": ".", "thousands": ",", "scale": 1000}}
    assert "TODO" in _line(text, "projects", "budget_at_completion:")  # the scale is a guess from the header
    assert cols["currency"] == {"value": "GBP"}  # from the £ in the amounts ...
    assert "TODO" in _line(text, "projects", "currency:")  # ... and marked for checking
    assert "contract_value" not in cols and "# contract_value: no matching column (optional)" in text

    benefits = tables["benefits"]
    assert benefits["input"] == {"file": "PMO Register.xlsx", "sheet": "Benefits"}
    cols = benefits["columns"]
    assert cols["benefit_id"] == "Benefit Ref" and cols["project_id"] == "Proj ID"
    assert cols["benefit_name"] == "Benefit" and cols["benefit_owner"] == "Owner"
    assert cols["is_disbenefit"] == "Disbenefit?"  # Yes/No need no map
    assert cols["target_value"] == "Target" and cols["target_date"] == "Target Date"
    assert cols["category"] == {"column": "Type", "values": {"Non-cashable": "non_cashable", "Quality": "non_financial"}}
    assert "TODO" in _line(text, "benefits", "category:")  # "Type" is a weak name for it
    assert cols["direction"] == {"column": "Direction", "values": {"Down": "decrease", "Up": "increase"}}
    assert cols["profile"] == {"column": "Ramp", "values": {"S-curve": "s_curve"}}

    kpis = tables["kpi_definitions"]
    assert kpis["input"] == {"file": "PMO Register.xlsx", "sheet": "KPIs"}
    assert kpis["columns"]["aggregation"] == {"column": "Aggregation", "values": {"Average": "avg", "Total": "sum"}}
    assert kpis["columns"]["kpi_name"] == "KPI Name"


def test_semicolon_latin1_status_reports(foreign: Path) -> None:
    text = starter_mapping(foreign)
    status = yaml.safe_load(text)["tables"]["status_reports"]
    assert status["input"] == {"file": "exports/Status Reports.csv", "delimiter": ";", "encoding": "latin-1"}
    cols = status["columns"]
    assert cols["project_id"] == "Proj ID"
    assert cols["report_date"] == "Report Date"  # %d/%m/%Y comes from the defaults
    assert cols["overall_rag"] == {"column": "Overall RAG", "values": {"A": "amber", "G": "green", "R": "red"}}
    assert cols["schedule_rag"] == {"column": "Schedule", "values": {"At Risk": "amber", "G": "green", "R": "red"}}
    assert cols["cost_rag"]["column"] == "Cost" and cols["benefits_rag"]["column"] == "Benefits"
    assert cols["commentary"] == "Comments"


def test_wide_kpi_sheet_is_unpivoted(foreign: Path) -> None:
    text = starter_mapping(foreign)
    kpi = yaml.safe_load(text)["tables"]["kpi_measurements"]
    assert kpi["input"] == {"file": "kpi/daily_2025-01.xlsx", "sheet": "Daily"}
    assert kpi["unpivot"] == {"exclude": ["Date"], "names_to": "kpi", "values_to": "reading"}
    cols = kpi["columns"]
    # KPI headers matched to the kpi_definitions sheet: by name, and one by a similar name (TODO).
    assert cols["kpi_id"] == {"column": "kpi", "values": {
        "Avg wait (s)": "KPI-WAIT", "Calls handled": "KPI-CALLS", "Complaints": "KPI-COMPL"}}
    assert "TODO" in _line(text, "kpi_measurements", "Avg wait (s):")
    assert "TODO" not in _line(text, "kpi_measurements", "Calls handled:")
    assert cols["measured_on"] == "Date"  # Excel date cells: no format needed
    assert cols["value"] == "reading"
    assert cols["recorded_at"] == {"file_modified": True}


def test_starter_loads_validates_and_stages_the_rows(foreign: Path) -> None:
    path, report = write_starter(foreign)
    assert path == foreign / "sources.yml"
    path.write_text(_fill_todos(path.read_text(encoding="utf-8")), encoding="utf-8")
    mapping = load_mapping(path)
    assert sorted(mapping.tables) == ["benefits", "kpi_definitions", "kpi_measurements", "projects", "status_reports"]
    checks = validate(duckdb.connect(), mapping, foreign)
    assert {c.table: c.files for c in checks}["projects"] == ["PMO Register.xlsx#Projects"]

    projects = {r["raw__project_id"]: r for r in _staged(foreign, mapping, "projects")}
    assert sorted(projects) == ["P-001", "P-002", "P-003", "P-004"]  # the Total row is filtered
    assert projects["P-001"]["t__budget_at_completion"] == 1_250_000
    assert projects["P-002"]["t__budget_at_completion"] == 800_000
    assert projects["P-001"]["t__start_date"] == date(2024, 1, 15)
    assert projects["P-002"]["raw__stage"] == "closed"
    assert "'Parked' is not mapped" in projects["P-004"]["e__stage"]

    status = _staged(foreign, mapping, "status_reports")
    assert [r["raw__overall_rag"] for r in status] == ["green", "amber", "green", "red"]
    assert status[1]["t__report_date"] == date(2025, 1, 17)
    assert status[2]["raw__commentary"] == "Benefits not yet visible; résumé pending"

    kpi = _staged(foreign, mapping, "kpi_measurements")
    assert len(kpi) == 31 * 3
    assert {(r["raw__kpi_id"], r["t__value"]) for r in kpi if r["t__measured_on"] == date(2025, 1, 31)} == {
        ("KPI-CALLS", 930.0), ("KPI-WAIT", 220.0), ("KPI-COMPL", 0.0)}


def test_report_lines_and_write_refuses_to_overwrite(foreign: Path) -> None:
    path, report = write_starter(foreign)
    assert report[0] == "projects: PMO Register.xlsx#Projects (header row 2): 12 of 14 columns matched (10 of 11 required)"
    assert "  TODO tables.projects.columns.stage.values: 'Parked' not placed (one of proposed, active, closed, cancelled)" in report
    assert "kpi_measurements: kpi/daily_2025-01.xlsx#Daily: wide sheet, 3 KPI columns unpivoted" in report
    assert any(r.startswith("raid_log: no export found") for r in report)
    assert "  # raid_log:" in path.read_text(encoding="utf-8")  # written commented out, with a TODO
    assert ".git" not in path.read_text(encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_starter(foreign)
    before = path.read_text(encoding="utf-8")
    write_starter(foreign, force=True)
    assert path.read_text(encoding="utf-8") == before == starter_mapping(foreign)  # deterministic


def test_us_dates_file_name_hint_decimal_comma_and_landing_glob(more_foreign: Path) -> None:
    text = starter_mapping(more_foreign)
    data = yaml.safe_load(text)
    assert "defaults" not in data  # UK and US dates: a format per column
    assert data["tables"]["projects"]["columns"]["start_date"] == {"column": "Start", "date": "%d/%m/%Y"}

    raid = data["tables"]["raid_log"]  # found by its file name, risks.csv
    assert raid["input"] == {"file": "risks.csv"}
    cols = raid["columns"]
    assert cols["raid_type"] == "Type" and cols["severity"] == "Impact" and cols["owner"] == "Owner"
    assert cols["raised_on"] == {"column": "Raised", "date": "%m/%d/%Y"}  # 12/31/2024
    # 01/02/2025 etc. could be either: read like the file's other date column, and marked.
    assert cols["due_on"] == {"column": "Due", "date": "%m/%d/%Y"}
    assert "day and month order ambiguous" in _line(text, "raid_log", "due_on:")
    assert "TODO" in _line(text, "raid_log", "project_id:")  # "Project" might be a name or an id

    fin = data["tables"]["financials"]
    assert fin["input"] == {"file": "finance/evm*.csv", "delimiter": ";"}  # the landing folder's files
    assert fin["columns"]["period_month"] == {"column": "Month", "date": "%b %Y"}
    assert fin["columns"]["planned_value"] == {"column": "PV", "number": {"decimal": ",", "thousands": "."}}
    assert fin["columns"]["estimate_at_completion"]["column"] == "EAC"

    path = more_foreign / "sources.yml"
    path.write_text(_fill_todos(text), encoding="utf-8")
    mapping = load_mapping(path)
    validate(duckdb.connect(), mapping, more_foreign)
    rows = _staged(more_foreign, mapping, "financials")
    assert len(rows) == 4
    assert (rows[0]["t__period_month"], rows[0]["t__planned_value"], rows[0]["t__estimate_at_completion"]) == (
        date(2025, 1, 1), 12500.5, 1_300_000.0)
    raid_rows = _staged(more_foreign, mapping, "raid_log")
    assert raid_rows[0]["t__raised_on"] == date(2024, 12, 31)
    # Risk / Critical are contract words in another case: no map needed (the contract lower-cases enums)
    assert "values" not in cols["raid_type"] if isinstance(cols["raid_type"], dict) else True
    assert (raid_rows[0]["raw__raid_type"], raid_rows[1]["raw__severity"]) == ("Risk", "Critical")


def test_required_columns_without_a_match_get_placeholders(tmp_path: Path) -> None:
    (tmp_path / "register.csv").write_text(
        "Project Code,Title,Portfolio,Stage,Start,End,Budget,Currency\n"
        "X1,Alpha,Ops,Active,2024-01-01,2024-12-31,100,GBP\n"
        "X2,Beta,Ops,Closed,2023-01-01,2023-06-30,50,EUR\n",
        encoding="utf-8",
    )
    text = starter_mapping(tmp_path)
    for column in ("sponsor", "project_manager", "business_unit"):
        line = _line(text, "projects", f"{column}:")
        assert line.strip() == f"{column}: {{value: TODO}}  # TODO: required, no matching column"
    # an optional column without a match is left out, with a comment
    assert "# actual_close_date: no matching column (optional)" in text
    data = yaml.safe_load(text)
    assert data["tables"]["projects"]["columns"]["stage"] == "Stage"  # Active/Closed are contract words
    (tmp_path / "sources.yml").write_text(_fill_todos(text), encoding="utf-8")
    mapping = load_mapping(tmp_path / "sources.yml")
    validate(duckdb.connect(), mapping, tmp_path)


def test_a_table_without_a_decent_input_is_commented_out(tmp_path: Path) -> None:
    (tmp_path / "changes.csv").write_text("CR,Raised,Notes\nCR-1,2024-01-01,x\n", encoding="utf-8")
    text = starter_mapping(tmp_path)
    assert "tables: {}" in text
    assert "  # TODO: no decent match among the exports (best guess below: changes.csv" in text
    assert "  # change_requests:\n  #   # changes.csv: 2 of 8 contract columns matched, 1 row\n" in text
    assert "  #     cr_id: CR\n" in text
    (tmp_path / "sources.yml").write_text(text, encoding="utf-8")
    assert load_mapping(tmp_path / "sources.yml").tables == {}


def test_sniffing_helpers() -> None:
    assert _sniff_delimiter("Proj;Comment;Amount\nP1;late, again;1,5\nP2;ok;2\n") == ";"
    assert _sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"
    assert _sniff_delimiter("a|b\n1|2\n") == "|"
    assert _sniff_delimiter("a,b,c\n1,2,3\n") == ","
    assert _sniff_encoding("café".encode()) == "utf-8"
    assert _sniff_encoding("café".encode()[:-1], truncated=True) == "utf-8"  # a character cut by the sample's end
    assert _sniff_encoding("café".encode("latin-1")) == "latin-1"
    assert _sniff_encoding("“quoted” €5".encode("cp1252")) == "cp1252"
    # A title and a blank row above the header; data rows are not mostly text.
    assert _header_row([["Register"], [None, None], ["ID", "Name", "Budget"], ["P1", "A", 10.0]]) == 3
    assert _header_row([[1.0, 2.0, 3.0], ["ID", "Name", "Budget"]]) == 2
    assert _header_row([["only"], ["one"]]) is None


def test_date_format_proposals() -> None:
    uk = propose_date(ColumnProfile(count=2, formats={"%d/%m/%Y": 2}))
    assert (uk.formats, uk.swapped, uk.todo) == (["%d/%m/%Y"], None, None)
    either = propose_date(ColumnProfile(count=2, formats={"%d/%m/%Y": 2, "%m/%d/%Y": 2}))
    assert (either.formats, either.swapped) == (["%d/%m/%Y"], "%m/%d/%Y")
    assert propose_date(ColumnProfile(count=3, iso=3)).formats == []
    assert propose_date(ColumnProfile(count=3, serial=3)).formats == ["excel"]
    odd = propose_date(ColumnProfile(count=2, top=["soon", "later"]))
    assert odd.formats == [] and "no date format" in odd.todo


def test_value_and_number_proposals() -> None:
    def place(table: str, column: str, word: str):
        p = place_value(SOURCES_BY_NAME[table].column(column), word)
        return p.target, p.sure, p.others

    assert place("status_reports", "overall_rag", "On Track") == ("green", True, [])
    assert place("status_reports", "overall_rag", "At Risk") == ("amber", True, [])
    assert place("projects", "stage", "Complete") == ("closed", True, [])
    assert place("projects", "stage", "In Flight - Build") == ("active", False, [])  # a phrase inside: check
    assert place("projects", "stage", "Cancleled") == ("cancelled", False, [])  # a near spelling: check
    assert place("raid_log", "raid_type", "D") == ("dependency", False, ["decision"])  # two readings: check
    assert place("projects", "stage", "Parked") == (None, False, [])
    assert place("projects", "currency", "£") == ("GBP", True, [])
    assert place("change_requests", "billable", "Non-billable") == (False, True, [])

    assert propose_number("Savings", ColumnProfile(count=2, number=2, suffixed=2, with_currency=2)) == (
        {"decimal": ".", "thousands": ",", "suffixes": True}, None)
    opts, note = propose_number("Budget ($M)", ColumnProfile(count=2, number=2, plain=2))
    assert opts == {"decimal": ".", "thousands": ",", "scale": 1000000} and "millions" in note
    assert propose_number("Budget", ColumnProfile(count=2, number=2, plain=2)) == (None, None)
