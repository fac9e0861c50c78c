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
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import glob
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb
import yaml

from pipelines.contract import SOURCES, SOURCES_BY_NAME, Column, Source
from pipelines.ingest import PARSE_MACROS
from pipelines.mapping import (
    EXCEL_SUFFIXES,
    MAPPING_FILE,
    InputSpec,
    Mapping,
    MappingError,
    NumberFormat,
    TableMapping,
    number_sql,
    read_input,
)

SNIFF_BYTES = 64 * 1024
HEADER_SCAN_ROWS = 20
MAX_DISTINCT = 30  # an enum column with more distinct values than this is not an enum
PROFILE_ROWS = 500_000  # rows of an input whose distinct values are counted
SAMPLE_ROWS = 5_000  # rows of an input whose value shapes (numbers, date formats) are counted
MAX_INPUT_FILES = 500

ACCEPT = 0.6  # a header scoring below this is no candidate for a contract column
CONFIDENT = 0.85  # at or above this (and no close runner-up), the match is written without a TODO
CLOSE = 0.05  # a runner-up within this of the best makes the match unsure
SIMILAR = 0.75  # difflib ratio from which two names count as alike (typos, abbreviations)

DELIMITERS = (",", ";", "\t", "|")

# Candidate date formats in order of preference (day before month: the contract's home is GBP).
DATE_FORMATS = (
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%d.%m.%y",
    "%Y/%m/%d", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
    "%b %Y", "%B %Y", "%b-%y", "%b-%Y",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S",
)
EXCEL_SERIAL = (30000, 60000)  # 1982-02-18 .. 2064-04-10 as Excel serial days

# --------------------------------------------------------------------------- vocabulary

# Other names a contract column goes by: phrase → strength (1 = as good as the column's own name).
# Phrases are normalised like headers (lower case, letters and digits only).
_SYN: dict[str, dict[str, float]] = {
    # projects
    "project_id": {"project id": .95, "proj id": .95, "project number": .9, "project no": .9, "project code": .9,
                   "project ref": .9, "project reference": .9, "pid": .8, "project": .75},
    "project_name": {"project name": .95, "project": .85, "project title": .9, "name": .8, "title": .75},
    "portfolio": {"portfolio name": .95},
    "programme": {"program": .95, "programme name": .95, "program name": .95},
    "sponsor": {"project sponsor": .95, "senior responsible owner": .9, "sro": .9, "executive sponsor": .95,
                "business sponsor": .95},
    "project_manager": {"pm": .9, "project manager": .95, "manager": .8, "delivery manager": .85, "project lead": .85},
    "business_unit": {"bu": .9, "division": .85, "department": .85, "directorate": .85, "business area": .9,
                      "unit": .75},
    "stage": {"phase": .9, "status": .75, "lifecycle": .85, "lifecycle stage": .9, "project stage": .95,
              "project status": .8, "state": .75},
    "start_date": {"start": .9, "start date": .95, "planned start": .85, "baseline start": .8, "kick off": .8},
    "planned_end_date": {"finish": .9, "end date": .9, "planned finish": .95, "planned end": .95, "end": .85,
                         "due date": .75, "target end": .85, "baseline finish": .85, "target completion": .85},
    "actual_close_date": {"actual finish": .95, "actual end": .95, "actual end date": .95, "closed": .8,
                          "close date": .9, "closed on": .9, "closure date": .9, "actual completion": .9,
                          "completion date": .8},
    "budget_at_completion": {"budget": .9, "bac": .95, "approved budget": .95, "total budget": .95,
                             "budget amount": .9, "planned cost": .85, "total cost": .8, "cost baseline": .85},
    "currency": {"ccy": .95, "cur": .85, "currency code": .95},
    "contract_value": {"contract": .8, "contract price": .9, "tcv": .9, "total contract value": .95,
                       "revenue": .75, "fee": .75},
    # kpi definitions and measurements
    "kpi_id": {"kpi id": .95, "kpi": .85, "kpi code": .9, "kpi ref": .9, "measure id": .9, "metric id": .9,
               "indicator id": .9, "measure": .75, "metric": .75},
    "kpi_name": {"kpi name": .95, "measure": .8, "measure name": .9, "metric": .8, "metric name": .9, "name": .8,
                 "indicator": .8, "kpi description": .8, "description": .7},
    "unit": {"units": .95, "uom": .95, "unit of measure": .95},
    "aggregation": {"agg": .9, "aggregate": .9, "rollup": .85, "aggregation method": .95},
    "frequency": {"freq": .95, "periodicity": .9, "cadence": .9, "reporting frequency": .95},
    "data_owner": {"owner": .8, "data steward": .85, "kpi owner": .85},
    "source_system": {"source": .85, "system": .85, "data source": .9},
    "measured_on": {"date": .85, "day": .8, "measurement date": .95, "reading date": .9, "as of": .75,
                    "as at": .75, "week ending": .8, "period": .7},
    "value": {"reading": .9, "actual": .85, "actual value": .9, "result": .8, "amount": .75, "measure": .75},
    "recorded_at": {"recorded": .9, "timestamp": .85, "loaded at": .85, "extracted at": .85, "captured at": .85,
                    "last updated": .85, "updated": .8, "entered": .75},
    # benefits and their plan
    "benefit_id": {"benefit id": .95, "benefit ref": .9, "benefit no": .9, "benefit number": .9,
                   "benefit code": .9},
    "benefit_name": {"benefit": .85, "benefit name": .95, "benefit title": .9, "benefit description": .8,
                     "description": .7, "title": .75},
    "category": {"benefit type": .85, "type": .75, "benefit category": .95, "class": .75, "classification": .8},
    "is_disbenefit": {"disbenefit": .95, "dis benefit": .95, "negative": .7},
    "direction": {"polarity": .9, "improvement direction": .95, "good is": .85, "higher is better": .8},
    "baseline_value": {"baseline": .9, "base line": .9, "as is": .75, "current value": .7},
    "baseline_start": {"baseline from": .9, "baseline period start": .95, "baseline start date": .95},
    "baseline_end": {"baseline to": .9, "baseline period end": .95, "baseline end date": .95},
    "target_value": {"target": .9, "goal": .8, "to be": .75},
    "realization_start": {"realisation start": .98, "realisation from": .9, "benefits start": .85, "start": .7},
    "target_date": {"due": .75, "deadline": .8, "achieve by": .9, "by when": .85, "target by": .9},
    "profile": {"ramp": .85, "ramp profile": .95, "realisation profile": .95, "curve": .8, "trajectory": .8},
    "attribution_pct": {"attribution": .95, "contribution": .8, "share": .75},
    "value_per_unit": {"unit value": .9, "per unit": .85, "price per unit": .9, "unit price": .85, "rate": .7},
    "benefit_owner": {"owner": .85, "benefit owner": .95, "business owner": .9, "accountable": .75},
    "review_until": {"review end": .9, "track until": .9, "review to": .85},
    "period_month": {"month": .9, "period": .85, "reporting month": .9, "period end": .8},
    "planned_pct": {"planned": .85, "plan": .8, "planned percent": .95, "percent": .8, "pct": .75},
    # financials
    "planned_value": {"pv": .95, "bcws": .95, "planned": .8},
    "earned_value": {"ev": .95, "bcwp": .95, "earned": .85},
    "actual_cost": {"ac": .9, "acwp": .95, "actuals": .9, "actual": .8, "spend": .8, "cost to date": .9,
                    "actual spend": .9},
    "estimate_at_completion": {"eac": .95, "forecast": .8, "forecast at completion": .95, "fac": .9,
                               "estimate": .8, "forecast cost": .85},
    # milestones
    "milestone_id": {"milestone id": .95, "ms id": .9, "milestone ref": .9},
    "milestone_name": {"milestone": .85, "milestone name": .95, "name": .8, "title": .75, "description": .7},
    "is_key": {"key": .85, "key milestone": .95, "critical": .75, "major": .7},
    "baseline_date": {"baseline": .85, "baseline finish": .9, "planned date": .85, "original date": .85,
                      "planned": .75},
    "forecast_date": {"forecast": .9, "forecast finish": .9, "expected date": .85, "revised date": .8},
    "actual_date": {"actual": .9, "actual finish": .9, "completed": .8, "completion date": .8, "achieved": .8,
                    "done on": .85},
    # status reports
    "report_date": {"date": .85, "reporting date": .95, "status date": .9, "as at": .8, "as of": .8,
                    "week ending": .85, "period": .7},
    "overall_rag": {"rag": .9, "overall": .85, "overall status": .9, "rag status": .9, "status": .75,
                    "health": .75},
    "schedule_rag": {"schedule": .85, "time": .8, "timeline": .8, "time rag": .9, "schedule status": .9},
    "cost_rag": {"cost": .85, "budget": .75, "finance": .8, "financial": .8, "budget rag": .9, "cost status": .9},
    "benefits_rag": {"benefits": .85, "benefit": .8, "benefits status": .9, "benefit rag": .95},
    "commentary": {"comments": .95, "comment": .95, "notes": .85, "note": .85, "narrative": .9, "summary": .85,
                   "remarks": .85, "update": .75},
    # RAID log
    "raid_id": {"raid id": .95, "risk id": .85, "issue id": .85, "log id": .85},
    "raid_type": {"type": .85, "raid type": 1, "item type": .9, "log type": .85, "category": .75},
    "title": {"description": .85, "summary": .85, "subject": .8, "name": .75, "risk": .7, "issue": .7,
              "item": .7},
    "severity": {"impact": .8, "priority": .8, "rating": .8, "criticality": .85, "risk rating": .85,
                 "level": .75, "score": .7},
    "owner": {"assigned to": .85, "action owner": .9, "responsible": .8},
    "raised_on": {"raised": .9, "date raised": .95, "raised date": .95, "opened": .85, "open date": .9,
                  "created": .85, "created on": .9, "logged": .85, "identified": .85, "date identified": .9,
                  "submitted": .85, "requested": .85, "request date": .9, "date requested": .9},
    "due_on": {"due": .9, "due date": .95, "target date": .85, "deadline": .85, "review date": .75},
    "closed_on": {"closed": .9, "date closed": .95, "closed date": .95, "close date": .95, "resolved": .85,
                  "resolved on": .9},
    "mitigation": {"mitigations": .95, "mitigation plan": .95, "mitigating action": .9, "response": .85,
                   "treatment": .85, "action": .8, "actions": .8},
    # change requests
    "cr_id": {"cr id": .95, "cr": .85, "cr no": .9, "cr number": .9, "change id": .95, "change ref": .9,
              "change request id": .95, "change request": .8},
    "decided_on": {"decided": .9, "decision date": .95, "date decided": .95, "approved on": .8, "closed": .75},
    "decision": {"outcome": .9, "approval status": .9, "approval": .8, "status": .8, "state": .75, "result": .75},
    "cost_impact": {"cost": .8, "cost change": .9, "cost delta": .9, "budget impact": .9, "financial impact": .9,
                    "value": .7},
    "schedule_impact_days": {"schedule impact": .9, "schedule days": .9, "delay days": .9, "delay": .8,
                             "days": .8, "time impact": .85},
    "billable": {"chargeable": .9, "rechargeable": .85, "billed": .8, "client funded": .8},
}

