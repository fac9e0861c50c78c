"""Deterministic synthetic source-directory generator (SPEC section 2).

``generate_source_dir`` writes a complete, valid source directory -- projects, KPI definitions,
KPI measurements (a growing landing folder of quarterly files plus restatement files), benefits,
benefit plans, financials, milestones, status reports, RAID log and change requests -- for a
portfolio of any size. The same arguments always give byte-identical files: all randomness comes
from ``numpy.random.default_rng`` seeded from ``seed``, nothing depends on today's date, and
every collection is iterated in a fixed order.

With ``stories=True`` the first projects are planted "stories" with fixed ids (see ``STORIES``)
and a deliberately dirty late-feed file is added to ``kpi_measurements/``.

Measurements are generated fully vectorised (one matrix per KPI frequency): ~10M rows as
parquet take well under a minute.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["generate_source_dir", "HEADERS", "STORIES", "MEASUREMENT_COLUMNS"]

# --------------------------------------------------------------------------------------------
# Contract: file names and headers (SPEC section 2), in order.
# --------------------------------------------------------------------------------------------
MEASUREMENT_COLUMNS = ["kpi_id", "measured_on", "value", "recorded_at"]

HEADERS: dict[str, list[str]] = {
    "projects.csv": [
        "project_id", "project_name", "portfolio", "programme", "sponsor", "project_manager",
        "business_unit", "stage", "start_date", "planned_end_date", "actual_close_date",
        "budget_at_completion", "currency", "contract_value",
    ],
    "kpi_definitions.csv": [
        "kpi_id", "kpi_name", "unit", "aggregation", "frequency", "data_owner", "source_system",
    ],
    "benefits.csv": [
        "benefit_id", "project_id", "benefit_name", "category", "is_disbenefit", "kpi_id",
        "direction", "baseline_value", "baseline_start", "baseline_end", "target_value",
        "realization_start", "target_date", "profile", "attribution_pct", "value_per_unit",
        "benefit_owner", "review_until",
    ],
    "benefit_plan.csv": ["benefit_id", "period_month", "planned_pct"],
    "financials.csv": [
        "project_id", "period_month", "planned_value", "earned_value", "actual_cost",
        "estimate_at_completion",
    ],
    "milestones.csv": [
        "milestone_id", "project_id", "milestone_name", "is_key", "baseline_date",
        "forecast_date", "actual_date",
    ],
    "status_reports.csv": [
        "project_id", "report_date", "overall_rag", "schedule_rag", "cost_rag", "benefits_rag",
        "commentary",
    ],
    "raid_log.csv": [
        "raid_id", "project_id", "raid_type", "title", "severity", "owner", "raised_on",
        "due_on", "closed_on", "mitigation",
    ],
    "change_requests.csv": [
        "cr_id", "project_id", "raised_on", "decided_on", "decision", "cost_impact",
        "schedule_impact_days", "billable",
    ],
}

# Planted stories (stories=True): story name -> id. Stable for any seed/end as long as
# projects >= 12 (the story projects are always PRJ-0001..PRJ-0012, generated first with a fixed
# shape). The statuses hold for the demo (end=2026-11-20, years=7, as_of on or after end in the
# same month, i.e. evaluation month 2026-10) and, since dates are relative to ``end``, for any
# ``end`` with years >= 7.
STORIES: dict[str, str] = {
    # (a) reached ~100% after closure, then eroded (status eroding)
    "eroding_benefit": "BEN-0001",
    # (b) KPI feed stopped >= 4 months before end, project closed, owner named (status stale)
    "orphaned_benefit": "BEN-0004",
    "orphaned_kpi": "KPI-0004",
    # (c) trailing realization >= 1 well before a target_date after end (status achieved)
    "achieved_early_benefit": "BEN-0007",
    # (d) active, reported green, CPI < 0.85, key milestone slipped > 60 days, critical issue
    #     open > 30 days without mitigation; one benefit off_track while benefits_rag green
    "watermelon_project": "PRJ-0004",
    "watermelon_off_track_benefit": "BEN-0010",
    "watermelon_critical_issue": "RAID-00001",
    "watermelon_slipped_milestone": "MS-00001",
    # (e) client project leaking margin through unbilled approved change requests, EAC > BAC
    "margin_leak_project": "PRJ-0005",
    # (f) closed 3+ years before end, benefits still measured
    "long_closed_project_1": "PRJ-0006",
    "long_closed_project_2": "PRJ-0007",
    "long_closed_project_3": "PRJ-0008",
    "long_closed_project_4": "PRJ-0009",
    "long_closed_project_5": "PRJ-0010",
    "long_closed_project_6": "PRJ-0011",
    "tracking_ended_benefit": "BEN-0021",  # explicit review_until in the past
    "tracking_ended_default_benefit": "BEN-0017",  # default review_until (target + 24 months)
    # demo coverage
    "disbenefit_within_tolerance": "BEN-0008",
    "disbenefit_exceeded": "BEN-0012",
    "not_started_benefit": "BEN-0029",
    "no_baseline_benefit": "BEN-0028",
    "custom_profile_benefit": "BEN-0026",
    "long_closed_off_track_benefit": "BEN-0024",
    "shared_kpi": "KPI-0007",  # backs BEN-0007 and BEN-0009
}

PROGRESS = Callable[[str], None]

# --------------------------------------------------------------------------------------------
# Calendar helpers (months are integers y*12 + m-1)
# --------------------------------------------------------------------------------------------


def _ym(d: date) -> int:
    return d.year * 12 + d.month - 1


def _mdate(ym: int, day: int = 1) -> date:
    return date(ym // 12, ym % 12 + 1, day)


def _mlast(ym: int) -> date:
    return _mdate(ym + 1) - timedelta(days=1)


def _clampday(ym: int, day: int) -> date:
    return _mdate(ym, min(day, _mlast(ym).day))


_EPOCH = date(1970, 1, 1)


def _dnum(d: date) -> int:
    return (d - _EPOCH).days


def _ddate(n: int) -> date:
    return _EPOCH + timedelta(days=int(n))


def _iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def _num(x: float | None, dec: int) -> str:
    if x is None:
        return ""
    if dec <= 0:
        return str(int(round(x)))
    return f"{round(float(x), dec):.{dec}f}"


def _money(x: float) -> str:
    return f"{round(float(x), 2):.2f}"


def _weekday_shift(d: date) -> date:
    """Move a weekend date back to the Friday before."""
    wd = d.weekday()
    return d - timedelta(days=wd - 4) if wd >= 5 else d


# --------------------------------------------------------------------------------------------
# Catalogue: portfolios, names, KPI/benefit archetypes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Arch:
    key: str
    kpi: str
    unit: str
    agg: str
    freq: str
    direction: str  # which way is an improvement (for dis-benefits: the planned harm)
    base: tuple[float, float]  # monthly-aggregated baseline level range
    imp: tuple[float, float]  # improvement range
    imp_mode: str  # "rel" (fraction of baseline) or "abs" (KPI units)
    dec: int
    source: str
    names: tuple[str, str]  # primary / secondary benefit name
    cats: tuple[str, ...]
    vpu: tuple[float, float] | None  # value per KPI unit per month
    disbenefit: bool = False
    cap: float | None = None


_A = _Arch
_ARCHES: dict[str, list[_Arch]] = {
    "Customer Operations": [
        _A("aht", "Average handling time", "minutes", "avg", "daily", "decrease", (7.5, 11.0),
           (0.12, 0.22), "rel", 2, "Genesys Cloud",
           ("Reduce average handling time", "Free up adviser capacity"),
           ("cashable", "non_cashable"), (9000, 22000)),
        _A("calls", "Inbound call volume", "count", "sum", "daily", "decrease", (28000, 65000),
           (0.15, 0.3), "rel", 0, "Genesys Cloud",
           ("Reduce avoidable contact volume", "Lower cost of handling calls"),
           ("cashable", "non_cashable"), (3.2, 5.5)),
        _A("fcr", "First contact resolution", "%", "avg", "weekly", "increase", (58, 70),
           (6, 12), "abs", 1, "Salesforce Service Cloud",
           ("Improve first contact resolution", "Fewer repeat contacts"),
           ("non_financial", "non_cashable"), (2500, 6000), cap=99.0),
        _A("csat", "Customer satisfaction score", "%", "avg", "daily", "increase", (71, 80),
           (4, 9), "abs", 1, "Qualtrics",
           ("Improve customer satisfaction", "Protect customer retention"),
           ("non_financial",), None, cap=99.0),
        _A("complaints", "Complaints received", "count", "sum", "daily", "decrease",
           (1800, 4200), (0.2, 0.35), "rel", 0, "Salesforce Service Cloud",
           ("Reduce customer complaints", "Lower complaint handling cost"),
           ("non_cashable", "non_financial"), (35, 90)),
        _A("cc_fte", "Contact centre headcount", "FTE", "last", "monthly", "decrease",
           (280, 520), (0.08, 0.16), "rel", 1, "Workday",
           ("Reduce contact centre staffing cost", "Redeploy contact centre staff"),
           ("cashable",), (2900, 3600)),
        _A("queue", "Peak queue wait time", "minutes", "max", "weekly", "decrease", (14, 28),
           (0.3, 0.5), "rel", 1, "Genesys Cloud",
           ("Reduce peak waiting time", "Cut abandoned calls at peak"),
           ("non_financial",), None),
        _A("overtime", "Adviser overtime hours", "hours", "sum", "daily", "increase",
           (1500, 3200), (0.4, 0.8), "rel", 1, "Workday",
           ("Additional overtime during transition", "Additional overtime during transition"),
           ("cashable",), (24, 32), disbenefit=True),
        _A("asa", "Average speed of answer", "seconds", "avg", "daily", "decrease", (45, 120),
           (0.25, 0.45), "rel", 1, "Genesys Cloud",
           ("Reduce average speed of answer", "Improve experience at first contact"),
           ("non_financial",), None),
        _A("abandon", "Abandoned call rate", "%", "avg", "daily", "decrease", (6, 12), (2, 4),
           "abs", 2, "Genesys Cloud",
           ("Reduce abandoned calls", "Reduce revenue lost from abandoned calls"),
           ("non_financial", "cashable"), (4000, 9000)),
    ],
    "Digital & Data": [
        _A("selfserve", "Digital self-service transactions", "count", "sum", "daily",
           "increase", (60000, 180000), (0.3, 0.7), "rel", 0, "Google Analytics 4",
           ("Increase digital self-service (channel shift)", "Improve digital adoption"),
           ("cashable", "non_cashable"), (1.8, 3.5)),
        _A("registrations", "Online account registrations", "count", "sum", "daily", "increase",
           (4000, 12000), (0.25, 0.6), "rel", 0, "Salesforce Marketing Cloud",
           ("Grow online account registrations", "Grow the digital customer base"),
           ("non_financial",), None),
        _A("dq", "Customer data quality score", "%", "avg", "weekly", "increase", (81, 89),
           (4, 8), "abs", 1, "Informatica Data Quality",
           ("Improve customer data quality", "Reduce rework from poor data"),
           ("non_financial", "non_cashable"), (4000, 9000), cap=99.5),
        _A("report_hours", "Manual reporting effort", "hours", "sum", "monthly", "decrease",
           (2200, 5200), (0.3, 0.55), "rel", 0, "Workday timesheets",
           ("Reduce manual reporting effort", "Release analyst time"),
           ("non_cashable",), (38, 55)),
        _A("availability", "Minimum daily platform availability", "%", "min", "daily",
           "increase", (97.0, 98.4), (0.8, 1.4), "abs", 2, "Splunk",
           ("Improve platform availability", "Fewer customer-facing outages"),
           ("non_financial",), None, cap=99.99),
        _A("hosting", "Cloud hosting cost", "GBP", "sum", "daily", "decrease", (90000, 260000),
           (0.15, 0.3), "rel", 2, "Azure Cost Management",
           ("Reduce cloud hosting cost", "Reduce cloud hosting cost"),
           ("cashable",), (1.0, 1.0)),
        _A("licence", "SaaS licence cost", "GBP", "sum", "monthly", "increase", (20000, 60000),
           (0.3, 0.6), "rel", 2, "Coupa",
           ("Additional SaaS licence cost", "Additional SaaS licence cost"),
           ("cashable",), (1.0, 1.0), disbenefit=True),
        _A("failed_pay", "Failed online payments", "count", "sum", "daily", "decrease",
           (2500, 7000), (0.3, 0.5), "rel", 0, "Stripe",
           ("Reduce failed online payments", "Recover lost online revenue"),
           ("cashable", "non_financial"), (8, 20)),
        _A("app_users", "Daily active app users", "count", "avg", "daily", "increase",
           (18000, 40000), (0.2, 0.5), "rel", 0, "Firebase Analytics",
           ("Grow mobile app engagement", "Grow mobile app engagement"),
           ("non_financial",), None),
    ],
    "Finance & Shared Services": [
        _A("dso", "Days sales outstanding", "days", "last", "monthly", "decrease", (48, 62),
           (5, 10), "abs", 1, "SAP S/4HANA",
           ("Reduce days sales outstanding", "Release working capital"),
           ("cashable",), (9000, 20000)),
        _A("auto_inv", "Invoices processed without manual touch", "%", "avg", "daily",
           "increase", (35, 55), (15, 30), "abs", 1, "Coupa",
           ("Increase touchless invoice processing", "Reduce invoice processing effort"),
           ("non_cashable", "cashable"), (1500, 3000), cap=99.0),
        _A("close_days", "Month-end close duration", "days", "last", "monthly", "decrease",
           (8, 12), (2, 4), "abs", 1, "Oracle Fusion",
           ("Faster month-end close", "Earlier management information"),
           ("non_financial",), None),
        _A("po_cycle", "Purchase order cycle time", "days", "avg", "daily", "decrease", (6, 11),
           (0.25, 0.45), "rel", 2, "Coupa",
           ("Reduce purchase order cycle time", "Faster supplier onboarding"),
           ("non_financial",), None),
        _A("fin_fte", "Finance operations headcount", "FTE", "last", "monthly", "decrease",
           (90, 180), (0.1, 0.2), "rel", 1, "Workday",
           ("Reduce finance operations headcount cost", "Redeploy finance staff"),
           ("cashable",), (3300, 4200)),
        _A("late_pay", "Late payment charges", "GBP", "sum", "daily", "decrease", (15000, 45000),
           (0.4, 0.7), "rel", 2, "SAP S/4HANA",
           ("Eliminate late payment charges", "Protect supplier relationships"),
           ("cashable",), (1.0, 1.0)),
        _A("dual_run", "Dual-running system support cost", "GBP", "sum", "monthly", "increase",
           (6000, 12000), (1.0, 2.0), "rel", 2, "SAP S/4HANA",
           ("Dual-running support cost during migration",
            "Dual-running support cost during migration"),
           ("cashable",), (1.0, 1.0), disbenefit=True),
        _A("expense_cycle", "Expense claim processing time", "days", "avg", "daily",
           "decrease", (4, 9), (0.3, 0.5), "rel", 2, "SAP Concur",
           ("Faster expense reimbursement", "Faster expense reimbursement"),
           ("non_financial",), None),
        _A("manual_journals", "Manual journals posted", "count", "sum", "daily", "decrease",
           (3000, 8000), (0.3, 0.6), "rel", 0, "Oracle Fusion",
           ("Reduce manual journal effort", "Fewer ledger errors"),
           ("non_cashable",), (6, 15)),
    ],
    "Infrastructure & Security": [
        _A("incidents", "Service desk incidents", "count", "sum", "daily", "decrease",
           (3500, 9000), (0.15, 0.3), "rel", 0, "ServiceNow",
           ("Reduce service desk incident volume", "Improve colleague productivity"),
           ("non_cashable", "non_financial"), (18, 32)),
        _A("mttr", "Mean time to restore service", "hours", "avg", "weekly", "decrease",
           (5.5, 9.5), (0.25, 0.45), "rel", 2, "ServiceNow",
           ("Faster service restoration", "Reduce outage impact"),
           ("non_financial",), None),
        _A("energy", "Data centre energy consumption", "kWh", "sum", "daily", "decrease",
           (420000, 950000), (0.12, 0.25), "rel", 0, "Building management system",
           ("Reduce data centre energy cost", "Cut carbon emissions"),
           ("cashable", "non_financial"), (0.22, 0.31)),
        _A("patch", "Maximum critical patch latency", "days", "max", "weekly", "decrease",
           (35, 60), (0.35, 0.55), "rel", 1, "Microsoft Intune",
           ("Reduce critical patch latency", "Reduce cyber exposure"),
           ("non_financial",), None),
        _A("phish", "Phishing simulation click rate", "%", "avg", "monthly", "decrease", (9, 15),
           (3, 6), "abs", 1, "KnowBe4",
           ("Reduce phishing susceptibility", "Reduce phishing susceptibility"),
           ("non_financial",), None),
        _A("servers", "Physical server estate", "count", "last", "monthly", "decrease",
           (600, 1400), (0.25, 0.45), "rel", 0, "ServiceNow CMDB",
           ("Decommission legacy servers", "Lower hardware maintenance cost"),
           ("cashable",), (95, 160)),
        _A("egress", "Cloud egress charges", "GBP", "sum", "daily", "increase", (6000, 15000),
           (0.5, 1.0), "rel", 2, "Azure Cost Management",
           ("Additional cloud egress charges", "Additional cloud egress charges"),
           ("cashable",), (1.0, 1.0), disbenefit=True),
        _A("pw_reset", "Password reset calls", "count", "sum", "daily", "decrease",
           (2500, 6500), (0.4, 0.7), "rel", 0, "ServiceNow",
           ("Reduce password reset calls", "Lower service desk cost"),
           ("non_cashable", "cashable"), (9, 16)),
        _A("alert_triage", "Security alerts triaged within 1 hour", "%", "avg", "daily",
           "increase", (62, 75), (10, 18), "abs", 1, "Microsoft Sentinel",
           ("Faster security alert triage", "Reduce breach exposure"),
           ("non_financial",), None, cap=99.0),
    ],
    "Client Delivery": [
        _A("sla", "Tickets resolved within SLA", "%", "avg", "daily", "increase", (82, 90),
           (4, 7), "abs", 1, "ServiceNow",
           ("Improve SLA performance for the client", "Avoid SLA service credits"),
           ("non_financial", "cashable"), (5000, 12000), cap=99.5),
        _A("utilisation", "Billable utilisation", "%", "avg", "weekly", "increase", (68, 76),
           (4, 8), "abs", 1, "Workday",
           ("Increase billable utilisation", "Increase billable utilisation"),
           ("cashable",), (9000, 16000), cap=95.0),
        _A("cost_to_serve", "Cost to serve", "GBP", "sum", "daily", "decrease",
           (180000, 420000), (0.08, 0.16), "rel", 2, "SAP S/4HANA",
           ("Reduce cost to serve", "Reduce cost to serve"),
           ("cashable",), (1.0, 1.0)),
        _A("backlog", "Open ticket backlog", "count", "last", "daily", "decrease", (800, 2200),
           (0.25, 0.45), "rel", 0, "ServiceNow",
           ("Reduce open ticket backlog", "Faster resolution for client users"),
           ("non_financial",), None),
        _A("subcon", "Subcontractor cost", "GBP", "sum", "monthly", "increase",
           (30000, 70000), (0.3, 0.6), "rel", 2, "SAP S/4HANA",
           ("Additional subcontractor cost", "Additional subcontractor cost"),
           ("cashable",), (1.0, 1.0), disbenefit=True),
        _A("client_csat", "Client user satisfaction", "%", "avg", "daily", "increase",
           (74, 82), (4, 8), "abs", 1, "Qualtrics",
           ("Improve client user satisfaction", "Protect contract renewal"),
           ("non_financial",), None, cap=99.0),
        _A("first_fix", "First time fix rate", "%", "avg", "daily", "increase", (64, 74),
           (6, 12), "abs", 1, "ServiceNow",
           ("Increase first time fix rate", "Fewer repeat engineer visits"),
           ("non_financial", "cashable"), (3000, 7000), cap=99.0),
    ],
}
_ARCH_BY_KEY = {a.key: a for lst in _ARCHES.values() for a in lst}

PORTFOLIOS = list(_ARCHES)

_PROGRAMMES = {
    "Customer Operations": ["Customer Experience 2025", "Service Excellence"],
    "Digital & Data": ["Digital First", "Data Foundations"],
    "Finance & Shared Services": ["Finance Transformation", "Shared Services Optimisation"],
    "Infrastructure & Security": ["Technology Resilience", "Secure by Design"],
    "Client Delivery": ["Client Services Growth", "Managed Services Expansion"],
}
_BUS = {
    "Customer Operations": ["Customer Services", "Retail Operations"],
    "Digital & Data": ["Digital", "Data & Analytics"],
    "Finance & Shared Services": ["Finance", "Procurement"],
    "Infrastructure & Security": ["Technology", "Information Security"],
    "Client Delivery": ["Managed Services", "Client Delivery"],
}
_PROJECT_NAMES = {
    "Customer Operations": [
        "Contact Centre Consolidation", "Customer Feedback Platform",
        "Omnichannel Customer Service", "Complaints Handling Redesign",
        "Workforce Management Upgrade", "Voice Automation (IVR) Refresh",
        "Field Service Scheduling", "Knowledge Base Modernisation",
        "Branch Network Rationalisation", "Web Chat and Messaging Rollout",
    ],
    "Digital & Data": [
        "Self-Service Portal Relaunch", "Cloud Migration Wave 1", "Customer Data Platform",
        "Data Warehouse Modernisation", "Mobile App Rebuild", "Cloud Migration Wave 2",
        "Master Data Management", "Analytics Self-Service Rollout", "API Gateway Programme",
        "Document Digitisation",
    ],
    "Finance & Shared Services": [
        "ERP Finance Migration", "Purchase-to-Pay Automation", "Order-to-Cash Transformation",
        "Shared Services Centre Setup", "Treasury Management System", "Expenses Digitisation",
        "Financial Close Acceleration", "Payroll Platform Replacement",
        "Procurement Category Review",
    ],
    "Infrastructure & Security": [
        "Data Centre Exit", "Service Desk Transformation", "Zero Trust Network Access",
        "Endpoint Management Refresh", "Legacy Server Decommissioning",
        "Security Awareness Programme", "Network Refresh",
        "Backup and Recovery Modernisation", "Identity and Access Management",
    ],
    "Client Delivery": [
        "Managed Service Transition – Northwind Utilities",
        "Service Desk Outsourcing – Harbour Health Trust",
        "Digital Contact Centre – Meridian Insurance",
        "Application Support – Crestline Retail",
        "Infrastructure Managed Service – Albion Rail",
        "Finance BPO – Kestrel Housing Group",
        "Payroll Service – Northgate Councils",
        "Cloud Operations – Sterling Logistics",
    ],
}
_NAME_SUFFIXES = ["Phase 2", "Phase 3", "North", "South", "Scotland", "Wales", "EMEA", "Phase 4"]

_FIRST = [
    "Sarah", "James", "Priya", "Tom", "Aisha", "David", "Emma", "Oliver", "Fatima", "Liam",
    "Chloe", "Rajesh", "Hannah", "Daniel", "Sophie", "Mohammed", "Grace", "Ben", "Olivia",
    "Samuel", "Nadia", "George", "Lucy", "Kwame", "Ella", "Harry", "Zoe", "Marcus", "Isla",
    "Connor", "Amara", "Peter", "Rachel", "Joseph", "Megan", "Arjun", "Charlotte", "Ewan",
    "Leah", "Victoria",
]
_LAST = [
    "Mitchell", "Patel", "Okafor", "Hughes", "Khan", "Thompson", "Robinson", "Clarke",
    "Evans", "Walsh", "Campbell", "Singh", "Murphy", "Bennett", "Ahmed", "Fraser", "Morgan",
    "Price", "Turner", "Nowak", "Davies", "O'Brien", "Reid", "Shah", "Gallagher", "Harper",
    "Wright", "Mensah", "Stewart", "Collins", "Lloyd", "Chen", "Baker", "Kelly", "Edwards",
    "Ali", "Doyle", "Hamilton", "Rossi", "Sutherland",
]

_RISK_TITLES = [
    "Key supplier resource availability", "Business readiness for go-live",
    "Data migration volumes higher than estimated", "Licence cost increase at renewal",
    "Loss of subject matter experts", "Integration testing environment availability",
    "Regulatory change affecting scope", "Adoption lower than planned",
]
_ISSUE_TITLES = [
    "Data migration reconciliation failures", "Interface defects blocking UAT",
    "Vendor delivery late for build sprint", "Performance below non-functional requirements",
    "Training material not signed off", "Cutover rehearsal overran",
]
_ASSUMPTION_TITLES = [
    "Business change team available from go-live", "Current licence terms hold until 2027",
    "Legacy system can be switched off after parallel run",
    "Benefit owner confirmed in operating model",
]
_DEPENDENCY_TITLES = [
    "Network upgrade delivered by Infrastructure programme",
    "Identity platform ready before rollout", "HR consultation completed before restructure",
    "Finance data model signed off by Data Foundations",
]
_DECISION_TITLES = [
    "Approve phased rollout approach", "Agree parallel-run duration",
    "Select integration partner", "Approve revised cutover plan",
    "Confirm benefit owner at handover", "Approve scope reduction for release 2",
]
_MITIGATIONS = [
    "Weekly supplier review and named backup resources",
    "Additional test cycle scheduled and defect triage daily",
    "Contingency drawn down; plan re-baselined with sponsor",
    "Escalated to programme board; workaround in place",
    "Early adopter network and targeted training",
    "Commercial negotiation started with vendor",
]
_COMMENTARY = {
    "green": [
        "Delivery on plan; no escalations.", "Milestones met this period; spend in line.",
        "Good progress, risks under control.", "",
    ],
    "amber": [
        "Some slippage on build; recovery plan agreed.",
        "Cost pressure from change requests, monitoring.",
        "Resource constraints in testing; mitigations in place.", "",
    ],
    "red": [
        "Critical path slipped; re-plan in progress.", "Forecast overspend escalated to sponsor.",
        "Go-live at risk; decision required from board.",
    ],
}

_MILESTONES = [
    ("Business case approved", 0.0, False),
    ("Design complete", 0.2, True),
    ("Build complete", 0.5, False),
    ("User acceptance testing complete", 0.7, False),
    ("Go-live", 0.85, True),
    ("Hypercare exit", 0.93, False),
    ("Project closure", 1.0, True),
]

# weekly seasonality pattern (Mon..Sun)
_WEEK_PATTERN = np.array([0.25, 0.15, 0.1, 0.1, 0.0, -0.3, -0.6])

# --------------------------------------------------------------------------------------------
# Internal model
# --------------------------------------------------------------------------------------------


@dataclass
class _Project:
    idx: int
    name: str
    portfolio: str
    programme: str | None
    sponsor: str
    pm: str
    bu: str
    stage: str
    start: date
    planned_end: date
    close: date | None
    cancel: date | None
    bac: float
    currency: str
    contract: float | None
    health: str  # healthy / amber / red / watermelon / leak
    slip_days: int
    cpi_final: float
    benefits_rag: str = "green"
    story: bool = False
    pid: str = ""


@dataclass
class _Kpi:
    idx: int
    arch: _Arch
    project: int
    name: str
    data_owner: str
    base: float  # latent baseline level (monthly aggregated scale)
    ti: float  # latent target improvement magnitude (> 0)
    s: int  # +1 increase / -1 decrease
    ract: np.ndarray | None = None  # realized fraction of ti per grid month
    meas_start_ym: int | None = None
    meas_end: date | None = None
    story: bool = False
    kid: str = ""


@dataclass
class _Benefit:
    idx: int
    project: int
    kpi: int
    name: str
    category: str
    disb: bool
    direction: str
    baseline_value: float | None
    baseline_start: date | None
    baseline_end: date | None
    target_value: float
    realization_start: date | None
    target_date: date
    profile: str
    attribution: float | None
    vpu: float | None
    owner: str
    review_until: date | None
    r_m: int
    t_m: int
    plan: list[tuple[int, float]] = field(default_factory=list)
    bid: str = ""


@dataclass
class _Outcome:
    kind: str = "normal"  # normal / erode / early / none
    g: float = 1.0
    lag: int = 0
    erode_start: int = 0  # ym
    erode_to: float = 0.65
    fast_months: int = 6


class _Ctx:
    def __init__(self, end: date, years: int, seed: int):
        self.end = end
        self.end_m = _ym(end)
        self.eval_m = self.end_m - 1
        self.hist_m = self.end_m - 12 * years
        self.hist_start = _mdate(self.hist_m)
        # month grid: hist_m .. end_m + 1 (one extra month for daily interpolation)
        self.grid = np.arange(self.hist_m, self.end_m + 2)
        ss = np.random.SeedSequence(seed)
        names = ["projects", "benefits", "latent", "meas", "restate", "fin", "raid", "misc"]
        self.rng = {n: np.random.default_rng(s) for n, s in zip(names, ss.spawn(len(names)))}
        self.projects: list[_Project] = []
        self.kpis: list[_Kpi] = []
        self.benefits: list[_Benefit] = []
        self.used_project_names: set[str] = set()
        self.used_kpi_names: set[str] = set()
        self.name_ptr = {p: 0 for p in PORTFOLIOS}

    def person(self, rng: np.random.Generator) -> str:
        return f"{_FIRST[int(rng.integers(len(_FIRST)))]} {_LAST[int(rng.integers(len(_LAST)))]}"


def _planned_pct(ms: np.ndarray, r: int, t: int, profile: str,
                 plan: list[tuple[int, float]]) -> np.ndarray:
    """SPEC section 4 planned pct P_m over an array of months."""
    ms = np.asarray(ms, dtype=float)
    n = t - r
    k = ms - r
    x = np.clip(k / n, 0.0, 1.0) if n > 0 else np.zeros_like(ms)
    if profile == "linear":
        p = x
    elif profile == "step":
        p = np.zeros_like(ms)
    elif profile == "s_curve":
        p = 3 * x**2 - 2 * x**3
    else:
        xs = np.array([pm for pm, _ in plan], dtype=float)
        ys = np.array([pp for _, pp in plan], dtype=float)
        p = np.interp(ms, xs, ys, left=0.0, right=ys[-1]) if len(xs) else np.zeros_like(ms)
    return np.where(ms < r, 0.0, np.where(ms >= t, 1.0, p))


# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------


def _take_project_name(ctx: _Ctx, portfolio: str, preferred: str | None = None) -> str:
    if preferred and preferred not in ctx.used_project_names:
        ctx.used_project_names.add(preferred)
        return preferred
    names = _PROJECT_NAMES[portfolio]
    while True:
        i = ctx.name_ptr[portfolio]
        ctx.name_ptr[portfolio] += 1
        base = names[i % len(names)]
        rnd = i // len(names)
        if rnd == 0:
            name = base
        elif rnd <= len(_NAME_SUFFIXES):
            name = f"{base} ({_NAME_SUFFIXES[rnd - 1]})"
        else:
            name = f"{base} ({rnd + 1})"
        if name not in ctx.used_project_names:
            ctx.used_project_names.add(name)
            return name


def _new_project(ctx: _Ctx, idx: int, portfolio: str, stage: str, start: date,
                 planned_end: date, close: date | None, health: str, slip_days: int,
                 cpi_final: float, bac: float | None = None, name: str | None = None,
                 client: bool | None = None, cancel: date | None = None,
                 story: bool = False, currency: str | None = None) -> _Project:
    rng = ctx.rng["projects"]
    prog_choices = _PROGRAMMES[portfolio]
    u = rng.random()
    programme = prog_choices[int(u * 2.5)] if u < 0.8 else None
    if bac is None:
        bac = float(np.clip(round(np.exp(rng.normal(np.log(1.8e6), 0.8)), -3), 150000, 25e6))
    cur_u = rng.random()
    if currency is None:
        currency = "GBP" if cur_u < 0.8 else ("EUR" if cur_u < 0.92 else "USD")
    is_client = (portfolio == "Client Delivery") if client is None else client
    contract = round(bac * float(rng.uniform(1.15, 1.35)), -3) if is_client else None
    bus = _BUS[portfolio]
    p = _Project(
        idx=idx, name=_take_project_name(ctx, portfolio, name), portfolio=portfolio,
        programme=programme, sponsor=ctx.person(rng), pm=ctx.person(rng),
        bu=bus[int(rng.integers(len(bus)))], stage=stage, start=start,
        planned_end=planned_end, close=close, cancel=cancel, bac=bac, currency=currency,
        contract=contract, health=health, slip_days=slip_days, cpi_final=cpi_final,
        story=story,
    )
    ctx.projects.append(p)
    return p


_HEALTH_SLIP = {"healthy": (0, 12), "amber": (15, 45), "red": (61, 150)}
_HEALTH_CPI = {"healthy": (0.97, 1.05), "amber": (0.885, 0.935), "red": (0.74, 0.83)}


def _random_project(ctx: _Ctx, idx: int) -> _Project:
    rng = ctx.rng["projects"]
    portfolio = PORTFOLIOS[idx % len(PORTFOLIOS)]
    stage = str(rng.choice(["closed", "active", "proposed", "cancelled"],
                           p=[0.52, 0.33, 0.08, 0.07]))
    health = str(rng.choice(["healthy", "amber", "red"], p=[0.5, 0.32, 0.18]))
    slip = int(rng.integers(*_HEALTH_SLIP[health]) if health != "healthy"
               else rng.integers(0, 13))
    cpi = float(rng.uniform(*_HEALTH_CPI[health]))
    h, e = ctx.hist_m, ctx.end_m
    close = cancel = None
    if stage == "closed":
        lo_m = min(h + 10, e - 2)
        close_m = e - 1 - int((e - 1 - lo_m) * float(rng.random()) ** 1.4)
        dur = int(rng.integers(8, 31))
        start_m = max(h + 3, close_m - dur)
        start = _mdate(start_m, int(rng.integers(1, 29)))
        close = _clampday(close_m, int(rng.integers(1, 29)))
        if (close - start).days < 120:
            close = start + timedelta(days=120 + slip)
            if close >= ctx.end - timedelta(days=20):
                close = ctx.end - timedelta(days=20)
                start = min(start, close - timedelta(days=120 + slip))
        slip = min(slip, (close - start).days // 2)
        planned_end = close - timedelta(days=slip)
    elif stage == "active":
        start_m = int(rng.integers(max(h + 3, e - 30), e - 1))
        start = _mdate(start_m, int(rng.integers(1, 29)))
        dur = int(rng.integers(10, 37))
        planned_end = _clampday(start_m + dur, int(rng.integers(1, 29)))
        if health == "healthy" and planned_end < ctx.end + timedelta(days=15):
            planned_end = ctx.end + timedelta(days=int(rng.integers(30, 240)))
        if planned_end + timedelta(days=slip) < ctx.end + timedelta(days=15):
            slip = (ctx.end - planned_end).days + int(rng.integers(20, 90))
            if slip > 60:
                health = "red"
    elif stage == "proposed":
        start_m = e + int(rng.integers(1, 7))
        start = _mdate(start_m, int(rng.integers(1, 29)))
        planned_end = _clampday(start_m + int(rng.integers(9, 25)), int(rng.integers(1, 29)))
        slip = 0
    else:  # cancelled
        start_m = int(rng.integers(h + 3, max(h + 4, e - 6)))
        start = _mdate(start_m, int(rng.integers(1, 29)))
        planned_end = _clampday(start_m + int(rng.integers(12, 31)), int(rng.integers(1, 29)))
        cancel_m = min(start_m + int(rng.integers(3, 13)), e - 1)
        cancel = max(_clampday(cancel_m, int(rng.integers(1, 29))), start + timedelta(days=45))
        cancel = min(cancel, ctx.end - timedelta(days=5))
    return _new_project(ctx, idx, portfolio, stage, start, planned_end, close, health, slip,
                        cpi, cancel=cancel)


# --------------------------------------------------------------------------------------------
# KPIs and benefits
# --------------------------------------------------------------------------------------------


def _new_kpi(ctx: _Ctx, p: _Project, arch: _Arch, story: bool = False,
             base: float | None = None, ti: float | None = None) -> _Kpi:
    rng = ctx.rng["benefits"]
    if base is None:
        base = float(rng.uniform(*arch.base))
    if ti is None:
        f = float(rng.uniform(*arch.imp))
        ti = base * f if arch.imp_mode == "rel" else f
    if arch.cap is not None and arch.direction == "increase":
        ti = min(ti, (arch.cap - base) * 0.9)
    base = round(base, arch.dec)
    name = f"{arch.kpi} ({arch.unit})"
    if name in ctx.used_kpi_names:
        name = f"{arch.kpi} – {p.name} ({arch.unit})"
        n = 2
        while name in ctx.used_kpi_names:
            name = f"{arch.kpi} – {p.name} #{n} ({arch.unit})"
            n += 1
    ctx.used_kpi_names.add(name)
    k = _Kpi(idx=len(ctx.kpis), arch=arch, project=p.idx, name=name,
             data_owner=ctx.person(rng), base=base, ti=ti,
             s=1 if arch.direction == "increase" else -1, story=story)
    ctx.kpis.append(k)
    return k


def _default_r(p: _Project) -> date:
    return p.close if p.close is not None else p.planned_end


def _new_benefit(ctx: _Ctx, p: _Project, k: _Kpi, *, secondary: bool = False,
                 category: str | None = None, measured: bool, profile: str,
                 realization_start: date | None, target_date: date, factor: float = 1.0,
                 attribution: float | None = None, review_until: date | None = None,
                 baseline_window: tuple[int, int] | None = None,
                 plan: list[tuple[int, float]] | None = None) -> _Benefit:
    rng = ctx.rng["benefits"]
    a = k.arch
    if category is None:
        cats = a.cats if not secondary else (a.cats[::-1])
        category = cats[0] if len(cats) == 1 or rng.random() < 0.7 else cats[1]
    vpu = None
    if category != "non_financial":
        lo, hi = a.vpu if a.vpu else (10.0, 50.0)
        vpu = float(rng.uniform(lo, hi))
        vpu = round(vpu, 2) if vpu < 10 else float(round(vpu, -1 if vpu < 1000 else -2))
    r = realization_start if realization_start is not None else _default_r(p)
    r_m, t_m = _ym(r), _ym(target_date)
    baseline_value = bstart = bend = None
    if measured:
        if baseline_window is None:
            anchor = min(_ym(p.start), ctx.end_m)
            w_end = anchor - 1
            w_start = max(ctx.hist_m, anchor - 12)
        else:
            w_start, w_end = baseline_window
        bstart, bend = _mdate(w_start), _mlast(w_end)
    else:
        baseline_value = k.base
    target = round(k.base + k.s * k.ti * factor, a.dec)
    if plan is None and profile == "custom":
        plan = _custom_plan(rng, r_m, t_m)
    b = _Benefit(
        idx=len(ctx.benefits), project=p.idx, kpi=k.idx, name=a.names[1 if secondary else 0],
        category=category, disb=a.disbenefit, direction=a.direction,
        baseline_value=baseline_value, baseline_start=bstart, baseline_end=bend,
        target_value=target, realization_start=realization_start, target_date=target_date,
        profile=profile, attribution=attribution, vpu=vpu, owner=ctx.person(rng),
        review_until=review_until, r_m=r_m, t_m=t_m, plan=plan or [],
    )
    ctx.benefits.append(b)
    return b


def _custom_plan(rng: np.random.Generator, r_m: int, t_m: int) -> list[tuple[int, float]]:
    months = list(range(r_m, t_m, 3)) + [t_m]
    if len(months) < 2:
        months = [r_m, r_m + 1]
    inc = rng.uniform(0.5, 1.5, size=len(months))
    inc[0] = rng.uniform(0.1, 0.4)
    cum = np.cumsum(inc) / inc.sum()
    return [(m, round(float(c), 3)) for m, c in zip(months, cum)]


def _ract(ctx: _Ctx, b: _Benefit, out: _Outcome) -> np.ndarray:
    """Realized fraction (of the KPI's latent improvement) per grid month."""
    ms = ctx.grid.astype(float)
    if out.kind == "none":
        return np.zeros_like(ms)
    if out.kind == "early":
        k = ms - b.r_m
        return np.where(ms < b.r_m, 0.0, np.minimum(out.g, out.g * (k + 1) / out.fast_months))
    p = _planned_pct(ms - out.lag, b.r_m, b.t_m, b.profile, b.plan)
    ract = out.g * p
    if out.kind == "erode":
        span = max(1, ctx.eval_m - out.erode_start)
        frac = np.clip((ms - out.erode_start) / span, 0.0, 1.0)
        ract = np.where(ms >= out.erode_start, out.g + (out.erode_to - out.g) * frac, ract)
    return ract


def _random_outcome(ctx: _Ctx, p: _Project, b: _Benefit) -> _Outcome:
    rng = ctx.rng["benefits"]
    if b.disb:
        if rng.random() < 0.2:
            return _Outcome(g=float(rng.uniform(1.22, 1.4)))
        return _Outcome(g=float(rng.uniform(0.8, 1.04)))
    u = rng.random()
    if u < 0.05 and p.stage == "closed" and b.t_m <= ctx.eval_m - 14:
        return _Outcome(kind="erode", g=float(rng.uniform(0.98, 1.08)),
                        erode_start=ctx.eval_m - int(rng.integers(8, 13)),
                        erode_to=float(rng.uniform(0.55, 0.75)))
    if u < 0.40:
        return _Outcome(g=float(rng.uniform(1.01, 1.12)), lag=int(rng.integers(0, 2)))
    if u < 0.66:
        return _Outcome(g=float(rng.uniform(0.91, 0.99)), lag=int(rng.integers(0, 3)))
    if u < 0.84:
        return _Outcome(g=float(rng.uniform(0.72, 0.86)), lag=int(rng.integers(0, 3)))
    return _Outcome(g=float(rng.uniform(0.25, 0.6)), lag=int(rng.integers(1, 5)))


def _rag_for_outcome(g: float) -> str:
    return "green" if g >= 0.9 else ("amber" if g >= 0.7 else "red")


def _random_benefits(ctx: _Ctx, p: _Project) -> None:
    rng = ctx.rng["benefits"]
    if p.stage == "cancelled":
        return
    nb = int(rng.choice([2, 3, 4, 5], p=[0.02, 0.23, 0.45, 0.30]))
    slots: list[int] = []
    rem = nb
    while rem > 0:
        if rem >= 2 and rng.random() < 0.25:
            slots.append(2)
            rem -= 2
        else:
            slots.append(1)
            rem -= 1
    pool = [a for a in _ARCHES[p.portfolio] if not a.disbenefit]
    dis = [a for a in _ARCHES[p.portfolio] if a.disbenefit]
    w = np.array([8.0 if a.freq == "daily" else 1.0 for a in pool])
    n_pick = min(len(slots), len(pool))
    picks = list(rng.choice(len(pool), size=n_pick, replace=False, p=w / w.sum()))
    while len(picks) < len(slots):
        picks.append(int(rng.integers(len(pool))))
    arches = [pool[i] for i in picks]
    if dis and rng.random() < 0.18:
        arches[-1] = dis[0]
        slots[-1] = 1
    worst = 1.0
    for arch, n_b in zip(arches, slots):
        k = _new_kpi(ctx, p, arch)
        # KPI feeds occasionally die after handover (finding: stale)
        if p.stage == "closed" and rng.random() < 0.03:
            k.meas_end = _mlast(ctx.end_m - int(rng.integers(4, 13)))
        measured = bool(rng.random() < 0.5)
        profile = str(rng.choice(["linear", "step", "s_curve", "custom"],
                                 p=[0.4, 0.15, 0.3, 0.15]))
        rstart: date | None = None
        if p.stage == "closed" and rng.random() < 0.4:
            rstart = _mdate(_ym(p.close) + int(rng.integers(0, 3)))
        elif p.stage == "active" and rng.random() < 0.5:
            lo = p.start + timedelta(days=int(0.25 * (p.planned_end - p.start).days))
            hi = min(p.planned_end, ctx.end - timedelta(days=60))
            if hi <= lo:
                hi = p.planned_end
            span = max(1, (hi - lo).days)
            rstart = _mdate(_ym(lo + timedelta(days=int(rng.integers(0, span)))))
        r = rstart or _default_r(p)
        tdate = _mlast(_ym(r) + int(rng.integers(6, 25) if p.stage != "closed"
                                    else rng.integers(9, 37)))
        att = None
        u = rng.random()
        if u < 0.2:
            att = round(float(rng.choice([0.5, 0.6, 0.7, 0.75, 0.8, 0.9])), 2)
        elif u < 0.3:
            att = 1.0
        review = None
        u = rng.random()
        if u < 0.06:
            review = _mlast(_ym(tdate) + int(rng.integers(6, 13)))
        elif u < 0.22:
            review = _mlast(_ym(tdate) + int(rng.integers(48, 73)))
        b = _new_benefit(ctx, p, k, measured=measured, profile=profile,
                         realization_start=rstart, target_date=tdate, attribution=att,
                         review_until=review)
        out = _random_outcome(ctx, p, b)
        k.ract = _ract(ctx, b, out)
        if b.r_m <= ctx.eval_m and not b.disb:
            worst = min(worst, out.g)
        if n_b == 2:
            f2 = float(rng.choice([0.8, 1.0, 1.25]))
            b2 = _new_benefit(ctx, p, k, secondary=True, measured=measured,
                              profile=str(rng.choice(["linear", "s_curve"])),
                              realization_start=rstart,
                              target_date=_mlast(b.t_m + int(rng.integers(0, 7))), factor=f2)
            if b2.r_m <= ctx.eval_m:
                worst = min(worst, out.g / f2)
    p.benefits_rag = _rag_for_outcome(worst)


# --------------------------------------------------------------------------------------------
# Stories (planted, fixed shape so ids are stable)
# --------------------------------------------------------------------------------------------


def _story_projects(ctx: _Ctx, n: int) -> None:
    """Plant the story projects PRJ-0001..PRJ-00nn (n <= 12)."""
    e, E = ctx.end_m, ctx.eval_m

    def shift(start_m: int) -> int:
        return max(0, ctx.hist_m + 3 - start_m)

    def mk(i, portfolio, name, stage, start_m, plan_end_m, close_m, health, slip, cpi,
           client=None, bac=None):
        d = shift(start_m)
        start_m, plan_end_m = start_m + d, plan_end_m + d
        close = None
        if close_m is not None:
            close = _clampday(min(close_m + d, e - 1), 8 + (i * 5) % 19)
        return _new_project(ctx, i, portfolio, stage, _mdate(start_m, 2 + (i * 11) % 25),
                            _clampday(plan_end_m, 1 + (i * 7) % 28), close, health, slip, cpi,
                            name=name, client=client, bac=bac, story=True, currency="GBP")

    def kpi(p, key, base=None, ti=None):
        return _new_kpi(ctx, p, _ARCH_BY_KEY[key], story=True, base=base, ti=ti)

    def ben(p, k, out, **kw):
        b = _new_benefit(ctx, p, k, **kw)
        if out is not None:
            k.ract = _ract(ctx, b, out)
        return b

    makers = []

    # P1: Contact Centre Consolidation -- closed; eroding AHT benefit (BEN-0001)
    def p1():
        p = mk(0, "Customer Operations", "Contact Centre Consolidation", "closed",
               e - 50, e - 33, e - 32, "healthy", 10, 1.01)
        k = kpi(p, "aht", base=9.6, ti=1.6)
        ben(p, k, _Outcome(kind="erode", g=1.02, erode_start=E - 12, erode_to=0.62),
            measured=True, profile="s_curve", realization_start=None,
            target_date=_mlast(_ym(p.close) + 12), category="cashable")
        k = kpi(p, "cc_fte", base=412.0, ti=48.0)
        ben(p, k, _Outcome(g=1.04), measured=False, profile="linear", realization_start=None,
            target_date=_mlast(_ym(p.close) + 9), attribution=0.8)
        k = kpi(p, "complaints", base=3100, ti=800)
        ben(p, k, _Outcome(g=0.96, lag=1), measured=True, profile="step",
            realization_start=_mdate(_ym(p.close) + 1), target_date=_mlast(_ym(p.close) + 7),
            category="non_financial")
        p.benefits_rag = "green"
    makers.append(p1)

    # P2: Customer Feedback Platform -- closed; orphaned CSAT benefit (BEN-0004, KPI-0004)
    def p2():
        p = mk(1, "Customer Operations", "Customer Feedback Platform", "closed",
               e - 34, e - 21, e - 20, "healthy", 8, 0.99)
        k = kpi(p, "csat", base=74.5, ti=6.0)
        k.meas_end = _mlast(e - 5)
        ben(p, k, _Outcome(g=0.95), measured=True, profile="linear", realization_start=None,
            target_date=_mlast(_ym(p.close) + 18))
        k = kpi(p, "fcr", base=64.0, ti=8.0)
        ben(p, k, _Outcome(g=1.0, lag=1), measured=False, profile="s_curve",
            realization_start=None, target_date=_mlast(_ym(p.close) + 15),
            category="non_cashable")
        k = kpi(p, "queue", base=21.0, ti=8.0)
        ben(p, k, _Outcome(g=1.05), measured=True, profile="linear", realization_start=None,
            target_date=_mlast(_ym(p.close) + 6))
        p.benefits_rag = "green"
    makers.append(p2)

    # P3: Self-Service Portal Relaunch -- closed; achieved early (BEN-0007), shared KPI with
    # BEN-0009, dis-benefit within tolerance (BEN-0008)
    def p3():
        p = mk(2, "Digital & Data", "Self-Service Portal Relaunch", "closed",
               e - 30, e - 16, e - 15, "healthy", 6, 1.02)
        k = kpi(p, "selfserve", base=110000, ti=50000)
        r = _mdate(_ym(p.close) + 1)
        ben(p, k, _Outcome(kind="early", g=1.08, fast_months=8), measured=False,
            profile="linear", realization_start=r, target_date=_mlast(e + 10),
            category="cashable")
        k2 = kpi(p, "licence", base=32000, ti=14000)
        ben(p, k2, _Outcome(g=0.93), measured=False, profile="step", realization_start=r,
            target_date=_mlast(_ym(r) + 2))
        ben(p, k, None, secondary=True, measured=False, profile="s_curve",
            realization_start=r, target_date=_mlast(e + 22), factor=1.25,
            category="non_financial")
        p.benefits_rag = "green"
    makers.append(p3)

    # P4: ERP Finance Migration -- active WATERMELON; off-track BEN-0010, not-started BEN-0011,
    # exceeded dis-benefit BEN-0012 (dual running because go-live slipped)
    def p4():
        p = mk(3, "Finance & Shared Services", "ERP Finance Migration", "active",
               e - 26, e + 4, None, "watermelon", 110, 0.78, bac=6_400_000)
        k = kpi(p, "auto_inv", base=42.0, ti=24.0)
        ben(p, k, _Outcome(g=0.25), measured=True, profile="linear",
            realization_start=_mdate(E - 15), target_date=_mlast(e + 8),
            category="non_cashable")
        k = kpi(p, "close_days", base=10.5, ti=3.0)
        ben(p, k, _Outcome(kind="none"), measured=False, profile="s_curve",
            realization_start=None, target_date=_mlast(e + 16))
        k = kpi(p, "dual_run", base=8000, ti=12000)
        ben(p, k, _Outcome(g=1.35), measured=False, profile="linear",
            realization_start=_mdate(E - 14), target_date=_mlast(E - 8))
        p.benefits_rag = "green"  # reported, despite BEN-0010
    makers.append(p4)

    # P5: client project leaking margin through unbilled approved CRs
    def p5():
        p = mk(4, "Client Delivery", "Managed Service Transition – Northwind Utilities",
               "active", e - 18, e + 6, None, "leak", 30, 0.93, client=True, bac=3_800_000)
        p.contract = 4_750_000.0
        k = kpi(p, "sla", base=85.0, ti=6.0)
        ben(p, k, _Outcome(g=0.97), measured=True, profile="linear",
            realization_start=_mdate(E - 8), target_date=_mlast(e + 6),
            category="non_financial")
        k = kpi(p, "cost_to_serve", base=300000, ti=36000)
        ben(p, k, _Outcome(kind="none"), measured=False, profile="s_curve",
            realization_start=None, target_date=_mlast(e + 18))
        k = kpi(p, "backlog", base=1500, ti=500)
        ben(p, k, _Outcome(g=0.92), measured=True, profile="linear",
            realization_start=_mdate(E - 6), target_date=_mlast(e + 3))
        p.benefits_rag = "green"
    makers.append(p5)

    # P6..P11: closed 3+ years before end, still measured
    def p6():
        p = mk(5, "Infrastructure & Security", "Data Centre Exit", "closed",
               e - 90, e - 73, e - 72, "amber", 30, 0.92)
        k = kpi(p, "energy", base=720000, ti=130000)
        ben(p, k, _Outcome(g=1.06), measured=True, profile="s_curve", realization_start=None,
            target_date=_mlast(_ym(p.close) + 18),
            review_until=_mlast(_ym(p.close) + 18 + 96), category="cashable")
        k = kpi(p, "servers", base=980, ti=360)
        ben(p, k, _Outcome(g=1.02), measured=False, profile="step", realization_start=None,
            target_date=_mlast(_ym(p.close) + 12))  # default review_until: tracking_ended
        p.benefits_rag = "green"
    makers.append(p6)

    def p7():
        p = mk(6, "Finance & Shared Services", "Purchase-to-Pay Automation", "closed",
               e - 80, e - 65, e - 64, "healthy", 9, 1.0)
        k = kpi(p, "late_pay", base=28000, ti=15000)
        ben(p, k, _Outcome(g=1.03), measured=True, profile="linear", realization_start=None,
            target_date=_mlast(_ym(p.close) + 12),
            review_until=_mlast(_ym(p.close) + 12 + 84), attribution=0.7)
        k = kpi(p, "po_cycle", base=8.6, ti=3.0)
        ben(p, k, _Outcome(g=0.94), measured=False, profile="s_curve", realization_start=None,
            target_date=_mlast(_ym(p.close) + 12))
        p.benefits_rag = "green"
    makers.append(p7)

    def p8():
        p = mk(7, "Customer Operations", "Omnichannel Customer Service", "closed",
               e - 74, e - 57, e - 56, "amber", 25, 0.9)
        k = kpi(p, "calls", base=52000, ti=12000)
        ben(p, k, _Outcome(g=0.82, lag=2), measured=True, profile="linear",
            realization_start=None, target_date=_mlast(_ym(p.close) + 30),
            review_until=_mlast(_ym(p.close) + 30 + 60), category="cashable")
        k = kpi(p, "fcr", base=61.0, ti=9.0)
        ben(p, k, _Outcome(g=1.02), measured=False, profile="linear",
            realization_start=None, target_date=_mlast(_ym(p.close) + 12),
            review_until=_mlast(_ym(p.close) + 24), category="non_financial")
        p.benefits_rag = "amber"
    makers.append(p8)

    def p9():
        p = mk(8, "Digital & Data", "Cloud Migration Wave 1", "closed",
               e - 66, e - 51, e - 50, "healthy", 7, 1.0)
        k = kpi(p, "hosting", base=180000, ti=40000)
        ben(p, k, _Outcome(g=1.05), measured=True, profile="s_curve", realization_start=None,
            target_date=_mlast(_ym(p.close) + 24),
            review_until=_mlast(_ym(p.close) + 24 + 84))
        k = kpi(p, "availability", base=97.6, ti=1.2)
        ben(p, k, _Outcome(g=0.96), measured=True, profile="linear", realization_start=None,
            target_date=_mlast(_ym(p.close) + 24),
            review_until=_mlast(_ym(p.close) + 24 + 48))
        p.benefits_rag = "green"
    makers.append(p9)

    def p10():
        p = mk(9, "Infrastructure & Security", "Service Desk Transformation", "closed",
               e - 60, e - 45, e - 44, "healthy", 5, 1.03)
        k = kpi(p, "incidents", base=6200, ti=1500)
        ben(p, k, _Outcome(g=0.55, lag=3), measured=True, profile="linear",
            realization_start=None, target_date=_mlast(_ym(p.close) + 24),
            category="non_cashable")
        k = kpi(p, "mttr", base=7.8, ti=2.6)
        ben(p, k, _Outcome(g=1.04), measured=False, profile="s_curve", realization_start=None,
            target_date=_mlast(_ym(p.close) + 12))
        p.benefits_rag = "green"
    makers.append(p10)

    def p11():
        p = mk(10, "Finance & Shared Services", "Order-to-Cash Transformation", "closed",
               e - 56, e - 39, e - 38, "amber", 28, 0.91)
        k = kpi(p, "dso", base=56.0, ti=8.0)
        r_m = _ym(p.close)
        plan = [(r_m, 0.1), (r_m + 3, 0.3), (r_m + 6, 0.45), (r_m + 12, 0.7), (r_m + 18, 0.9),
                (r_m + 24, 1.0)]
        ben(p, k, _Outcome(g=0.95, lag=1), measured=False, profile="custom",
            realization_start=None, target_date=_mlast(r_m + 24), plan=plan,
            category="cashable", attribution=0.6)
        k = kpi(p, "fin_fte", base=140.0, ti=22.0)
        ben(p, k, _Outcome(g=0.85), measured=True, profile="step", realization_start=None,
            target_date=_mlast(r_m + 12))
        p.benefits_rag = "amber"
    makers.append(p11)

    # P12: Customer Data Platform -- active; no_baseline (BEN-0033), not_started (BEN-0034)
    def p12():
        p = mk(11, "Digital & Data", "Customer Data Platform", "active",
               e - 10, e + 8, None, "healthy", 6, 1.0)
        k = kpi(p, "dq", base=84.0, ti=6.0)
        k.meas_start_ym = _ym(p.start) + 1  # the KPI is introduced by the project
        ben(p, k, _Outcome(kind="none"), measured=True, profile="linear",
            realization_start=_mdate(e - 4), target_date=_mlast(e + 12),
            baseline_window=(_ym(p.start) - 9, _ym(p.start) - 4))
        k = kpi(p, "registrations", base=7600, ti=3000)
        ben(p, k, _Outcome(kind="none"), measured=True, profile="s_curve",
            realization_start=_mdate(e + 3), target_date=_mlast(e + 18))
        p.benefits_rag = "green"
    makers.append(p12)

    for mkr in makers[:n]:
        mkr()


# --------------------------------------------------------------------------------------------
# Measurements (vectorised)
# --------------------------------------------------------------------------------------------


@dataclass
class _Meas:
    kpi: np.ndarray  # int32 kpi index
    day: np.ndarray  # int64 days since epoch
    value: np.ndarray  # float64
    rec: np.ndarray  # int64 seconds since epoch


def _latent_matrix(ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng["latent"]
    G = len(ctx.grid)
    K = len(ctx.kpis)
    L = np.empty((K, G))
    noise = rng.normal(0.0, 0.03, size=(K, G))
    for k in ctx.kpis:
        ract = k.ract if k.ract is not None else np.zeros(G)
        L[k.idx] = k.base + k.s * k.ti * (ract + noise[k.idx])
    return L


def _generate_measurements(ctx: _Ctx) -> tuple[_Meas, dict]:
    rng = ctx.rng["meas"]
    end_d = _dnum(ctx.end)
    d0 = _dnum(ctx.hist_start)
    d1 = _dnum(_mlast(ctx.end_m))  # full calendar months
    days = np.arange(d0, d1 + 1)
    dates = days.astype("datetime64[D]")
    mon64 = dates.astype("datetime64[M]")
    months = mon64.astype(np.int64) + 1970 * 12  # == _ym
    mi = (months - ctx.hist_m).astype(np.int64)
    mstart = mon64.astype("datetime64[D]").astype(np.int64)
    dom = days - mstart
    dim_m = np.array([(_dnum(_mdate(m + 1)) - _dnum(_mdate(m))) for m in ctx.grid])
    dim = dim_m[mi]
    weekday = (days + 3) % 7  # Monday = 0
    L = _latent_matrix(ctx)
    G = L.shape[1]

    f = (dom + 0.5) / dim - 0.5
    nb = np.where(f >= 0, mi + 1, mi - 1)
    nb = np.clip(nb, 0, G - 1)
    wgt = np.abs(f)

    K = len(ctx.kpis)
    ti = np.array([k.ti for k in ctx.kpis])
    base = np.array([k.base for k in ctx.kpis])
    dec = np.array([k.arch.dec for k in ctx.kpis])
    cap = np.array([k.arch.cap if k.arch.cap is not None else np.inf for k in ctx.kpis])
    aggs = np.array([k.arch.agg for k in ctx.kpis])
    freqs = np.array([k.arch.freq for k in ctx.kpis])
    mstart_day = np.array([
        _dnum(_mdate(k.meas_start_ym)) if k.meas_start_ym is not None else d0
        for k in ctx.kpis
    ])
    mend_day = np.array([
        min(_dnum(k.meas_end), end_d) if k.meas_end is not None else end_d for k in ctx.kpis
    ])
    story = np.array([k.story for k in ctx.kpis])
    amp = rng.uniform(0.15, 0.55, size=K)

    out_k, out_d, out_v = [], [], []
    for freq in ("daily", "weekly", "monthly"):
        kidx = np.nonzero(freqs == freq)[0]
        if len(kidx) == 0:
            continue
        if freq == "daily":
            cols = np.arange(len(days))
        elif freq == "weekly":
            cols = np.nonzero(weekday == 6)[0]  # week ending Sunday
        else:
            cols = np.nonzero(dom == dim - 1)[0]  # month end
        c_mi, c_nb, c_w = mi[cols], nb[cols], wgt[cols]
        Lk = L[kidx]
        Ld = Lk[:, c_mi] * (1 - c_w) + Lk[:, c_nb] * c_w
        n = len(cols)
        tik = ti[kidx][:, None]
        agg = aggs[kidx][:, None]
        eps = rng.standard_normal(size=(len(kidx), n))
        V = np.empty_like(Ld)
        if freq == "daily":
            # sum: the monthly level spread over the month's days with weekly seasonality
            w = 1.0 + amp[kidx][:, None] * _WEEK_PATTERN[weekday[cols]][None, :]
            msum = np.zeros((len(kidx), G))
            for j in range(len(kidx)):
                msum[j] = np.bincount(c_mi, weights=w[j], minlength=G)
            rel = np.minimum(0.06, 0.15 * tik / np.maximum(np.abs(Lk).mean(axis=1,
                                                                      keepdims=True), 1e-9))
            v_sum = Ld * w / msum[:, c_mi] * (1 + rel * eps)
            v_avg = (Ld + 0.1 * tik * amp[kidx][:, None] * _WEEK_PATTERN[weekday[cols]]
                     + 0.12 * tik * eps)
            v_last = Ld + 0.02 * tik * eps
            v_min = Ld + np.abs(0.08 * tik * eps)
            v_max = Ld - np.abs(0.08 * tik * eps)
        elif freq == "weekly":
            v_sum = Ld * 7.0 / dim[cols][None, :] * (1 + 0.02 * eps)
            v_avg = Ld + 0.06 * tik * eps
            v_last = Ld + 0.02 * tik * eps
            v_min = Ld + np.abs(0.05 * tik * eps)
            v_max = Ld - np.abs(0.05 * tik * eps)
        else:
            v_sum = Ld + 0.02 * tik * eps
            v_avg = Ld + 0.02 * tik * eps
            v_last = Ld + 0.02 * tik * eps
            v_min = Ld + 0.02 * tik * eps
            v_max = Ld + 0.02 * tik * eps
        V = np.select([agg == "sum", agg == "avg", agg == "last", agg == "min"],
                      [v_sum, v_avg, v_last, v_min], v_max)
        V = np.clip(V, 0.0, cap[kidx][:, None])
        scale = (10.0 ** dec[kidx])[:, None]
        V = np.round(V * scale) / scale + 0.0
        cday = days[cols][None, :]
        mask = (cday >= mstart_day[kidx][:, None]) & (cday <= mend_day[kidx][:, None])
        # occasional source outages (never on sum KPIs: a missing day would bias the total,
        # and never on story KPIs)
        drop = rng.random(size=mask.shape) < 0.004
        drop &= (agg != "sum") & ~story[kidx][:, None]
        mask &= ~drop
        r_, c_ = np.nonzero(mask)
        out_k.append(kidx[r_].astype(np.int32))
        out_d.append(days[cols][c_])
        out_v.append(V[r_, c_])
        del Ld, V, eps, v_sum, v_avg, v_last, v_min, v_max
    kk = np.concatenate(out_k)
    dd = np.concatenate(out_d).astype(np.int64)
    vv = np.concatenate(out_v)
    fq = freqs[kk]
    n = len(kk)
    lag_days = np.where(fq == "daily", 1, np.where(fq == "weekly", rng.integers(1, 4, n),
                                                   rng.integers(2, 9, n)))
    late = rng.random(n) < 0.02
    lag_days = lag_days + late * rng.integers(1, 5, n)
    secs = rng.integers(3600, 7 * 3600, n)
    rec = (dd + lag_days) * 86400 + secs
    keep = rec < (end_d + 1) * 86400
    m = _Meas(kk[keep], dd[keep], vv[keep], rec[keep])
    order = np.lexsort((m.kpi, m.day))
    m = _Meas(m.kpi[order], m.day[order], m.value[order], m.rec[order])
    return m, {"noise_scale": ti, "dec": dec, "cap": cap, "base": base}


def _withhold_late_feed(ctx: _Ctx, m: _Meas) -> tuple[_Meas, list[list[str]]]:
    """Pull a few recent measurements out of the regular feed and build the dirty late feed."""
    rng = ctx.rng["misc"]
    end_d = _dnum(ctx.end)
    lo = _dnum(_mdate(ctx.end_m))  # only days of the current (not yet evaluated) month
    kp = ctx.kpis
    cand_k = [k.idx for k in kp if not k.story and k.arch.freq == "daily" and k.arch.agg != "sum"]
    if len(cand_k) < 2:
        cand_k = [k.idx for k in kp if k.arch.freq == "daily"] or [k.idx for k in kp]
    sel = np.isin(m.kpi, np.array(cand_k)) & (m.day >= lo) & (m.day <= end_d - 2)
    idx = np.nonzero(sel)[0]
    if len(idx) < 8:
        sel = np.isin(m.kpi, np.array(cand_k))
        idx = np.nonzero(sel)[0][-40:]
    pick = np.sort(rng.choice(idx, size=min(8, len(idx)), replace=False))
    keep = np.ones(len(m.kpi), dtype=bool)
    keep[pick] = False
    rest = _Meas(m.kpi[keep], m.day[keep], m.value[keep], m.rec[keep])
    rec_base = (end_d * 86400) + 6 * 3600

    def ts(sec: int) -> str:
        return np.datetime_as_string(np.datetime64(int(sec), "s")) + "Z"

    def row(i: int, value: str | None = None, when: int = 0, day: str | None = None,
            kid: str | None = None) -> list[str]:
        k = kp[int(m.kpi[i])]
        v = value if value is not None else _fmtv(m.value[i], k.arch.dec)
        return [kid or k.kid, day or _ddate(m.day[i]).isoformat(), v, ts(rec_base + when)]

    rows: list[list[str]] = []
    p = list(pick)
    while len(p) < 8:
        p.append(p[-1])
    # five valid late measurements
    for j, i in enumerate(p[:5]):
        rows.append(row(i, when=60 * j))
    # unknown kpi_id
    unknown = "KPI-9999" if len(kp) < 9999 else "KPI-99999999"
    rows.insert(2, row(p[0], kid=unknown, when=15 * 60))
    # bad date
    rows.append(row(p[1], day=f"{ctx.end.year}-13-01", when=20 * 60))
    # empty value
    rows.append(row(p[5], value="", when=25 * 60))
    # conflicting duplicate: same key, different values
    k6 = kp[int(m.kpi[p[6]])]
    v6 = float(m.value[p[6]])
    delta = max(10.0 ** -k6.arch.dec, abs(v6) * 0.05)
    rows.append(row(p[6], when=30 * 60))
    rows.append(row(p[6], value=_fmtv(v6 + delta, k6.arch.dec), when=30 * 60))
    # exact duplicate rows
    rows.append(row(p[7], when=35 * 60))
    rows.append(row(p[7], when=35 * 60))
    return rest, rows


def _fmtv(v: float, dec: int) -> str:
    s = pc.cast(pa.array([round(float(v), dec) + 0.0]), pa.string())[0].as_py()
    return s


def _restatements(ctx: _Ctx, m: _Meas) -> dict[int, _Meas]:
    """Small restatement batches: same (kpi_id, measured_on), later recorded_at, new value."""
    rng = ctx.rng["restate"]
    kp = ctx.kpis
    # story KPIs are restated too, but only by one unit of their last decimal (status-neutral)
    cand = np.array([k.idx for k in kp], dtype=np.int64)
    out: dict[int, _Meas] = {}
    if len(cand) == 0:
        return out
    months = [ctx.end_m - 1 - 4 * i for i in range(6)]
    months = [q for q in months if q - 3 > ctx.hist_m]
    # index rows by kpi for lookup
    order = np.lexsort((m.day, m.kpi))
    ks, ds = m.kpi[order], m.day[order]
    starts = np.searchsorted(ks, np.arange(len(kp)))
    ends = np.searchsorted(ks, np.arange(len(kp)), side="right")
    for q in sorted(months):
        nk = max(2, int(round(len(cand) * 0.06)))
        chosen = np.sort(rng.choice(cand, size=min(nk, len(cand)), replace=False))
        win_lo, win_hi = _dnum(_mdate(q - 3)), _dnum(_mdate(q)) - 1
        rk, rd, rv, rr = [], [], [], []
        for kix in chosen:
            a, b = starts[kix], ends[kix]
            sub = np.arange(a, b)
            sub = sub[(ds[sub] >= win_lo) & (ds[sub] <= win_hi)]
            if len(sub) == 0:
                continue
            k = kp[int(kix)]
            nrun = {"daily": int(rng.integers(3, 11)), "weekly": int(rng.integers(1, 3)),
                    "monthly": 1}[k.arch.freq]
            st = int(rng.integers(0, max(1, len(sub) - nrun + 1)))
            rows = order[sub[st:st + nrun]]
            step = 10.0 ** -k.arch.dec
            day = int(rng.integers(3, 26))
            rec0 = _dnum(_clampday(q, day)) * 86400 + int(rng.integers(8 * 3600, 18 * 3600))
            for ri in rows:
                old = float(m.value[ri])
                sd = 0.05 * k.ti if k.arch.agg != "sum" or k.arch.freq != "daily" else (
                    max(abs(old) * 0.03, step))
                delta = float(rng.normal(0, sd))
                if k.story:
                    delta = step if delta >= 0 else -step
                if abs(delta) < step:
                    delta = step if delta >= 0 else -step
                new = round(max(0.0, old + delta), k.arch.dec)
                if k.arch.cap is not None:
                    new = min(new, k.arch.cap)
                if new == old:
                    new = round(old + step, k.arch.dec)
                rec = max(rec0, int(m.rec[ri]) + 86400)
                if rec >= (_dnum(ctx.end) + 1) * 86400:
                    continue
                rk.append(int(m.kpi[ri]))
                rd.append(int(m.day[ri]))
                rv.append(new)
                rr.append(rec)
        if rk:
            out[q] = _Meas(np.array(rk, dtype=np.int32), np.array(rd, dtype=np.int64),
                           np.array(rv, dtype=float), np.array(rr, dtype=np.int64))
    return out


def _meas_table(ctx: _Ctx, m: _Meas, kid_arr: pa.Array) -> pa.Table:
    return pa.table({
        "kpi_id": kid_arr.take(pa.array(m.kpi)),
        "measured_on": pa.array(m.day.astype("datetime64[D]"), type=pa.date32()),
        "value": pa.array(m.value, type=pa.float64()),
        "recorded_at": pa.array(m.rec.astype("datetime64[s]")).cast(
            pa.timestamp("us", tz="UTC")),
    })


def _write_meas(path: Path, t: pa.Table, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(t, path, compression="snappy")
        return
    cols = [
        t["kpi_id"],
        pc.cast(t["measured_on"], pa.string()),
        pc.cast(t["value"], pa.string()),
        pc.strftime(t["recorded_at"].cast(pa.timestamp("s", tz="UTC")),
                    format="%Y-%m-%dT%H:%M:%SZ"),
    ]
    lines = pc.binary_join_element_wise(*cols, ",")
    body = "\n".join(lines.to_pylist()) if len(t) < 2_000_000 else None
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(MEASUREMENT_COLUMNS) + "\n")
        if body is not None:
            if body:
                fh.write(body + "\n")
        else:
            for chunk in lines.chunks:
                for i in range(0, len(chunk), 500_000):
                    part = chunk.slice(i, 500_000).to_pylist()
                    fh.write("\n".join(part) + "\n")


# --------------------------------------------------------------------------------------------
# Project delivery tables
# --------------------------------------------------------------------------------------------


def _last_fin_month(ctx: _Ctx, p: _Project) -> int | None:
    if p.stage == "closed":
        return _ym(p.close)
    if p.stage == "cancelled":
        return _ym(p.cancel)
    if p.stage == "active":
        return ctx.eval_m
    return None


def _change_requests(ctx: _Ctx, p: _Project, planted: bool) -> list[dict]:
    rng = ctx.rng["fin"]
    out: list[dict] = []
    if p.stage == "proposed":
        return out
    limit = {"closed": p.close, "cancelled": p.cancel}.get(p.stage, ctx.end)
    span = max(1, (limit - p.start).days)
    client = p.contract is not None
    if planted:  # margin leak: several approved, unbilled, positive cost
        specs = [(0.18, 21, "approved", 0.045, 20, False), (0.3, 18, "approved", 0.06, 35, False),
                 (0.45, 25, "approved", 0.035, 10, False), (0.6, 14, "approved", 0.05, 15, False),
                 (0.7, 20, "approved", 0.03, 5, True), (0.8, 12, "rejected", 0.02, 10, True),
                 (0.97, None, "pending", 0.025, 7, False)]
        for frac, dd, dec_, cost, sched, bill in specs:
            raised = p.start + timedelta(days=int(frac * span))
            out.append(dict(raised=raised,
                            decided=None if dd is None else raised + timedelta(days=dd),
                            decision=dec_, cost=round(p.bac * cost, -2), sched=sched,
                            billable=bill))
        return out
    n = int(rng.choice([0, 1, 2, 3, 4, 5], p=[0.15, 0.22, 0.25, 0.2, 0.1, 0.08]))
    for _ in range(n):
        raised = p.start + timedelta(days=int(rng.integers(0, span)))
        decided = raised + timedelta(days=int(rng.integers(4, 45)))
        if decided > limit:
            decision, decided = ("pending", None) if p.stage == "active" else (
                "approved", limit)
        else:
            decision = str(rng.choice(["approved", "rejected"], p=[0.72, 0.28]))
        cost = float(p.bac * rng.uniform(0.003, 0.03))
        if rng.random() < 0.1:
            cost = -cost
        billable = bool(client and rng.random() < 0.8)
        out.append(dict(raised=raised, decided=decided, decision=decision,
                        cost=round(cost, -2), sched=int(rng.integers(-5, 40)),
                        billable=billable))
    out.sort(key=lambda r: r["raised"])
    return out


def _financials(ctx: _Ctx, p: _Project, crs: list[dict]) -> list[list[str]]:
    rng = ctx.rng["fin"]
    last = _last_fin_month(ctx, p)
    s_m = _ym(p.start)
    if last is None or last < s_m:
        return []
    n_pl = max(1, _ym(p.planned_end) - s_m + 1)
    act_end = p.close if p.close is not None else p.planned_end + timedelta(days=p.slip_days)
    n_act = max(1, _ym(act_end) - s_m + 1)
    k = np.arange(last - s_m + 1)

    def curve(x):
        x = np.clip(x, 0, 1)
        return 0.5 * x + 0.5 * (3 * x**2 - 2 * x**3)

    pv = p.bac * curve((k + 1) / n_pl)
    ev = p.bac * curve((k + 1) / n_act)
    ramp = np.minimum(1.0, (k + 1) / max(3.0, 0.5 * n_act))
    cpi = 1.0 + (p.cpi_final - 1.0) * ramp + rng.normal(0, 0.006, size=len(k))
    if p.health == "healthy":
        ev = np.maximum(ev, 0.965 * pv)
        cpi = np.maximum(cpi, 0.965)
    elif p.health in ("amber", "leak"):
        ev = np.maximum(ev, 0.88 * pv)
        cpi = np.clip(cpi, 0.875, None)
    ev = np.maximum.accumulate(ev)
    ac = np.maximum.accumulate(ev / cpi)
    month_ends = [_dnum(_mlast(s_m + int(i))) for i in k]
    appr = [(c["decided"], c["cost"]) for c in crs if c["decision"] == "approved"]
    rows = []
    for i in range(len(k)):
        me = month_ends[i]
        cr_cost = sum(c for d, c in appr if d is not None and _dnum(d) <= me and c > 0)
        eac = p.bac * ac[i] / ev[i] + cr_cost * (1 - ev[i] / p.bac)
        if p.stage == "closed" and i == len(k) - 1:
            eac = ac[i]
        rows.append([p.pid, _mdate(s_m + int(i)).isoformat(), _money(pv[i]), _money(ev[i]),
                     _money(ac[i]), _money(eac)])
    return rows


def _milestones(ctx: _Ctx, p: _Project) -> list[list]:
    """Returns [name, is_key, baseline, forecast, actual]."""
    rng = ctx.rng["raid"]
    out = []
    pl_days = (p.planned_end - p.start).days
    if p.close is not None:
        act_days = (p.close - p.start).days
    else:
        act_days = pl_days + p.slip_days
    for name, frac, key in _MILESTONES:
        if not (key or frac == 0.0) and rng.random() < 0.3:
            continue
        base = p.start + timedelta(days=round(frac * pl_days))
        exp = p.start + timedelta(days=round(frac * act_days))
        if p.health == "watermelon" and name == "Go-live":
            exp = base + timedelta(days=max(p.slip_days, 90))
        forecast = actual = None
        if p.stage == "closed":
            actual = min(exp, p.close)
        elif p.stage == "proposed":
            forecast = base if rng.random() < 0.5 else None
        elif p.stage == "cancelled":
            if exp <= p.cancel:
                actual = exp
        else:
            if exp < ctx.end:
                actual = exp
            else:
                forecast = exp
        out.append([name, key, base, forecast, actual])
    return out


def _report_dates(ctx: _Ctx, p: _Project) -> list[date]:
    if p.stage == "proposed":
        return []
    limit = {"closed": p.close, "cancelled": p.cancel}.get(p.stage, ctx.end)
    limit = min(limit, ctx.end)
    out = []
    for m in range(_ym(p.start), _ym(limit) + 1):
        d = _weekday_shift(_clampday(m, 25))
        if p.start <= d <= limit:
            out.append(d)
    if p.stage in ("closed", "cancelled") and (not out or out[-1] < limit):
        out.append(limit)
    return out


def _status_reports(ctx: _Ctx, p: _Project) -> list[list[str]]:
    rng = ctx.rng["raid"]
    dates = _report_dates(ctx, p)
    rows = []
    n = len(dates)
    for i, d in enumerate(dates):
        x = (i + 1) / max(n, 1) if p.stage != "active" else (
            (d - p.start).days / max(1, (p.planned_end - p.start).days))
        h = p.health
        if h == "watermelon":
            o = s = c = "green"
        elif h == "healthy":
            o = "amber" if rng.random() < 0.08 else "green"
            s, c = o, "green"
        elif h in ("amber", "leak"):
            o = "green" if x < 0.4 else ("amber" if rng.random() < 0.8 else "green")
            s = o
            c = "amber" if x >= 0.4 else "green"
        else:  # red: forecasts slip from the start, so never reported green
            if x < 0.4:
                o = "amber"
            else:
                o = "red" if rng.random() < 0.65 else "amber"
            s, c = o, ("red" if x >= 0.5 else "amber")
        if p.stage == "closed" and i == n - 1:
            o = s = c = "green" if h in ("healthy",) else "amber"
            commentary = "Project closed; benefits handed over to the business owner."
        elif p.stage == "cancelled" and i == n - 1:
            o, s, c = "red", "red", "amber"
            commentary = "Project cancelled by the investment committee."
        else:
            opts = _COMMENTARY[o]
            commentary = opts[int(rng.integers(len(opts)))]
        br = p.benefits_rag
        if p.stage == "active" and br != "green" and x < 0.5:
            br = "green"
        rows.append([p.pid, d.isoformat(), o, s, c, br, commentary])
    return rows


def _raid(ctx: _Ctx, p: _Project) -> list[list]:
    """Returns rows without raid_id: [type, title, severity, owner, raised, due, closed, mit]."""
    rng = ctx.rng["raid"]
    if p.stage == "proposed":
        return []
    limit = {"closed": p.close, "cancelled": p.cancel}.get(p.stage, ctx.end)
    span = max(1, (limit - p.start).days)
    n = int(rng.integers(4, 11))
    titles = {"risk": _RISK_TITLES, "issue": _ISSUE_TITLES, "assumption": _ASSUMPTION_TITLES,
              "dependency": _DEPENDENCY_TITLES, "decision": _DECISION_TITLES}
    out = []
    for _ in range(n):
        t = str(rng.choice(["risk", "issue", "assumption", "dependency", "decision"],
                           p=[0.34, 0.24, 0.1, 0.12, 0.2]))
        sev = str(rng.choice(["low", "medium", "high", "critical"], p=[0.3, 0.36, 0.25, 0.09]))
        tl = titles[t]
        title = tl[int(rng.integers(len(tl)))]
        raised = p.start + timedelta(days=int(rng.integers(0, span)))
        owner = ctx.person(rng) if rng.random() < 0.9 else None
        due = raised + timedelta(days=int(rng.integers(14, 120))) if rng.random() < 0.7 else None
        mit = None
        if t in ("risk", "issue"):
            mit = _MITIGATIONS[int(rng.integers(len(_MITIGATIONS)))] if rng.random() < 0.85 \
                else None
        age = (ctx.end - raised).days
        closed = None
        if t == "decision":
            dec = raised + timedelta(days=int(rng.integers(2, 30)))
            if dec <= limit and (p.stage != "active" or rng.random() < 0.85 or age <= 14):
                closed = dec
            elif p.stage != "active":
                closed = limit
            if closed is None and p.health == "healthy" and age > 12:
                closed = min(dec, ctx.end)
        else:
            if p.stage != "active":
                closed = raised + timedelta(days=int(rng.integers(3, max(4, (limit - raised).days
                                                                        + 1))))
                closed = min(closed, limit)
            elif rng.random() < 0.55 and age > 5:
                closed = raised + timedelta(days=int(rng.integers(3, max(4, age))))
        if (closed is None and t in ("risk", "issue") and sev in ("high", "critical")
                and mit is None and age > 25 and p.health != "red"):
            mit = _MITIGATIONS[int(rng.integers(len(_MITIGATIONS)))]
        out.append([t, title, sev, owner, raised, due, closed, mit])
    out.sort(key=lambda r: r[4])
    return out


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: list[list]) -> int:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return len(rows)


def _b(v: bool) -> str:
    return "true" if v else "false"


def _quarter_key(day: np.ndarray) -> np.ndarray:
    ym = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return (ym // 12) * 10 + (ym % 12) // 3 + 1  # e.g. 20241 for 2024-Q1


def generate_source_dir(out_dir: Path, projects: int = 30, years: int = 7, seed: int = 2026,
                        end: date = date(2026, 11, 20), measurement_format: str = "auto",
                        stories: bool = True,
                        progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write a synthetic, SPEC-section-2 source directory into ``out_dir``.

    Returns the number of data rows written per file (``"kpi_measurements"`` is the total over
    all measurement files; ``"kpi_measurement_files"`` their count).
    """
    if projects < 1:
        raise ValueError("projects must be >= 1")
    if years < 2:
        raise ValueError("years must be >= 2")
    if measurement_format not in ("auto", "csv", "parquet"):
        raise ValueError("measurement_format must be auto, csv or parquet")
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    ctx = _Ctx(end, years, seed)

    say(f"planning {projects} projects over {years} years ending {end.isoformat()}")
    n_story = min(12, projects) if stories else 0
    if n_story:
        _story_projects(ctx, n_story)
    for i in range(n_story, projects):
        p = _random_project(ctx, i)
        _random_benefits(ctx, p)

    pw = max(4, len(str(len(ctx.projects))))
    kw = max(4, len(str(len(ctx.kpis))))
    bw = max(4, len(str(len(ctx.benefits))))
    for p in ctx.projects:
        p.pid = f"PRJ-{p.idx + 1:0{pw}d}"
    for k in ctx.kpis:
        k.kid = f"KPI-{k.idx + 1:0{kw}d}"
    for b in ctx.benefits:
        b.bid = f"BEN-{b.idx + 1:0{bw}d}"

    say(f"generating measurements for {len(ctx.kpis)} KPIs")
    meas, _info = _generate_measurements(ctx)
    late_rows: list[list[str]] = []
    if stories and len(meas.kpi) > 20:
        meas, late_rows = _withhold_late_feed(ctx, meas)
    restated = _restatements(ctx, meas)
    n_meas = len(meas.kpi) + sum(len(r.kpi) for r in restated.values())
    fmt = measurement_format
    if fmt == "auto":
        fmt = "parquet" if n_meas > 500_000 else "csv"
    ext = "parquet" if fmt == "parquet" else "csv"

    # ---- write -------------------------------------------------------------------------
    out_dir.mkdir(parents=True, exist_ok=True)
    mdir = out_dir / "kpi_measurements"
    mdir.mkdir(exist_ok=True)
    for old in sorted(mdir.iterdir()):
        if old.is_file() and old.suffix in (".csv", ".parquet"):
            old.unlink()
    counts: dict[str, int] = {}
    kid_arr = pa.array([k.kid for k in ctx.kpis], type=pa.string())

    say(f"writing {n_meas:,} measurements as {fmt}")
    qk = _quarter_key(meas.day)
    bounds = np.flatnonzero(np.diff(qk)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(qk)]])
    n_files = 0
    total = 0
    for a, b in zip(starts, stops):
        if b <= a:
            continue
        q = int(qk[a])
        sub = _Meas(meas.kpi[a:b], meas.day[a:b], meas.value[a:b], meas.rec[a:b])
        name = f"{q // 10}-Q{q % 10}.{ext}"
        _write_meas(mdir / name, _meas_table(ctx, sub, kid_arr), fmt)
        n_files += 1
        total += int(b - a)
    for q in sorted(restated):
        r = restated[q]
        order = np.lexsort((r.kpi, r.day))
        r = _Meas(r.kpi[order], r.day[order], r.value[order], r.rec[order])
        name = f"restatements_{_mdate(q):%Y-%m}.{ext}"
        _write_meas(mdir / name, _meas_table(ctx, r, kid_arr), fmt)
        counts["restatement_rows"] = counts.get("restatement_rows", 0) + len(r.kpi)
        n_files += 1
        total += len(r.kpi)
    if late_rows:
        _write_csv(mdir / f"late_feed_{end:%Y-%m}.csv", MEASUREMENT_COLUMNS, late_rows)
        counts["late_feed_rows"] = len(late_rows)
        n_files += 1
        total += len(late_rows)
    counts["kpi_measurements"] = total
    counts["kpi_measurement_files"] = n_files

    say("writing projects, KPIs, benefits and delivery tables")
    # projects
    rows = []
    for p in ctx.projects:
        rows.append([p.pid, p.name, p.portfolio, p.programme, p.sponsor, p.pm, p.bu, p.stage,
                     _iso(p.start), _iso(p.planned_end), _iso(p.close), _money(p.bac),
                     p.currency, None if p.contract is None else _money(p.contract)])
    counts["projects.csv"] = _write_csv(out_dir / "projects.csv", HEADERS["projects.csv"], rows)
    # kpis
    rows = [[k.kid, k.name, k.arch.unit, k.arch.agg, k.arch.freq, k.data_owner, k.arch.source]
            for k in ctx.kpis]
    counts["kpi_definitions.csv"] = _write_csv(out_dir / "kpi_definitions.csv",
                                               HEADERS["kpi_definitions.csv"], rows)
    # benefits + plan
    rows, plan_rows = [], []
    pid = {p.idx: p.pid for p in ctx.projects}
    for b in ctx.benefits:
        k = ctx.kpis[b.kpi]
        dec = k.arch.dec
        vpu = None
        if b.vpu is not None:
            vpu = f"{b.vpu:.2f}" if b.vpu < 10 else str(int(round(b.vpu)))
        rows.append([
            b.bid, pid[b.project], b.name, b.category, _b(b.disb), k.kid, b.direction,
            _num(b.baseline_value, dec), _iso(b.baseline_start), _iso(b.baseline_end),
            _num(b.target_value, dec), _iso(b.realization_start), _iso(b.target_date),
            b.profile, None if b.attribution is None else f"{b.attribution:g}", vpu, b.owner,
            _iso(b.review_until),
        ])
        if b.profile == "custom":
            for m_, pct in b.plan:
                plan_rows.append([b.bid, _mdate(m_).isoformat(), f"{pct:g}"])
    counts["benefits.csv"] = _write_csv(out_dir / "benefits.csv", HEADERS["benefits.csv"], rows)
    counts["benefit_plan.csv"] = _write_csv(out_dir / "benefit_plan.csv",
                                            HEADERS["benefit_plan.csv"], plan_rows)
    # delivery tables; planted rows get the first ids
    fin_rows, ms_rows, sr_rows, raid_rows, cr_rows = [], [], [], [], []
    planted_raid, planted_ms = [], []
    all_raid, all_ms, all_cr = [], [], []
    for p in ctx.projects:
        crs = _change_requests(ctx, p, planted=(p.health == "leak" and p.story))
        fin_rows.extend(_financials(ctx, p, crs))
        for c in crs:
            all_cr.append((p.pid, c))
        for mrow in _milestones(ctx, p):
            if p.health == "watermelon" and p.story and mrow[0] == "Go-live":
                planted_ms.append((p.pid, mrow))
            else:
                all_ms.append((p.pid, mrow))
        sr_rows.extend(_status_reports(ctx, p))
        for r in _raid(ctx, p):
            all_raid.append((p.pid, r))
        if p.health == "watermelon" and p.story:
            raised = ctx.end - timedelta(days=75)
            planted_raid.append((p.pid, ["issue", "Data migration reconciliation failures",
                                         "critical", ctx.person(ctx.rng["misc"]), raised,
                                         raised + timedelta(days=30), None, None]))
    counts["financials.csv"] = _write_csv(out_dir / "financials.csv",
                                          HEADERS["financials.csv"], fin_rows)
    mw = max(5, len(str(len(all_ms) + len(planted_ms))))
    for i, (ppid, (name, key, base, fc, act)) in enumerate(planted_ms + all_ms):
        ms_rows.append([f"MS-{i + 1:0{mw}d}", ppid, name, _b(key), _iso(base), _iso(fc),
                        _iso(act)])
    counts["milestones.csv"] = _write_csv(out_dir / "milestones.csv",
                                          HEADERS["milestones.csv"], ms_rows)
    counts["status_reports.csv"] = _write_csv(out_dir / "status_reports.csv",
                                              HEADERS["status_reports.csv"], sr_rows)
    rw = max(5, len(str(len(all_raid) + len(planted_raid))))
    for i, (ppid, (t, title, sev, owner, raised, due, closed, mit)) in enumerate(
            planted_raid + all_raid):
        raid_rows.append([f"RAID-{i + 1:0{rw}d}", ppid, t, title, sev, owner, _iso(raised),
                          _iso(due), _iso(closed), mit])
    counts["raid_log.csv"] = _write_csv(out_dir / "raid_log.csv", HEADERS["raid_log.csv"],
                                        raid_rows)
    cw = max(4, len(str(len(all_cr))))
    for i, (ppid, c) in enumerate(all_cr):
        cr_rows.append([f"CR-{i + 1:0{cw}d}", ppid, _iso(c["raised"]), _iso(c["decided"]),
                        c["decision"], _money(c["cost"]), str(int(c["sched"])),
                        _b(c["billable"])])
    counts["change_requests.csv"] = _write_csv(out_dir / "change_requests.csv",
                                               HEADERS["change_requests.csv"], cr_rows)
    say("done")
    order = list(HEADERS) + ["kpi_measurements", "kpi_measurement_files", "restatement_rows",
                             "late_feed_rows"]
    return {k: counts[k] for k in order if k in counts}
