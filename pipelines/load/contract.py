"""The source contract of SPEC section 2, as data.

Every source file is described once here: its columns with type, requiredness and allowed
values, its key, its cross-row rules (conditional requirements, ranges) and its references to
other sources. The ingestion layer (`pipelines.load`) turns these descriptions into DuckDB SQL;
nothing else in the code base repeats the column lists.

Rule conditions are SQL over the *typed* row (column names as in the contract); they must be
null-safe in the sense that a null result means "rule does not fire".
"""

from __future__ import annotations

from dataclasses import dataclass

# ISO 4217 active alphabetic codes (2024 list, plus precious-metal and fund codes left out).
ISO_4217 = tuple(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)

RAG = ("green", "amber", "red")

# SQL types of the typed (raw) columns, by contract type.
SQL_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "date": "DATE",
    "month": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}


class SourceContractError(Exception):
    """A source file cannot be loaded at all (missing file, missing column, unreadable)."""

    def __init__(self, message: str, column: str | None = None, row_number: int | None = None):
        super().__init__(message)
        self.column = column
        self.row_number = row_number


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"  # one of SQL_TYPES
    required: bool = True
    values: tuple[str, ...] = ()  # allowed values of an enum column
    upper: bool = False  # enum values compared upper-case (currency) instead of lower-case

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Rule:
    """A row rule: when `condition` (SQL over typed columns) is true the row is quarantined."""

    reason: str
    column: str
    condition: str
    message: str  # plain text shown to the user after "column X: "


@dataclass(frozen=True)
class Reference:
    column: str
    source: str  # name of the referenced Source
    target_column: str


@dataclass(frozen=True)
class Source:
    name: str  # raw table name and asset name
    path: str  # file name, or folder name for a landing folder
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    landing_folder: bool = False  # many files (csv and parquet) that accumulate over time
    rules: tuple[Rule, ...] = ()
    references: tuple[Reference, ...] = ()
    description: str = ""
    # A landing folder: rows with the same key that differ in these columns are a
    # conflicting_duplicate (all quarantined); the first one is the column the message names.
    conflict_columns: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def upstream(self) -> list[str]:
        return sorted({r.source for r in self.references})


def _missing(column: str, condition: str, message: str) -> Rule:
    return Rule("missing_required", column, f"({condition}) AND {column} IS NULL", message)


def _range(column: str, condition: str, message: str) -> Rule:
    return Rule("bad_range", column, condition, message)


def _project_ref() -> Reference:
    return Reference("project_id", "projects", "project_id")


def _first_of_month(column: str) -> Rule:
    return _range(column, f"day({column}) <> 1", "must be the first day of a month")


PROJECTS = Source(
    name="projects",
    path="projects.csv",
    key=("project_id",),
    description="Project register: one row per project, its governance and its budget.",
    columns=(
        Column("project_id"),
        Column("project_name"),
        Column("portfolio"),
        Column("programme", required=False),
        Column("sponsor"),
        Column("project_manager"),
        Column("business_unit"),
        Column("stage", "enum", values=("proposed", "active", "closed", "cancelled")),
        Column("start_date", "date"),
        Column("planned_end_date", "date"),
        Column("actual_close_date", "date", required=False),
        Column("budget_at_completion", "decimal"),
        Column("currency", "enum", values=ISO_4217, upper=True),
        Column("contract_value", "decimal", required=False),
    ),
    rules=(
        _missing("actual_close_date", "stage = 'closed'", "is required when stage is closed"),
        _range("budget_at_completion", "budget_at_completion < 0", "must be 0 or more"),
        _range("contract_value", "contract_value < 0", "must be 0 or more"),
        _range("planned_end_date", "planned_end_date < start_date", "is before start_date"),
        _range("actual_close_date", "actual_close_date < start_date", "is before start_date"),
    ),
)

KPI_DEFINITIONS = Source(
    name="kpi_definitions",
    path="kpi_definitions.csv",
    key=("kpi_id",),
    description="Operational KPIs: unit, how measurements aggregate to a month, how often they arrive.",
    columns=(
        Column("kpi_id"),
        Column("kpi_name"),
        Column("unit"),
        Column("aggregation", "enum", values=("sum", "avg", "last", "min", "max")),
        Column("frequency", "enum", values=("daily", "weekly", "monthly")),
        Column("data_owner"),
        Column("source_system"),
    ),
)