# The file, folder or sheet names that hint at a contract table.
_TABLE_HINTS: dict[str, tuple[str, ...]] = {
    "projects": ("projects", "project", "project register", "project list", "register", "portfolio"),
    "kpi_definitions": ("kpi definitions", "kpis", "kpi", "kpi list", "kpi catalogue", "measures", "metrics",
                        "indicators"),
    "kpi_measurements": ("kpi measurements", "measurements", "kpi data", "kpi values", "readings", "actuals",
                         "daily", "weekly", "monthly"),
    "benefits": ("benefits", "benefit", "benefits register", "benefit register", "benefit profiles"),
    "benefit_plan": ("benefit plan", "benefits plan", "ramp", "ramps", "trajectory"),
    "financials": ("financials", "finance", "evm", "earned value", "costs", "spend"),
    "milestones": ("milestones", "milestone", "key dates", "schedule"),
    "status_reports": ("status reports", "status report", "status", "highlight reports", "highlights", "rag"),
    "raid_log": ("raid log", "raid", "risks", "risk", "issues", "risk register", "risk log", "issue log",
                 "risks and issues"),
    "change_requests": ("change requests", "change request", "changes", "change log", "change control", "crs"),
}

# Words of the organisation → contract enum values. Phrases are normalised (lower case, words).
_RAG = {"green": "g|green|on track|ok|good|fine|no issues",
        "amber": "a|amber|at risk|yellow|y|warning|some concerns|caution",
        "red": "r|red|off track|critical|bad|in trouble|late|failing"}
_VOCAB: dict[str, dict[str, str]] = {
    "stage": {"proposed": "proposed|proposal|idea|pipeline|concept|candidate|draft|not started|planned|"
                          "pre initiation|in approval|awaiting approval|submitted",
              "active": "active|in flight|inflight|in progress|delivery|execution|executing|live|ongoing|running|"
                        "started|build|implementation|initiation|open|on hold",
              "closed": "closed|done|complete|completed|finished|delivered|closed out|benefits realisation",
              "cancelled": "cancelled|canceled|stopped|terminated|abandoned|withdrawn|killed|descoped"},
    "category": {"cashable": "cashable|cash|cash releasing|financial|direct financial|hard|savings",
                 "non_cashable": "non cashable|noncashable|non cash|non cash releasing|efficiency|productivity|"
                                 "time saving|soft|cost avoidance",
                 "non_financial": "non financial|nonfinancial|qualitative|quality|customer|strategic|compliance|"
                                  "service|other"},
    "direction": {"increase": "increase|up|higher|higher is better|maximise|maximize|more|grow|raise|+",
                  "decrease": "decrease|down|lower|lower is better|minimise|minimize|less|reduce|reduction|-"},
    "profile": {"linear": "linear|straight line|even|gradual|straight",
                "step": "step|one off|immediate|big bang|stepped",
                "s_curve": "s curve|scurve|sigmoid|s",
                "custom": "custom|planned|manual|bespoke|profiled"},
    "aggregation": {"sum": "sum|total|add|cumulative", "avg": "avg|average|mean", "last": "last|latest|closing|end",
                    "min": "min|minimum|lowest", "max": "max|maximum|highest|peak"},
    "frequency": {"daily": "daily|day|d|per day", "weekly": "weekly|week|w|wk|per week",
                  "monthly": "monthly|month|m|mth|per month"},
    "raid_type": {"risk": "risk|r|threat|opportunity", "assumption": "assumption|a",
                  "issue": "issue|i|problem", "dependency": "dependency|dep|d", "decision": "decision|d|dec"},
    "severity": {"low": "low|l|minor|negligible|very low", "medium": "medium|med|m|moderate|mid",
                 "high": "high|h|major|significant", "critical": "critical|c|very high|severe|catastrophic|extreme"},
    "decision": {"pending": "pending|open|submitted|under review|in review|awaiting decision|new|raised|tbc|draft",
                 "approved": "approved|accepted|agreed|granted|authorised|authorized|yes|implemented",
                 "rejected": "rejected|declined|refused|denied|no|not approved|withdrawn"},
    "currency": {"GBP": "£|gbp|sterling|pound|pounds|uk pound", "USD": "$|us$|usd|dollar|dollars|us dollar",
                 "EUR": "€|eur|euro|euros", "JPY": "¥|yen", "INR": "₹|rupee|rupees"},
    "overall_rag": _RAG, "schedule_rag": _RAG, "cost_rag": _RAG, "benefits_rag": _RAG,
}
_BOOL_WORDS = {True: "x|✓|✔|t|true|yes|y|1|checked", False: "f|false|no|n|0|unchecked|-"}
_BOOL_VOCAB = {
    "is_key": {True: "key|key milestone|major|tier 1|critical", False: "non key|not key|minor|tier 2|tier 3"},
    "billable": {True: "billable|chargeable|client|rechargeable|billed",
                 False: "non billable|not billable|internal|non chargeable|unbilled"},
    "is_disbenefit": {True: "disbenefit|dis benefit|negative", False: "benefit|positive"},
}
_ENGINE_BOOLEANS = {"true", "false", "yes", "no", "y", "n", "1", "0"}  # pipelines.mapping reads these itself
_CURRENCY_OF_SYMBOL = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₹": "INR"}
_TOTAL_WORDS = ("total", "grand total", "subtotal", "sub total", "sum", "totals")


