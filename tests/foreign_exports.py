"""A contract-format portfolio rewritten as a PMO's own exports (README, "Your own exports").

`write_foreign_exports(contract_dir, out_dir)` reads a source directory in the contract's format
(SPEC section 2) and writes the SAME data the way an organisation keeps it, plus the
`sources.yml` (tests/data/foreign_portfolio/sources.yml) that maps it back:

- `PMO Register.xlsx`
  - sheet `Projects`: a title and an export line above the header (row 3); stage as Idea / In
    Flight / Done / Stopped; dates as Excel date cells; budget as a number in £k and no currency
    column (a £ register: the mapping gives GBP as a constant); contract value as text
    "£1,200,000.00"; a blank row and a "Total" subtotal row under the projects.
  - sheet `Benefits`: a title above the header (row 2); a heading row per project (only its
    first cell filled) and a blank row between projects; category, direction and ramp in words;
    the KPI by its *name*; Yes/No; attribution as "50%"; value per unit as "£10.00".
  - sheet `KPI readings`: wide, one row per (reading date, recorded time), one column per KPI
    headed by its name, the recorded time as an Excel date-time cell. The portfolio's readings
    are month-end (and twice a month for one KPI), so the sheet says "readings", not "daily".
- `PMO Register - KPI restatements.xlsx` (only when the contract has restatements): the same
  `KPI readings` sheet with every later version of a (KPI, date).
- `exports/*.csv` and `exports/status/*.csv`: `;`-separated, Latin-1 (£ and é in them), UK dates
  dd/mm/yyyy, months as "May 2025", RAG as G/A/R, money as "£1,234.50" (negative "(£1,234.50)"),
  Y/N and Yes/No, words for enums, schedule impact as "5 days" (an `expr` in the mapping).

Every value round-trips exactly: the marts built from these files equal those built from the
contract files (tests/test_foreign_exports.py). Nothing binary is committed: the test writes the
workbooks into a temporary directory.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

MAPPING = Path(__file__).resolve().parent / "data" / "foreign_portfolio" / "sources.yml"

REGISTER = "PMO Register.xlsx"
RESTATEMENTS = "PMO Register - KPI restatements.xlsx"
KPI_SHEET = "KPI readings"

STAGE = {"proposed": "Idea", "active": "In Flight", "closed": "Done", "cancelled": "Stopped"}
CATEGORY = {"cashable": "Cashable", "non_cashable": "Non-cashable", "non_financial": "Non-financial"}
DIRECTION = {"increase": "Higher", "decrease": "Lower"}
PROFILE = {"linear": "Linear", "step": "Step change", "s_curve": "S-curve", "custom": "Custom"}
AGGREGATION = {"sum": "Total", "avg": "Average", "last": "Latest", "min": "Lowest", "max": "Highest"}
RAG = {"green": "G", "amber": "A", "red": "R"}
SEVERITY = {"critical": "1 - Critical", "high": "2 - High", "medium": "3 - Medium", "low": "4 - Low"}
DECISION = {"approved": "Approved", "rejected": "Rejected", "pending": "Awaiting decision"}
UNIT = {"GBP": "£"}
YES_NO = {"true": "Yes", "false": "No"}
Y_N = {"true": "Y", "false": "N"}

DATE_FORMAT = "dd/mm/yyyy"
TIMESTAMP_FORMAT = "dd/mm/yyyy hh:mm:ss"


# --------------------------------------------------------------------------- reading the contract


def _read(path: Path) -> list[dict[str, str | None]]:
    """A contract CSV: empty field = null."""
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def _measurements(contract_dir: Path) -> list[dict[str, str | None]]:
    folder = contract_dir / "kpi_measurements"
    others = [p.name for p in folder.iterdir() if p.suffix.lower() != ".csv"]
    assert not others, f"only CSV landing files are rewritten, found {others}"
    return [row for p in sorted(folder.glob("*.csv")) for row in _read(p)]


# --------------------------------------------------------------------------- value formats


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _uk(text: str | None) -> str:
    return _d(text).strftime("%d/%m/%Y") if text else ""


def _month(text: str | None) -> str:
    return _d(text).strftime("%b %Y") if text else ""


def _utc(text: str) -> datetime:
    """An ISO 8601 timestamp with offset as a naive UTC date-time (what the sheet's cell holds)."""
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if ts.tzinfo is not None:
        ts = ts.astimezone(timezone.utc).replace(tzinfo=None)
    assert ts.microsecond == 0, f"{text}: an Excel cell keeps milliseconds at best; keep to seconds"
    return ts


def _money(text: str | None) -> str:
    """'1234.5' -> '£1,234.50'; negative in brackets. Every digit kept (at least two decimals)."""
    if text is None:
        return ""
    d = Decimal(text)
    body = f"{abs(d):,.2f}" if abs(d) == abs(d).quantize(Decimal("0.01")) else f"{abs(d):,f}"
    return f"(£{body})" if d < 0 else f"£{body}"


def _number(text: str | None) -> int | float | None:
    """A number cell: the same double the contract's text parses to."""
    if text is None:
        return None
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _thousands(text: str | None) -> int | float | None:
    """A budget in £k: only when ×1000 gives back the same double. The mapping multiplies the
    parsed double by the scale, so "1.001" £k reads as 1000.9999999999999, not 1001."""
    if text is None:
        return None
    k = Decimal(text) / 1000
    value = int(k) if k == k.to_integral_value() else float(k)
    assert value * 1000.0 == float(text), f"{text} is not exact in £k"
    return value


def _percent(text: str | None) -> str:
    """"50%". The mapping reads "57%" as 57 × 0.01 = 0.5700000000000001 (not 57 / 100 = 0.57):
    refuse a value that would not come back as the same double."""
    if text is None:
        return ""
    pct = Decimal(text) * 100
    assert float(pct.normalize()) * 0.01 == float(text), f"{text} does not round-trip as a percentage"
    return f"{pct.normalize():f}%"


def _days(text: str) -> str:
    return f"{int(text)} day" if abs(int(text)) == 1 else f"{int(text)} days"


# --------------------------------------------------------------------------- workbook helpers


def _title(ws, *lines: str) -> None:
    for line in lines:
        ws.append([line])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)