KPI_MEASUREMENTS = Source(
    name="kpi_measurements",
    path="kpi_measurements",
    key=("kpi_id", "measured_on", "recorded_at"),
    landing_folder=True,
    description=(
        "KPI measurements from the landing folder (*.csv and *.parquet), raw history including "
        "restated values; the current view (latest recorded_at wins) is stg_kpi_measurements."
    ),
    conflict_columns=("value",),
    columns=(
        Column("kpi_id"),
        Column("measured_on", "date"),
        Column("value", "decimal"),
        Column("recorded_at", "timestamp"),
        # A measurement recorded by hand (a benefit owner's check-in, pipelines.checkins): who
        # recorded it and the evidence behind it. Feeds leave them out.
        Column("recorded_by", required=False),
        Column("evidence", required=False),
    ),
    references=(Reference("kpi_id", "kpi_definitions", "kpi_id"),),
)

BENEFITS = Source(
    name="benefits",
    path="benefits.csv",
    key=("benefit_id",),
    description="Benefits register: every approved benefit, its KPI, baseline, target and ramp.",
    columns=(
        Column("benefit_id"),
        Column("project_id"),
        Column("benefit_name"),
        Column("category", "enum", values=("cashable", "non_cashable", "non_financial")),
        Column("is_disbenefit", "boolean"),
        Column("kpi_id"),
        Column("direction", "enum", values=("increase", "decrease")),
        Column("baseline_value", "decimal", required=False),
        Column("baseline_start", "date", required=False),
        Column("baseline_end", "date", required=False),
        Column("target_value", "decimal"),
        Column("realization_start", "date", required=False),
        Column("target_date", "date"),
        Column("profile", "enum", values=("linear", "step", "s_curve", "custom")),
        Column("attribution_pct", "decimal", required=False),
        Column("value_per_unit", "decimal", required=False),
        Column("benefit_owner"),
        Column("review_until", "date", required=False),
    ),
    rules=(
        _missing("baseline_start", "baseline_value IS NULL", "is required when baseline_value is empty"),
        _missing("baseline_end", "baseline_value IS NULL", "is required when baseline_value is empty"),
        _missing("value_per_unit", "category <> 'non_financial'", "is required unless category is non_financial"),
        _range("attribution_pct", "attribution_pct <= 0 OR attribution_pct > 1", "must be in (0, 1]"),
        _range("value_per_unit", "value_per_unit < 0", "must be 0 or more"),
        _range("baseline_end", "baseline_end < baseline_start", "is before baseline_start"),
        _range("target_date", "target_date < realization_start", "is before realization_start"),
        _range("review_until", "review_until < realization_start", "is before realization_start"),
        Rule(
            "target_not_an_improvement",
            "target_value",
            "baseline_value IS NOT NULL AND (CASE direction WHEN 'increase' THEN 1 ELSE -1 END)"
            " * (target_value - baseline_value) <= 0",
            "is not an improvement over baseline_value in the benefit's direction",
        ),
    ),
    references=(_project_ref(), Reference("kpi_id", "kpi_definitions", "kpi_id")),
)

BENEFIT_PLAN = Source(
    name="benefit_plan",
    path="benefit_plan.csv",
    key=("benefit_id", "period_month"),
    required=False,
    description="Custom ramps: planned realization per benefit and month (profile = custom).",
    columns=(
        Column("benefit_id"),
        Column("period_month", "month"),
        Column("planned_pct", "decimal"),
    ),
    rules=(
        _first_of_month("period_month"),
        _range("planned_pct", "planned_pct < 0", "must be 0 or more"),
    ),
    references=(Reference("benefit_id", "benefits", "benefit_id"),),
)

FINANCIALS = Source(
    name="financials",
    path="financials.csv",
    key=("project_id", "period_month"),
    description="Earned-value figures per project and month, cumulative to the month's end.",
    columns=(
        Column("project_id"),
        Column("period_month", "month"),
        Column("planned_value", "decimal"),
        Column("earned_value", "decimal"),
        Column("actual_cost", "decimal"),
        Column("estimate_at_completion", "decimal"),
    ),
    rules=(
        _first_of_month("period_month"),
        _range("planned_value", "planned_value < 0", "must be 0 or more"),
        _range("earned_value", "earned_value < 0", "must be 0 or more"),
        _range("actual_cost", "actual_cost < 0", "must be 0 or more"),
        _range("estimate_at_completion", "estimate_at_completion < 0", "must be 0 or more"),
    ),
    references=(_project_ref(),),
)

MILESTONES = Source(
    name="milestones",
    path="milestones.csv",
    key=("milestone_id",),
    description="Project milestones with baseline, forecast and actual dates.",
    columns=(
        Column("milestone_id"),
        Column("project_id"),
        Column("milestone_name"),
        Column("is_key", "boolean"),
        Column("baseline_date", "date"),
        Column("forecast_date", "date", required=False),
        Column("actual_date", "date", required=False),
    ),
    references=(_project_ref(),),
)