def _norm(text: str) -> str:
    """A name for comparison: accents folded, lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "", folded.lower())


def _words(text: str) -> str:
    """A value for vocabulary look-up: lower case words separated by one space (symbols kept)."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode() or str(text)
    return " ".join(re.sub(r"[\s_\-/.,;:()\[\]'\"!?]+", " ", folded.lower()).split()) or str(text).strip()


def _variants(header: str) -> set[str]:
    """The header normalised, also without a unit in brackets: `Budget (£k)` → budget."""
    out = {_norm(header), _norm(re.sub(r"\(.*?\)|\[.*?\]", " ", header))}
    return {v for v in out if v}


@functools.lru_cache(maxsize=None)
def _phrases(table: str, column: str) -> tuple[tuple[str, float], ...]:
    """Normalised names a contract column may go by in its table, with their strength."""
    source = SOURCES_BY_NAME[table]
    col = source.column(column)
    phrases = {_norm(col.name): 1.0, _norm(col.name.replace("_pct", " percent")): 1.0}
    phrases.update({_norm(p): s for p, s in _SYN.get(col.name, {}).items()})
    if len(source.key) == 1 and col.name == source.key[0] and col.name.endswith("_id"):
        # A register's own key often is just "ID" or "Ref".
        for p in ("id", "ref", "reference", "no", "number", "code", "key"):
            phrases.setdefault(p, .8)
    return tuple(phrases.items())


@functools.lru_cache(maxsize=None)
def _name_score(header: str, table: str, column: str) -> float:
    """How well a header names a contract column: 1 exact, a synonym's strength, less for
    containment (`Sponsor Name` ⊃ sponsor) or similarity (difflib ratio)."""
    best = 0.0
    for h in _variants(header):
        for p, strength in _phrases(table, column):
            if h == p:
                score = strength
            elif len(p) >= 3 and p in h:
                score = strength * (0.75 + 0.2 * len(p) / len(h))
            else:
                floor = max(best, ACCEPT * 0.75)  # only scores above this matter
                bound = 2 * min(len(h), len(p)) / (len(h) + len(p))  # the ratio can be no higher
                if bound < SIMILAR or strength * 0.9 * bound <= floor:
                    continue
                matcher = difflib.SequenceMatcher(None, h, p)
                if strength * 0.9 * matcher.quick_ratio() <= floor:
                    continue
                ratio = matcher.ratio()  # below 0.75 a likeness is a coincidence ("agencycode", "currencycode")
                score = strength * 0.9 * ratio if ratio >= SIMILAR else 0.0
            best = max(best, score)
    return best


def _hint_score(names: list[str], table: str) -> float:
    """0.15 when a file, folder or sheet name is a table's name, 0.1 when it contains one."""
    best = 0.0
    hints = [_norm(h) for h in (table, *_TABLE_HINTS.get(table, ()))]
    for name in names:
        n = _norm(name)
        for h in hints:
            if n == h:
                best = max(best, 0.15)
            elif len(h) >= 4 and h in n:
                best = max(best, 0.1)
    return best


# --------------------------------------------------------------------------- finding inputs