def _header(ws, names: list[str]) -> None:
    ws.append(names)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _row(ws, values: list) -> None:
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, datetime):
            cell.number_format = TIMESTAMP_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT


def _kpi_sheet(ws, kpi_names: list[str], rows: dict[tuple[date, datetime], dict[str, float]]) -> None:
    _title(ws, "KPI readings: one row per reading date, one column per KPI (values as reported)")
    _header(ws, ["Date", "Recorded (UTC)", *kpi_names])
    for (measured_on, recorded_at), cells in sorted(rows.items()):
        _row(ws, [measured_on, recorded_at, *[cells.get(name) for name in kpi_names]])


# --------------------------------------------------------------------------- CSV helper


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    """`;`-separated, Latin-1, Windows line ends, quotes only where needed (a `;` in a comment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="latin-1", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in r] for r in rows])


# --------------------------------------------------------------------------- the exports


def write_foreign_exports(contract_dir: Path, out_dir: Path) -> None:
    """Write the contract-format source directory `contract_dir` as foreign exports in `out_dir`
    (created), with the mapping `sources.yml` at its root."""
    contract_dir, out_dir = Path(contract_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MAPPING, out_dir / "sources.yml")

    projects = _read(contract_dir / "projects.csv")
    kpis = _read(contract_dir / "kpi_definitions.csv")
    benefits = _read(contract_dir / "benefits.csv")
    kpi_name = {k["kpi_id"]: k["kpi_name"] for k in kpis}
    kpi_names = [k["kpi_name"] for k in kpis]

    book = Workbook()

    # Projects: title, export line, header on row 3; a blank row and a subtotal under the data.
    ws = book.active
    ws.title = "Projects"
    _title(ws, "PMO Register: projects", "Exported from the PMO tracker; budgets in £ thousands")
    _header(ws, ["Project ID", "Project", "Portfolio", "Programme", "Sponsor", "Project manager",
                 "Business unit", "Phase", "Start", "Planned finish", "Closed on", "Budget (£k)",
                 "Contract value"])
    for p in projects:
        assert p["currency"] == "GBP", f"{p['project_id']}: the register is in £ (the mapping says currency GBP)"
        _row(ws, [p["project_id"], p["project_name"], p["portfolio"], p["programme"], p["sponsor"],
                  p["project_manager"], p["business_unit"], STAGE[p["stage"]], _d(p["start_date"]),
                  _d(p["planned_end_date"]), _d(p["actual_close_date"]),
                  _thousands(p["budget_at_completion"]), _money(p["contract_value"]) or None])
    ws.append([])
    _row(ws, ["Total", None, None, None, None, None, None, None, None, None, None,
              sum(_thousands(p["budget_at_completion"]) or 0 for p in projects), None])

    # Benefits: title, header on row 2; per project a heading row, its benefits, a blank row.
    ws = book.create_sheet("Benefits")
    _title(ws, "Benefits register")
    _header(ws, ["Benefit ref", "Project ID", "Benefit", "Type", "Disbenefit?", "KPI", "Better when",
                 "Baseline", "Baseline from", "Baseline to", "Target", "Realisation from", "Target date",
                 "Ramp", "Attribution", "£ per unit", "Owner", "Review until"])
    by_project: dict[str, list[dict]] = defaultdict(list)
    for b in benefits:
        by_project[b["project_id"]].append(b)
    names = {p["project_id"]: p["project_name"] for p in projects}
    for project_id, rows in by_project.items():
        _row(ws, [f"{names.get(project_id, project_id)} ({project_id})"])
        for b in rows:
            _row(ws, [b["benefit_id"], b["project_id"], b["benefit_name"], CATEGORY[b["category"]],
                      YES_NO[b["is_disbenefit"]], kpi_name[b["kpi_id"]], DIRECTION[b["direction"]],
                      _number(b["baseline_value"]), _d(b["baseline_start"]), _d(b["baseline_end"]),
                      _number(b["target_value"]), _d(b["realization_start"]), _d(b["target_date"]),
                      PROFILE[b["profile"]], _percent(b["attribution_pct"]) or None,
                      _money(b["value_per_unit"]) or None, b["benefit_owner"], _d(b["review_until"])])
        ws.append([])

    # KPI readings, wide. The first version of each (KPI, date) goes to the register; later
    # versions (restatements) to a second workbook with the same sheet.
    versions: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for m in _measurements(contract_dir):
        versions[(m["kpi_id"], m["measured_on"])].append(m)
    first: dict[tuple[date, datetime], dict[str, float]] = defaultdict(dict)
    later: dict[tuple[date, datetime], dict[str, float]] = defaultdict(dict)
    for (kpi_id, _), rows in versions.items():
        rows.sort(key=lambda m: _utc(m["recorded_at"]))
        stamps = [_utc(m["recorded_at"]) for m in rows]
        assert len(set(stamps)) == len(stamps), f"{kpi_id}: two versions recorded at the same time"
        for k, m in enumerate(rows):
            cell = (first if k == 0 else later)[(_d(m["measured_on"]), _utc(m["recorded_at"]))]
            cell[kpi_name[kpi_id]] = _number(m["value"])
    _kpi_sheet(book.create_sheet(KPI_SHEET), kpi_names, first)
    book.save(out_dir / REGISTER)
    if later:
        extra = Workbook()
        _kpi_sheet(extra.active, kpi_names, later)
        extra.active.title = KPI_SHEET
        extra.save(out_dir / RESTATEMENTS)

    exports = out_dir / "exports"
    _csv(exports / "KPI catalogue.csv",
         ["KPI code", "KPI", "Unit", "Roll-up", "Frequency", "Data owner", "Source system"],
         [[k["kpi_id"], k["kpi_name"], UNIT.get(k["unit"], k["unit"]), AGGREGATION[k["aggregation"]],
           k["frequency"].capitalize(), k["data_owner"], k["source_system"]] for k in kpis])

    plan = _read(contract_dir / "benefit_plan.csv") if (contract_dir / "benefit_plan.csv").exists() else []
    _csv(exports / "Benefit ramp.csv", ["Benefit ref", "Month", "Planned share"],
         [[r["benefit_id"], _month(r["period_month"]), r["planned_pct"]] for r in plan])

    _csv(exports / "Finance - earned value.csv", ["Project", "Month", "PV", "EV", "AC", "EAC"],
         [[f["project_id"], _month(f["period_month"]), _money(f["planned_value"]), _money(f["earned_value"]),
           _money(f["actual_cost"]), _money(f["estimate_at_completion"])]
          for f in _read(contract_dir / "financials.csv")])

    _csv(exports / "Milestones.csv", ["Réf.", "Project", "Milestone", "Key?", "Baseline", "Forecast", "Actual"],
         [[m["milestone_id"], m["project_id"], m["milestone_name"], Y_N[m["is_key"]], _uk(m["baseline_date"]),
           _uk(m["forecast_date"]), _uk(m["actual_date"])] for m in _read(contract_dir / "milestones.csv")])

    reports: dict[str, list[list]] = defaultdict(list)
    for s in _read(contract_dir / "status_reports.csv"):
        reports[s["project_id"]].append(
            [s["project_id"], _uk(s["report_date"]), RAG[s["overall_rag"]], RAG[s["schedule_rag"]],
             RAG[s["cost_rag"]], RAG[s["benefits_rag"]], s["commentary"]]
        )
    for project_id, rows in reports.items():
        _csv(exports / "status" / f"Status {project_id}.csv",
             ["Project", "Report date", "Overall", "Schedule", "Cost", "Benefits", "Résumé"], rows)

    _csv(exports / "RAID log.csv",
         ["ID", "Project", "Type", "Title", "Severity", "Owner", "Raised", "Due", "Closed", "Mitigation"],
         [[r["raid_id"], r["project_id"], r["raid_type"].capitalize(), r["title"], SEVERITY[r["severity"]],
           r["owner"], _uk(r["raised_on"]), _uk(r["due_on"]), _uk(r["closed_on"]), r["mitigation"]]
          for r in _read(contract_dir / "raid_log.csv")])

    _csv(exports / "Change log.csv",
         ["CR", "Project", "Raised", "Decided", "Outcome", "Cost impact", "Schedule impact", "Rechargeable?"],
         [[c["cr_id"], c["project_id"], _uk(c["raised_on"]), _uk(c["decided_on"]), DECISION[c["decision"]],
           _money(c["cost_impact"]), _days(c["schedule_impact_days"]), YES_NO[c["billable"]]]
          for c in _read(contract_dir / "change_requests.csv")])