STATUS_REPORTS = Source(
    name="status_reports",
    path="status_reports.csv",
    key=("project_id", "report_date"),
    description="Reported RAG status per project and report date.",
    columns=(
        Column("project_id"),
        Column("report_date", "date"),
        Column("overall_rag", "enum", values=RAG),
        Column("schedule_rag", "enum", values=RAG),
        Column("cost_rag", "enum", values=RAG),
        Column("benefits_rag", "enum", values=RAG),
        Column("commentary", required=False),
    ),
    references=(_project_ref(),),
)

RAID_LOG = Source(
    name="raid_log",
    path="raid_log.csv",
    key=("raid_id",),
    description="Risks, assumptions, issues, dependencies and decisions per project.",
    columns=(
        Column("raid_id"),
        Column("project_id"),
        Column("raid_type", "enum", values=("risk", "assumption", "issue", "dependency", "decision")),
        Column("title"),
        Column("severity", "enum", values=("low", "medium", "high", "critical")),
        Column("owner", required=False),
        Column("raised_on", "date"),
        Column("due_on", "date", required=False),
        Column("closed_on", "date", required=False),
        Column("mitigation", required=False),
    ),
    rules=(_range("closed_on", "closed_on < raised_on", "is before raised_on"),),
    references=(_project_ref(),),
)

CHANGE_REQUESTS = Source(
    name="change_requests",
    path="change_requests.csv",
    key=("cr_id",),
    description="Change requests with their decision, cost and schedule impact, and billability.",
    columns=(
        Column("cr_id"),
        Column("project_id"),
        Column("raised_on", "date"),
        Column("decided_on", "date", required=False),
        Column("decision", "enum", values=("pending", "approved", "rejected")),
        Column("cost_impact", "decimal"),
        Column("schedule_impact_days", "integer"),
        Column("billable", "boolean"),
    ),
    rules=(_range("decided_on", "decided_on < raised_on", "is before raised_on"),),
    references=(_project_ref(),),
)

FX_RATES = Source(
    name="fx_rates",
    path="fx_rates.csv",
    key=("currency", "period_month"),
    required=False,
    description=(
        "Monthly exchange rates to the reporting currency (BRW_REPORTING_CURRENCY): one unit of "
        "`currency` in the reporting currency, per first-of-month."
    ),
    columns=(
        Column("currency", "enum", values=ISO_4217, upper=True),
        Column("period_month", "month"),
        Column("rate", "decimal"),
    ),
    rules=(
        _first_of_month("period_month"),
        _range("rate", "rate <= 0", "must be more than 0"),
    ),
)

# The words a benefit owner states their confidence in (marts.fct_benefit_checkin compares them
# with the measured status through marts.dim_benefit_status.owner_confidence_equivalent).
OWNER_CONFIDENCE = ("on_track", "at_risk", "off_track")

BENEFIT_CHECKINS = Source(
    name="benefit_checkins",
    path="benefit_checkins",
    key=("benefit_id", "period_month", "recorded_at"),
    required=False,
    landing_folder=True,
    description=(
        "Benefit owners' monthly check-ins from the landing folder (*.csv and *.parquet): their "
        "confidence (on_track, at_risk, off_track) and commentary for a month, as written by the "
        "dashboard's check-in page (pipelines.checkins), one new file per check-in; the latest "
        "recorded_at per benefit and month wins (stg_benefit_checkins)."
    ),
    columns=(
        Column("benefit_id"),
        Column("period_month", "month"),
        Column("confidence", "enum", values=OWNER_CONFIDENCE),
        Column("commentary", required=False),
        Column("recorded_by"),
        Column("recorded_at", "timestamp"),
    ),
    rules=(_first_of_month("period_month"),),
    references=(Reference("benefit_id", "benefits", "benefit_id"),),
    conflict_columns=("confidence", "commentary", "recorded_by"),
)

# In load order: a source comes after every source it references.
SOURCES: tuple[Source, ...] = (
    PROJECTS,
    KPI_DEFINITIONS,
    KPI_MEASUREMENTS,
    BENEFITS,
    BENEFIT_PLAN,
    FINANCIALS,
    MILESTONES,
    STATUS_REPORTS,
    RAID_LOG,
    CHANGE_REQUESTS,
    FX_RATES,
    BENEFIT_CHECKINS,
)

SOURCES_BY_NAME = {s.name: s for s in SOURCES}

# Every reason code the ingestion can give (SPEC section 5), for documentation and tests.
REASONS = (
    "malformed_row",
    "missing_required",
    "bad_type",
    "bad_enum",
    "bad_range",
    "target_not_an_improvement",
    "unknown_reference",
    "duplicate_key",
    "conflicting_duplicate",
)

# A landing file that cannot be read at all (header, encoding, format, a link out of the source
# directory): one record for the file, the other files of the batch load.
FILE_REASONS = ("rejected_file",)

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_run_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)