@dataclass
class _Profile:
    """What one input column holds (counted by DuckDB over the input's rows)."""

    count: int = 0  # non-empty values
    distinct: int = 0
    top: list[str] = field(default_factory=list)  # up to 31 most frequent values
    plain: int = 0  # plain numbers (123, -4.5)
    number: int = 0  # numbers the engine can read with some `number:` options
    currency: str = ""  # the most frequent currency symbol
    with_currency: int = 0
    thousands: int = 0  # 1,234 style
    suffixed: int = 0  # 12k, 1.5m, 2bn
    decimal_comma: int = 0  # 12,5 style (cannot be a thousands separator)
    decimal_point: int = 0  # 12.5 style
    iso: int = 0  # ISO 8601 dates / timestamps
    serial: int = 0  # whole numbers in the Excel serial-date range
    totals: int = 0  # "Total", "Grand total": subtotal rows
    formats: dict[str, int] = field(default_factory=dict)  # strftime format → values it reads

    @property
    def date_share(self) -> float:
        if not self.count:
            return 0.0
        best = max(self.formats.values(), default=0)
        return min(1.0, (self.iso + best + self.serial) / self.count)

    @property
    def number_share(self) -> float:
        return self.number / self.count if self.count else 0.0

    def merged(self, other: _Profile) -> _Profile:
        """Counts of two columns together (the value columns of a wide sheet)."""
        out = _Profile()
        for name in ("count", "distinct", "plain", "number", "with_currency", "thousands", "suffixed",
                     "decimal_comma", "decimal_point", "iso", "serial", "totals"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.currency = self.currency or other.currency
        out.formats = {f: self.formats.get(f, 0) + other.formats.get(f, 0) for f in {*self.formats, *other.formats}}
        return out


@dataclass
class _Input:
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
    profiles: dict[str, _Profile] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.file}#{self.sheet}" if self.sheet is not None else self.file

    def hint(self, table: str) -> float:
        first = PurePosixPath(self.file)
        own = _hint_score([self.sheet] if self.sheet else [re.sub(r"[*?]", "", first.stem)], table)
        around = _hint_score([re.sub(r"[*?]", "", first.stem), first.parent.name] if self.sheet
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


def _csv_input(path: Path, rel: str) -> _Input | None:
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
    return _Input(rel, [path], "csv", delimiter=delimiter, encoding=encoding, header_row=header_row)


def _workbook_inputs(path: Path, rel: str) -> tuple[list[_Input], list[str]]:
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
            inputs.append(_Input(rel, [path], "xlsx", sheet=name, header_row=header_row))
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


def _group_key(inp: _Input) -> tuple:
    parent = PurePosixPath(inp.file).parent
    return (str(parent), PurePosixPath(inp.file).suffix.lower(), inp.kind, inp.sheet, inp.header_row,
            inp.delimiter, inp.encoding, tuple(inp.header))


def _glob_for(source_dir: Path, members: list[_Input]) -> str | None:
    """A glob matching exactly these same-shaped files of one folder (`kpi/daily*.csv`), or None."""
    first = PurePosixPath(members[0].file)
    stems = [PurePosixPath(m.file).stem for m in members]
    prefix = os.path.commonprefix(stems).rstrip("0123456789_- .")
    pattern = str(first.parent / f"{prefix}*{first.suffix}") if str(first.parent) != "." else f"{prefix}*{first.suffix}"
    matched = sorted((source_dir / p).resolve() for p in glob.glob(pattern, root_dir=source_dir))
    wanted = sorted(p.resolve() for m in members for p in m.paths)
    return pattern if matched == wanted else None


# --------------------------------------------------------------------------- profiling (DuckDB)


def _lit(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _profile_sql() -> str:
    """One query over `_profile` (text columns): per column the counts of `_Profile`. Distinct
    values and subtotal rows are counted over all rows (up to PROFILE_ROWS), the shapes of the
    values (numbers, dates in each candidate format) over the first SAMPLE_ROWS."""
    any_number = number_sql("v", NumberFormat(suffixes=True), ".")
    comma_number = number_sql("v", NumberFormat(decimal=",", suffixes=True), ",")
    formats = ",\n      ".join(
        f"count(*) FILTER (WHERE year(try_strptime(v, {_lit(f)})) BETWEEN 1900 AND 2200) AS f{k}"
        for k, f in enumerate(DATE_FORMATS)
    )
    totals = ", ".join(_lit(w) for w in _TOTAL_WORDS)
    lo, hi = EXCEL_SERIAL

    def long(rows: int) -> str:
        return (f"SELECT __name, trim(__value) AS v FROM (UNPIVOT (SELECT * FROM _profile LIMIT {rows}) "
                f"ON COLUMNS(*) INTO NAME __name VALUE __value) WHERE trim(__value) <> ''")

    return f"""
WITH counted AS (SELECT __name, v, count(*) AS n FROM ({long(PROFILE_ROWS)}) GROUP BY __name, v),
ranked AS (SELECT *, row_number() OVER (PARTITION BY __name ORDER BY n DESC, v) AS rn FROM counted),
everything AS (
    SELECT __name,
      count(*) AS "distinct",
      list(v ORDER BY v) FILTER (WHERE rn <= {MAX_DISTINCT + 1}) AS top,
      coalesce(sum(n) FILTER (WHERE lower(v) IN ({totals})), 0) AS totals
    FROM ranked GROUP BY __name
),
sample AS ({long(SAMPLE_ROWS)}),
shapes AS (
    SELECT __name,
      count(*) AS count,
      count(*) FILTER (WHERE regexp_full_match(v, '[+-]?\\d+(\\.\\d+)?')) AS plain,
      count(*) FILTER (WHERE ({any_number}) IS NOT NULL OR ({comma_number}) IS NOT NULL) AS number,
      coalesce(mode(regexp_extract(v, '[£$€¥₹]')) FILTER (WHERE regexp_matches(v, '[£$€¥₹]')), '') AS currency,
      count(*) FILTER (WHERE regexp_matches(v, '[£$€¥₹]')) AS with_currency,
      count(*) FILTER (WHERE regexp_matches(v, '\\d,\\d{{3}}([^0-9]|$)')) AS thousands,
      count(*) FILTER (WHERE regexp_full_match(v, '(?i)[(+-]?[£$€¥₹]?\\s*\\d[\\d,.]*\\s*(k|m|mn|bn|b)\\)?')) AS suffixed,
      count(*) FILTER (WHERE regexp_matches(v, '\\d,\\d{{1,2}}%?\\)?$')) AS decimal_comma,
      count(*) FILTER (WHERE regexp_matches(v, '\\d\\.\\d{{1,2}}%?\\)?$') OR regexp_matches(v, '\\d\\.\\d{{4,}}')) AS decimal_point,
      count(*) FILTER (WHERE regexp_full_match(v, '\\d{{4}}-\\d{{2}}-\\d{{2}}([ T]\\d{{2}}:\\d{{2}}.*)?')) AS iso,
      count(*) FILTER (WHERE regexp_full_match(v, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST(v AS DOUBLE) BETWEEN {lo} AND {hi}) AS serial,
      {formats}
    FROM sample GROUP BY __name
)
SELECT * FROM everything LEFT JOIN shapes USING (__name)
"""


_SCALAR_FIELDS = ("count", "distinct", "plain", "number", "currency", "with_currency", "thousands", "suffixed",
                  "decimal_comma", "decimal_point", "iso", "serial", "totals")


def _load(conn: duckdb.DuckDBPyConnection, source_dir: Path, inp: _Input, path: Path,
          header_only: bool = False) -> list[str]:
    """Read one file of an input into temp table `_input` with the mapping engine's reader (so
    the header is exactly what `brw run` will see); returns the header."""
    spec = inp.spec(Path(os.path.relpath(path, source_dir)).as_posix())
    tm = TableMapping(input=spec)
    _, header, _ = read_input(conn, source_dir, "projects", tm, Mapping(tables={}), path, header_only=header_only)
    return header


def _profile(conn: duckdb.DuckDBPyConnection, source_dir: Path, inp: _Input) -> None:
    """Read the input's files and fill in its header, row count and column profiles."""
    conn.execute("DROP TABLE IF EXISTS _profile")
    for k, path in enumerate(inp.paths[:20]):
        header = _load(conn, source_dir, inp, path)
        if k == 0:
            inp.header = header
            conn.execute("CREATE TEMP TABLE _profile AS SELECT * EXCLUDE (__brw_row, __brw_modified) FROM _input")
        else:
            conn.execute("INSERT INTO _profile BY NAME SELECT * EXCLUDE (__brw_row, __brw_modified) FROM _input")
        conn.execute("DROP TABLE IF EXISTS _input")
    inp.rows = conn.execute("SELECT count(*) FROM _profile").fetchone()[0]
    inp.profiles = {name: _Profile() for name in inp.header}
    if inp.header and inp.rows:
        cursor = conn.execute(_profile_sql())
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            rec = dict(zip(names, row))
            prof = inp.profiles.setdefault(rec["__name"], _Profile())
            for name in _SCALAR_FIELDS:
                setattr(prof, name, rec[name] if rec[name] is not None else getattr(_Profile(), name))
            prof.top = list(rec["top"] or [])
            prof.formats = {f: rec[f"f{k}"] for k, f in enumerate(DATE_FORMATS) if rec[f"f{k}"]}
    conn.execute("DROP TABLE IF EXISTS _profile")


def _discover(conn: duckdb.DuckDBPyConnection, source_dir: Path) -> tuple[list[_Input], list[str]]:
    """Every candidate input under source_dir, profiled; same-shaped files of a folder are one glob."""
    notes: list[str] = []
    files = _files(source_dir)
    if len(files) > MAX_INPUT_FILES:
        notes.append(f"only the first {MAX_INPUT_FILES} of {len(files)} files were looked at")
        files = files[:MAX_INPUT_FILES]
    found: list[_Input] = []
    for path in files:
        rel = Path(os.path.relpath(path, source_dir)).as_posix()
        suffix = path.suffix.lower()
        if suffix == ".csv":
            inputs = [i for i in [_csv_input(path, rel)] if i]
        elif suffix == ".parquet":
            inputs = [_Input(rel, [path], "parquet")]
        else:
            inputs, skipped = _workbook_inputs(path, rel)
            notes += skipped
        for inp in inputs:
            try:
                inp.header = _load(conn, source_dir, inp, path, header_only=True)
                conn.execute("DROP TABLE IF EXISTS _input")
            except (MappingError, duckdb.Error, OSError) as exc:
                notes.append(f"skipped {inp.label}: {str(exc).splitlines()[0][:160]}")
                continue
            if len(inp.header) >= 2:
                found.append(inp)
    # Same-shaped files of one folder: one glob input (a landing folder that grows).
    groups: dict[tuple, list[_Input]] = {}
    for inp in found:
        groups.setdefault(_group_key(inp), []).append(inp)
    inputs: list[_Input] = []
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
            _profile(conn, source_dir, inp)
            profiled.append(inp)
        except (MappingError, duckdb.Error, OSError) as exc:
            notes.append(f"skipped {inp.label}: {str(exc).splitlines()[0][:160]}")
    return profiled, notes


# --------------------------------------------------------------------------- value proposals


def _vocab(col: Column) -> dict[Any, list[str]]:
    """Target value → normalised phrases for an enum or boolean contract column."""
    if col.type == "boolean":
        merged = {t: _BOOL_WORDS[t].split("|") + _BOOL_VOCAB.get(col.name, {}).get(t, "").split("|")
                  for t in (True, False)}
        return {t: [p for p in ps if p] for t, ps in merged.items()}
    table = _VOCAB.get(col.name, {})
    return {t: [_words(p) for p in table.get(t, "").split("|") if p] for t in col.values if t in table} or {}


@dataclass
class _Placed:
    target: Any  # the contract value (None: cannot place)
    sure: bool
    others: list[Any] = field(default_factory=list)


def _already_valid(col: Column, value: str) -> bool:
    if col.type == "boolean":
        return value.strip().lower() in _ENGINE_BOOLEANS
    word = value.strip().upper() if col.upper else value.strip().lower()
    return word in col.values


def _place(col: Column, value: str) -> _Placed:
    """Which contract value an input word means: an exact phrase (sure), a phrase inside it or a
    near spelling (a guess), or nothing."""
    vocab = _vocab(col)
    w = _words(value)
    exact = [t for t, phrases in vocab.items() if w in phrases or value.strip().lower() in phrases]
    if exact:
        return _Placed(exact[0], len(exact) == 1, exact[1:])
    inside = sorted(
        ((len(p), t) for t, phrases in vocab.items() for p in phrases
         if len(p) >= 3 and re.search(rf"(^| ){re.escape(p)}( |$)", w)),
        key=lambda x: -x[0],
    )
    if inside:
        targets = list(dict.fromkeys(t for _, t in inside))
        return _Placed(targets[0], False, targets[1:])
    lookup = {p: t for t, phrases in vocab.items() for p in phrases if len(p) >= 4}
    close = difflib.get_close_matches(w, list(lookup), n=3, cutoff=0.8)
    if close:
        targets = list(dict.fromkeys(lookup[c] for c in close))
        return _Placed(targets[0], False, targets[1:])
    return _Placed(None, False)


def _enum_fit(col: Column, prof: _Profile) -> float | None:
    """Share of an input column's distinct values that are, or place as, the column's values."""
    if not prof.top or prof.distinct > MAX_DISTINCT:
        return None
    ok = sum(1 for v in prof.top if _already_valid(col, v) or _place(col, v).target is not None)
    return ok / len(prof.top)


def _type_factor(col: Column, prof: _Profile | None) -> float:
    """How well an input column's values fit a contract column's type (multiplies the name score)."""
    if prof is None or not prof.count:
        return 0.95
    if col.type in ("date", "month", "timestamp"):
        share = prof.date_share
        return 1.05 if share >= 0.8 else 1.0 if share >= 0.5 else 0.75
    if col.type in ("decimal", "integer"):
        share = prof.number_share
        return 1.05 if share >= 0.8 else 1.0 if share >= 0.5 else 0.75
    if col.type in ("enum", "boolean"):
        fit = _enum_fit(col, prof)
        if fit is None:  # too many distinct values for an enum
            return 0.75
        return 1.1 if fit >= 0.5 else 0.9 if fit > 0 else 0.7
    return 1.0


@dataclass
class _DateProposal:
    formats: list[str]  # [] for ISO 8601
    todo: str | None = None
    swapped: str | None = None  # day and month order ambiguous: the other reading of formats[0]


def _propose_date(prof: _Profile) -> _DateProposal:
    """The strftime format(s) of a date column's values (ISO needs none; Excel serials: excel)."""
    rest = prof.count - prof.iso
    if rest <= 0:
        return _DateProposal([])
    if prof.serial >= rest:
        return _DateProposal(["excel"])
    extra = ["excel"] if prof.serial else []
    fits = [f for f in DATE_FORMATS if prof.formats.get(f, 0) + prof.serial >= rest]
    if fits:
        first = fits[0]
        swapped = _swap_day_month(first)
        if swapped != first and swapped in fits:
            return _DateProposal([first, *extra], swapped=swapped)
        return _DateProposal([first, *extra])
    best = max(DATE_FORMATS, key=lambda f: (prof.formats.get(f, 0), -DATE_FORMATS.index(f)))
    read = prof.formats.get(best, 0) + prof.serial + prof.iso
    if prof.formats.get(best, 0) and read >= 0.8 * prof.count:
        return _DateProposal([best, *extra], f"{prof.count - read} of {prof.count} values do not read as {best}")
    return _DateProposal(extra, f"{rest} of {prof.count} values are no date format known here (e.g. {_example(prof)})")


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _example(prof: _Profile) -> str:
    odd = [v for v in prof.top if not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", v)]
    return repr(odd[0]) if odd else "?"


_SCALE_WORDS = (
    (re.compile(r"[£$€]\s?bn|\bbn\b|billions?", re.I), 1e9, "billions"),
    (re.compile(r"[£$€]\s?mm?\b|\(\s*m\s*\)|\bmn\b|\$mm|millions?", re.I), 1e6, "millions"),
    (re.compile(r"[£$€]\s?k\b|\(\s*k\s*\)|'000|\b000s\b|thousands?", re.I), 1e3, "thousands"),
)


def _propose_number(header: str, prof: _Profile) -> tuple[dict[str, Any] | None, str | None]:
    """`number:` options when values are not plain (£, 1,234, 12k, 12,5) or the header gives a
    scale (`Budget (£k)`); with a TODO note for the scale, which is a guess from the header."""
    opts: dict[str, Any] = {}
    note = None
    if prof.decimal_comma and not prof.decimal_point:
        opts.update(decimal=",", thousands=".")
    elif prof.with_currency or prof.thousands or prof.suffixed:
        opts.update(decimal=".", thousands=",")
    if prof.suffixed:
        opts["suffixes"] = True
    for pattern, scale, words in _SCALE_WORDS:
        if pattern.search(header):
            opts.setdefault("decimal", ".")
            opts.setdefault("thousands", ",")
            opts["scale"] = int(scale)
            note = f"scale {int(scale)}: the header {header!r} reads as {words}"
            break
    return (opts or None), note


# --------------------------------------------------------------------------- matching


@dataclass
class _Match:
    header: str
    score: float
    close: list[str] = field(default_factory=list)  # free headers scoring within CLOSE: unsure
    others: list[str] = field(default_factory=list)  # what else could be meant (for the TODO)

    @property
    def sure(self) -> bool:
        return self.score >= CONFIDENT and not self.close


@dataclass
class _Wide:
    date_column: str
    value_columns: list[str]
    excluded: list[str]


@dataclass
class _Plan:
    """A contract table's chosen input and column matches."""

    source: Source
    input: _Input | None = None
    matches: dict[str, _Match] = field(default_factory=dict)
    score: float = 0.0
    decent: bool = False
    wide: _Wide | None = None
    runner_up: str | None = None


def _column_scores(source: Source, inp: _Input) -> dict[str, list[tuple[float, str]]]:
    """Per contract column: (score, header) for every header scoring at least ACCEPT, best first."""
    out: dict[str, list[tuple[float, str]]] = {}
    for col in source.columns:
        scored = []
        for k, header in enumerate(inp.header):
            name = _name_score(header, source.name, col.name)
            if name < ACCEPT * 0.75:
                continue
            score = min(1.0, name * _type_factor(col, inp.profiles.get(header)))
            if score >= ACCEPT:
                scored.append((round(score, 4), k, header))
        scored.sort(key=lambda x: (-x[0], x[1]))
        out[col.name] = [(s, h) for s, _, h in scored]
    return out


def _assign(source: Source, inp: _Input) -> dict[str, _Match]:
    """Greedy one-to-one assignment of headers to contract columns, best score first."""
    scores = _column_scores(source, inp)
    order = {c.name: k for k, c in enumerate(source.columns)}
    pairs = sorted(((s, order[c], c, h) for c, lst in scores.items() for s, h in lst), key=lambda x: (-x[0], x[1]))
    taken: dict[str, str] = {}
    matches: dict[str, _Match] = {}
    for score, _, col, header in pairs:
        if col in matches or header in taken:
            continue
        matches[col] = _Match(header, score)
        taken[header] = col
    for col, m in matches.items():
        rivals = [(s, h) for s, h in scores[col] if h != m.header]
        m.close = [h for s, h in rivals if h not in taken and s >= m.score - CLOSE]
        m.others = [h for _, h in sorted(rivals, key=lambda r: (r[1] in taken, -r[0]))][:3]
    return matches


def _wide(inp: _Input) -> _Wide | None:
    """A wide KPI sheet: a date-like first column and at least two numeric columns whose headers
    name no contract column (one column per KPI)."""
    if len(inp.header) < 3 or not inp.rows:
        return None
    first = inp.header[0]
    prof = inp.profiles.get(first)
    dated = prof and prof.count and (
        prof.date_share >= 0.8
        or (_norm(first) in {"date", "day", "week", "weekending", "month", "period"} and prof.date_share >= 0.5)
    )
    if not dated:
        return None
    numeric = [h for h in inp.header[1:] if (p := inp.profiles.get(h)) and p.count and p.number_share >= 0.8]
    contract_like = {
        h for h in numeric
        if any(_name_score(h, s.name, c.name) >= CONFIDENT for s in SOURCES for c in s.columns)
    }
    kpis = [h for h in numeric if h not in contract_like]
    if len(kpis) < 2 or len(kpis) * 2 < len(inp.header) - 1:
        return None
    return _Wide(first, kpis, [h for h in inp.header if h not in kpis])


def _plan_for(source: Source, inp: _Input) -> _Plan:
    hint = inp.hint(source.name)
    if source.name == "kpi_measurements" and (wide := _wide(inp)):
        return _Plan(source, inp, {}, 0.9 + hint, True, wide)
    matches = _assign(source, inp)
    weights = {c.name: (1.0 if c.required else 0.3) for c in source.columns}
    coverage = sum(weights[c] * m.score for c, m in matches.items()) / sum(weights.values())
    required = [c for c in source.required_columns if c in matches]
    share = len(required) / max(1, len(source.required_columns))
    decent = share >= 0.5 or (hint > 0 and share >= 0.3)
    return _Plan(source, inp, matches, coverage + hint, decent)


def _plans(inputs: list[_Input]) -> dict[str, _Plan]:
    """Each contract table's best input; an input serves one table (best pairs first)."""
    options = [(_plan_for(s, inp), si, ii) for si, s in enumerate(SOURCES) for ii, inp in enumerate(inputs)]
    options.sort(key=lambda o: (-o[0].score, o[1], o[2]))
    chosen: dict[str, _Plan] = {}
    used: set[int] = set()
    for plan, _, ii in options:
        if plan.decent and plan.source.name not in chosen and ii not in used:
            chosen[plan.source.name] = plan
            used.add(ii)
    for name, plan in chosen.items():  # a close second input is worth a look
        rivals = [o for o, _, ii in options if o.source.name == name and o.input is not plan.input and o.decent]
        if rivals and rivals[0].score >= plan.score - 0.1:
            plan.runner_up = rivals[0].input.label
    out: dict[str, _Plan] = {}
    for source in SOURCES:
        if source.name in chosen:
            out[source.name] = chosen[source.name]
        else:  # the best of the rest, shown commented out
            weak = [o for o, _, ii in options if o.source.name == source.name and ii not in used and o.score > 0.15]
            out[source.name] = weak[0] if weak else _Plan(source)
            out[source.name].decent = False
    return out


# --------------------------------------------------------------------------- YAML rendering


def _scalar(value: Any, flow: bool = False) -> str:
    """A YAML scalar: plain when it reads back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    text = str(value)
    if re.search(r"\w", text) and text == text.strip() and "\t" not in text:
        doc = f"k: {{a: {text}}}" if flow else f"k: {text}"
        try:
            loaded = yaml.safe_load(doc)
        except yaml.YAMLError:
            loaded = None
        if loaded == ({"k": {"a": text}} if flow else {"k": text}):
            return text
    return json.dumps(text, ensure_ascii=False)


def _key(value: Any) -> str:
    """A YAML mapping key (always a string key in the loaded mapping)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.search(r"\w", text) and text == text.strip():
        try:
            if yaml.safe_load(f"{text}: 1") == {text: 1}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _flow(data: dict[str, Any]) -> str:
    parts = []
    for k, v in data.items():
        if isinstance(v, dict):
            parts.append(f"{k}: {_flow(v)}")
        elif isinstance(v, list):
            parts.append(f"{k}: [{', '.join(_scalar(x, flow=True) for x in v)}]")
        else:
            parts.append(f"{k}: {_scalar(v, flow=True)}")
    return "{" + ", ".join(parts) + "}"


class _Lines:
    """YAML lines with end-of-line comments."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, indent: int, text: str, comment: str | None = None) -> None:
        line = " " * indent + text
        if comment:
            line += "  # " + comment
        self.lines.append(line)

    def note(self, indent: int, comment: str) -> None:
        self.lines.append(" " * indent + "# " + comment)


@dataclass
class _Result:
    text: str
    report: list[str]


class _Writer:
    """Turns the plans into YAML, collecting TODOs for the report."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, source_dir: Path, plans: dict[str, _Plan]) -> None:
        self.conn = conn
        self.source_dir = source_dir
        self.plans = plans
        self.todos: list[str] = []
        self.default_date: str | None = None
        self.kpi_ids: dict[str, str] | None = None  # kpi_name → kpi_id from the kpi_definitions input

    def todo(self, where: str, text: str) -> str:
        self.todos.append(f"TODO {where}: {text}")
        return f"TODO: {text}"

    # -- dates shared by every table

    def choose_default_date(self) -> None:
        """One date format in `defaults` when every non-ISO date column reads with it."""
        seen: set[tuple[str, ...]] = set()
        for plan in self.plans.values():
            if not plan.decent or plan.input is None:
                continue
            cols = [(plan.source.column(c), m.header) for c, m in plan.matches.items()]
            if plan.wide:
                cols.append((plan.source.column("measured_on"), plan.wide.date_column))
            for col, header in cols:
                if col.type in ("date", "month"):
                    prop = _propose_date(plan.input.profiles.get(header, _Profile()))
                    if prop.formats and not prop.swapped:
                        seen.add(tuple(prop.formats))
        if len(seen) == 1:
            only = next(iter(seen))
            if len(only) == 1:
                self.default_date = only[0]

    def _date_entry(self, inp: _Input, header: str, col_type: str) -> tuple[dict[str, Any], str | None]:
        """`date:` (or `timestamp:`) for a column, unless ISO or the defaults read it; and a TODO
        when unsure. An ambiguous day/month order follows the input's other date columns, else
        the defaults."""
        prop = _propose_date(inp.profiles.get(header, _Profile()))
        formats, todo = prop.formats, prop.todo
        if prop.swapped:
            first = formats[0]
            sibling = self._day_month_convention(inp, header)
            if sibling and sibling[0] in (first, prop.swapped):
                chosen, why = sibling[0], f" like column {sibling[1]!r}"
            elif self.default_date in (first, prop.swapped):
                chosen, why = self.default_date, " like the other date columns"
            else:
                chosen, why = first, ""
            other = prop.swapped if chosen == first else first
            formats = [chosen, *formats[1:]]
            todo = f"check — day and month order ambiguous (no day above 12): read as {chosen}{why}; also possible: {other}"
        key = "timestamp" if col_type == "timestamp" else "date"
        if not formats or (key == "date" and formats == [self.default_date]):
            return {}, todo
        return {key: formats[0] if len(formats) == 1 else formats}, todo

    @staticmethod
    def _day_month_convention(inp: _Input, header: str) -> tuple[str, str] | None:
        """(format, column) of another date column of the input whose day/month order is certain."""
        for other in inp.header:
            prof = inp.profiles.get(other)
            if other == header or not prof or prof.date_share < 0.8:
                continue
            prop = _propose_date(prof)
            if prop.formats and not prop.swapped and "%d" in prop.formats[0] and "%m" in prop.formats[0]:
                return prop.formats[0], other
        return None

    # -- one table

    def table(self, out: _Lines, plan: _Plan) -> None:
        source, inp = plan.source, plan.input
        name = source.name
        if inp is None:
            if source.required:
                out.note(2, self.todo(f"tables.{name}", "no export found that looks like it; map it, or declare "
                                                           "that there is none"))
                out.note(2, f"{name}:")
                out.note(2, "  absent: true")
            else:
                out.note(2, f"{name} (optional): no export found that looks like it; not needed unless used")
            out.lines.append("")
            return
        block = _Lines()
        start = len(self.todos)
        self._table_body(block, plan)
        if plan.decent:
            out.lines += block.lines
        else:
            del self.todos[start:]  # the block is commented out: one TODO for the whole table
            required = [c for c in source.required_columns if c in plan.matches]
            what = (f"best guess below: {inp.label}, {len(required)} of {len(source.required_columns)} "
                    "required columns matched")
            out.note(2, self.todo(f"tables.{name}", f"no decent match among the exports ({what})"))
            out.note(2, f"Uncomment and complete it, or write `{name}: {{absent: true}}` if there is no such export.")
            out.lines += [line[:2] + "# " + line[2:] for line in block.lines]
        out.lines.append("")

    def _table_body(self, out: _Lines, plan: _Plan) -> None:
        source, inp = plan.source, plan.input
        name = source.name
        out.add(2, f"{name}:")
        if plan.wide:
            summary = f"{inp.label}: a wide sheet, one column per KPI ({len(plan.wide.value_columns)}): unpivoted"
        else:
            matched = len(plan.matches)
            summary = f"{inp.label}: {matched} of {len(source.columns)} contract columns matched"
        out.note(4, summary + (f", {inp.rows} row{'s' if inp.rows != 1 else ''}" if inp.rows else ", no data rows"))
        comment = None
        if plan.runner_up:
            comment = self.todo(f"tables.{name}.input", f"check — also possible: {plan.runner_up}")
        out.add(4, f"input: {_flow(inp.input_yaml())}", comment)
        self._filter(out, plan)
        if plan.wide:
            self._wide_columns(out, plan)
            return
        out.add(4, "columns:")
        for col in source.columns:
            self._column(out, plan, col)

    def _filter(self, out: _Lines, plan: _Plan) -> None:
        """Skip subtotal rows ("Total" in the key column)."""
        key = plan.matches.get(plan.source.key[0]) if plan.matches else None
        prof = plan.input.profiles.get(key.header) if key else None
        if key and prof and prof.totals:
            words = ", ".join(_lit(w) for w in _TOTAL_WORDS)
            sql = f"lower(coalesce({_q(key.header)}, '')) NOT IN ({words})"
            out.add(4, f"filter: {_scalar(sql)}", f"skips {prof.totals} subtotal row(s)")

    # -- columns

    def _column(self, out: _Lines, plan: _Plan, col: Column) -> None:
        where = f"tables.{plan.source.name}.columns.{col.name}"
        match = plan.matches.get(col.name)
        if match is None:
            self._unmatched(out, plan, col, where)
            return
        prof = plan.input.profiles.get(match.header, _Profile())
        spec: dict[str, Any] = {"column": match.header}
        comments: list[str] = []
        if not match.sure:
            also = f" — also possible: {', '.join(match.others)}" if match.others else " — weak match by name"
            comments.append(self.todo(where, f"check{also}"))
        values: list[tuple[str, Any, str | None]] = []  # (input word, target, comment)
        if col.type in ("date", "month", "timestamp"):
            more, todo = self._date_entry(plan.input, match.header, col.type)
            spec.update(more)
            if todo:
                comments.append(self.todo(where, todo))
        elif col.type in ("decimal", "integer"):
            opts, note = _propose_number(match.header, prof)
            if opts:
                spec["number"] = opts
            if note:
                comments.append(self.todo(where, f"check {note}"))
        elif col.type in ("enum", "boolean"):
            values = self._values(col, prof, where, comments)
        self._emit(out, col.name, spec, comments, values)

    def _values(self, col: Column, prof: _Profile, where: str, comments: list[str]) -> list[tuple[str, Any, str | None]]:
        """The `values:` entries for the input words that are not contract values already."""
        if prof.distinct > MAX_DISTINCT:
            comments.append(self.todo(where, f"{prof.distinct} distinct values: is this the right column?"))
            return []
        allowed = "an ISO 4217 code" if len(col.values) > 10 else (
            "true or false" if col.type == "boolean" else "one of " + ", ".join(col.values))
        entries, unplaced = [], []
        for word in sorted(prof.top, key=lambda v: (v.casefold(), v)):
            if _already_valid(col, word):
                continue
            placed = _place(col, word)
            if placed.target is None:
                unplaced.append(word)
                entries.append((word, None, allowed))
            elif placed.sure:
                entries.append((word, placed.target, None))
            else:
                also = f" — also possible: {', '.join(map(str, placed.others))}" if placed.others else ""
                entries.append((word, placed.target, self.todo(f"{where}.values.{word}", f"check{also}")))
        if unplaced:
            shown = ", ".join(repr(w) for w in unplaced[:5]) + (f" and {len(unplaced) - 5} more" if len(unplaced) > 5 else "")
            self.todo(f"{where}.values", f"{shown} not placed ({allowed})")
        return entries

    def _emit(self, out: _Lines, name: str, spec: dict[str, Any], comments: list[str],
              values: list[tuple[str, Any, str | None]]) -> None:
        """One column entry: `name: Header`, a flow mapping, or a block with its `values:` map
        (words that could not be placed are commented-out TODO entries)."""
        comment = "; ".join(comments) or None
        if not values:
            if list(spec) == ["column"]:
                out.add(6, f"{name}: {_scalar(spec['column'])}", comment)
            else:
                out.add(6, f"{name}: {_flow(spec)}", comment)
            return
        out.add(6, f"{name}:", comment)
        for k, v in spec.items():
            out.add(8, f"{k}: {_flow(v) if isinstance(v, dict) else _scalar(v)}")
        placed = [(w, t, c) for w, t, c in values if t is not None]
        out.add(8, "values:" if placed else "values: {}")
        for word, target, note in values:
            if target is None:
                out.note(10, f"{_key(word)}: TODO  ({note})")
            else:
                out.add(10, f"{_key(word)}: {_scalar(target)}", note)

    def _unmatched(self, out: _Lines, plan: _Plan, col: Column, where: str) -> None:
        if not col.required:
            out.note(6, f"{col.name}: no matching column (optional)")
            return
        if col.name == "recorded_at":
            out.add(6, "recorded_at: {file_modified: true}", "no recorded-at column: the file's modification time")
            return
        if col.name == "currency" and (code := self._currency_guess(plan)):
            symbol, code = code
            out.add(6, "currency: " + _flow({"value": code}),
                    self.todo(where, f"check — no currency column; guessed from the {symbol!r} in the amounts"))
            return
        out.add(6, f"{col.name}: {{value: TODO}}", self.todo(where, "required, no matching column"))

    def _currency_guess(self, plan: _Plan) -> tuple[str, str] | None:
        """A currency code from a £/$/€ in the money columns' headers or values."""
        for name in ("budget_at_completion", "contract_value"):
            m = plan.matches.get(name)
            if not m:
                continue
            prof = plan.input.profiles.get(m.header, _Profile())
            for symbol in [prof.currency, *re.findall(r"[£$€¥₹]", m.header)]:
                if symbol in _CURRENCY_OF_SYMBOL:
                    return symbol, _CURRENCY_OF_SYMBOL[symbol]
        return None

    # -- the wide KPI sheet

    def _names_to(self, inp: _Input, wanted: str) -> str:
        taken = {h.lower() for h in inp.header}
        for candidate in (wanted, f"{wanted}_name", f"brw_{wanted}"):
            if candidate.lower() not in taken:
                return candidate
        return f"brw_{wanted}_{len(taken)}"

    def _wide_columns(self, out: _Lines, plan: _Plan) -> None:
        inp, wide = plan.input, plan.wide
        where = "tables.kpi_measurements"
        names_to, values_to = self._names_to(inp, "kpi"), self._names_to(inp, "reading")
        out.add(4, "unpivot: " + _flow({"exclude": wide.excluded, "names_to": names_to, "values_to": values_to}))
        out.add(4, "columns:")
        ids = self._kpi_ids()
        entries, unplaced = [], []
        for header in sorted(wide.value_columns, key=str.casefold):
            kpi = self._kpi_for(header, ids)
            if kpi is None:
                unplaced.append(header)
            elif kpi[0] != header:
                entries.append((header, kpi[0], None if kpi[1] else self.todo(f"{where}.columns.kpi_id.values.{header}",
                                                                              "check — by a similar kpi_name")))
        if not entries and not unplaced:  # the headers are kpi_ids already
            out.add(6, f"kpi_id: {_scalar(names_to)}")
        elif not entries:
            out.add(6, "kpi_id:")
            out.add(8, f"column: {_scalar(names_to)}",
                    self.todo(f"{where}.columns.kpi_id", "map each KPI column header to its kpi_id under values"))
            out.note(8, "values:")
            for header in unplaced:
                out.note(8, f"  {_key(header)}: TODO")
        else:
            out.add(6, "kpi_id:")
            out.add(8, f"column: {_scalar(names_to)}")
            out.add(8, "values:")
            for header, kpi, note in entries:
                out.add(10, f"{_key(header)}: {_scalar(kpi)}", note)
            for header in unplaced:
                self.todo(f"{where}.columns.kpi_id.values", f"{header!r}: no kpi_id or kpi_name like it")
                out.note(10, f"{_key(header)}: TODO  (no kpi_id or kpi_name like it)")
        more, todo = self._date_entry(inp, wide.date_column, "date")
        spec: dict[str, Any] = {"column": wide.date_column, **more}
        comments = [self.todo(f"{where}.columns.measured_on", todo)] if todo else []
        self._emit(out, "measured_on", spec, comments, [])
        merged = _Profile()
        for header in wide.value_columns:
            merged = merged.merged(inp.profiles.get(header, _Profile()))
        opts, _ = _propose_number("", merged)
        self._emit(out, "value", {"column": values_to, **({"number": opts} if opts else {})}, [], [])
        out.add(6, "recorded_at: {file_modified: true}", "when the file was saved: a restated file wins")

    def _kpi_ids(self) -> dict[str, str]:
        """kpi_name → kpi_id as the kpi_definitions input holds them (when both are input columns)."""
        if self.kpi_ids is not None:
            return self.kpi_ids
        self.kpi_ids = {}
        plan = self.plans.get("kpi_definitions")
        if not plan or not plan.decent or plan.input is None:
            return self.kpi_ids
        id_m, name_m = plan.matches.get("kpi_id"), plan.matches.get("kpi_name")
        if not id_m or not name_m:
            return self.kpi_ids
        inp = plan.input
        pairs: dict[str, str] = {}
        for path in inp.paths[:20]:
            _load(self.conn, self.source_dir, inp, path)
            rows = self.conn.execute(
                f"SELECT DISTINCT trim({_q(name_m.header)}), trim({_q(id_m.header)}) FROM _input "
                f"WHERE trim({_q(name_m.header)}) <> '' AND trim({_q(id_m.header)}) <> '' ORDER BY 1, 2 LIMIT 1000"
            ).fetchall()
            self.conn.execute("DROP TABLE IF EXISTS _input")
            for kpi_name, kpi_id in rows:
                pairs.setdefault(kpi_name, kpi_id)
        self.kpi_ids = pairs
        return pairs

    @staticmethod
    def _kpi_for(header: str, ids: dict[str, str]) -> tuple[str, bool] | None:
        """(kpi_id, sure) for a KPI column header: it is an id, or a kpi_name (by name or similar)."""
        by_id = {i.casefold(): i for i in ids.values()}
        if header.casefold() in by_id:
            return by_id[header.casefold()], True
        by_name = {_norm(n): i for n, i in ids.items()}
        if _norm(header) in by_name:
            return by_name[_norm(header)], True
        close = difflib.get_close_matches(_norm(header), list(by_name), n=1, cutoff=0.75)
        return (by_name[close[0]], False) if close else None

    # -- the whole file

    def render(self, source_dir: Path, notes: list[str]) -> _Result:
        self.choose_default_date()
        out = _Lines()
        out.note(0, f"Starter sources.yml written by `brw sources init` from the files in {source_dir.name}/.")
        out.note(0, "It is a first guess from headers and values, not a finished mapping: check every line,")
        out.note(0, "above all those marked TODO, then run `brw sources check --source DIR`.")
        out.note(0, "Format: README, section \"Your own exports (`sources.yml`)\".")
        out.add(0, "version: 1")
        if self.default_date:
            out.add(0, "defaults:")
            out.add(2, f"date: {_scalar(self.default_date)}", "the format of every non-ISO date column found")
        out.add(0, "tables:" if any(p.decent for p in self.plans.values()) else "tables: {}")
        report = []
        for source in SOURCES:
            plan = self.plans[source.name]
            start = len(self.todos)
            self.table(out, plan)
            report.append(self._report_line(plan))
            report += ["  " + t for t in self.todos[start:]]
        while out.lines and out.lines[-1] == "":
            out.lines.pop()
        return _Result("\n".join(out.lines) + "\n", report + notes)

    @staticmethod
    def _report_line(plan: _Plan) -> str:
        name = plan.source.name
        inp = plan.input
        if inp is None:
            return f"{name}: no export found" + ("" if plan.source.required else " (optional table)")
        where = inp.label + (f" (header row {inp.header_row})" if inp.header_row != 1 else "")
        if plan.wide:
            return f"{name}: {where}: wide sheet, {len(plan.wide.value_columns)} KPI columns unpivoted"
        req = [c for c in plan.source.required_columns if c in plan.matches]
        counts = (f"{len(plan.matches)} of {len(plan.source.columns)} columns matched "
                  f"({len(req)} of {len(plan.source.required_columns)} required)")
        if plan.decent:
            return f"{name}: {where}: {counts}"
        return f"{name}: no decent match (best: {where}, {counts}); written commented out"


# --------------------------------------------------------------------------- public API


def _starter(source_dir: Path) -> _Result:
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise NotADirectoryError(f"{source_dir}: not a directory")
    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(PARSE_MACROS)
        conn.execute("CREATE TEMP TABLE _malformed (source_file VARCHAR, row_number BIGINT, record VARCHAR, detail VARCHAR)")
        inputs, notes = _discover(conn, source_dir)
        plans = _plans(inputs)
        return _Writer(conn, source_dir, plans).render(source_dir.resolve(), notes)
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
