"""The demo catalogue, as data: file contracts, planted story ids, KPI/benefit archetypes, names.

Everything the generator draws from lives here: the SPEC section 2 file names and headers, the
ids of the planted stories (``STORIES``), the KPI/benefit archetypes per portfolio, programme,
business-unit, project and people names, RAID titles, status-report commentary and the
milestone template. No logic: the other ``pipelines.demo`` modules decide how they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------------------------
# Contract: file names and headers (SPEC section 2), in order.
# --------------------------------------------------------------------------------------------
MEASUREMENT_COLUMNS = ["kpi_id", "measured_on", "value", "recorded_at"]
# The landing folder benefit_checkins/: owners' monthly confidence and commentary.
CHECKIN_COLUMNS = ["benefit_id", "period_month", "confidence", "commentary", "recorded_by", "recorded_at"]
# The system of record of a KPI measured by hand (marts.dim_kpi.is_manually_measured: it starts
# with "Manual"): its owners record measurements on the dashboard's check-in page.
MANUAL_SOURCE = "Manual (owner check-in)"

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
    "fx_rates.csv": ["currency", "period_month", "rate"],
}

# Monthly exchange rates of the demo (fx_rates.csv): the reporting currency and, per foreign
# currency of the register, (rate at the start, long-run level, monthly volatility): one unit in
# GBP, around the 2019-2026 levels.
REPORTING_CURRENCY = "GBP"
FX_PATHS: dict[str, tuple[float, float, float]] = {
    "EUR": (0.86, 0.86, 0.009),
    "USD": (0.77, 0.78, 0.014),
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
    # (g) double counting: BEN-0009 monetizes half of KPI-0007's improvement that BEN-0007 claims
    #     in full (attribution 1 + 0.5 = 150 %): flagged, capped at 100 % in the portfolio totals
    "double_counting_benefit": "BEN-0009",
}

# --------------------------------------------------------------------------------------------
# Catalogue: portfolios, names, KPI/benefit archetypes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    key: str  # short id the stories refer to
    kpi: str  # KPI name (the unit is appended)
    unit: str
    agg: str  # aggregation: sum / avg / last / min / max
    freq: str  # measurement frequency: daily / weekly / monthly
    direction: str  # which way is an improvement (for dis-benefits: the planned harm)
    base: tuple[float, float]  # monthly-aggregated baseline level range
    imp: tuple[float, float]  # improvement range
    imp_mode: str  # "rel" (fraction of baseline) or "abs" (KPI units)
    dec: int  # decimals the values are written with
    source: str  # source system
    names: tuple[str, str]  # primary / secondary benefit name
    cats: tuple[str, ...]  # benefit categories, the likelier first
    vpu: tuple[float, float] | None  # value per KPI unit per month
    disbenefit: bool = False
    cap: float | None = None  # highest possible value (percentages)


_A = Archetype
ARCHETYPES: dict[str, list[Archetype]] = {
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
           (2200, 5200), (0.3, 0.55), "rel", 0, MANUAL_SOURCE,  # teams' own monthly returns
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
           (8, 12), (2, 4), "abs", 1, MANUAL_SOURCE,  # the controller's close calendar
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
ARCHETYPE_BY_KEY = {a.key: a for lst in ARCHETYPES.values() for a in lst}

PORTFOLIOS = list(ARCHETYPES)

PROGRAMMES = {
    "Customer Operations": ["Customer Experience 2025", "Service Excellence"],
    "Digital & Data": ["Digital First", "Data Foundations"],
    "Finance & Shared Services": ["Finance Transformation", "Shared Services Optimisation"],
    "Infrastructure & Security": ["Technology Resilience", "Secure by Design"],
    "Client Delivery": ["Client Services Growth", "Managed Services Expansion"],
}
BUSINESS_UNITS = {
    "Customer Operations": ["Customer Services", "Retail Operations"],
    "Digital & Data": ["Digital", "Data & Analytics"],
    "Finance & Shared Services": ["Finance", "Procurement"],
    "Infrastructure & Security": ["Technology", "Information Security"],
    "Client Delivery": ["Managed Services", "Client Delivery"],
}
PROJECT_NAMES = {
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
PROJECT_NAME_SUFFIXES = ["Phase 2", "Phase 3", "North", "South", "Scotland", "Wales", "EMEA", "Phase 4"]

FIRST_NAMES = [
    "Sarah", "James", "Priya", "Tom", "Aisha", "David", "Emma", "Oliver", "Fatima", "Liam",
    "Chloe", "Rajesh", "Hannah", "Daniel", "Sophie", "Mohammed", "Grace", "Ben", "Olivia",
    "Samuel", "Nadia", "George", "Lucy", "Kwame", "Ella", "Harry", "Zoe", "Marcus", "Isla",
    "Connor", "Amara", "Peter", "Rachel", "Joseph", "Megan", "Arjun", "Charlotte", "Ewan",
    "Leah", "Victoria",
]
LAST_NAMES = [
    "Mitchell", "Patel", "Okafor", "Hughes", "Khan", "Thompson", "Robinson", "Clarke",
    "Evans", "Walsh", "Campbell", "Singh", "Murphy", "Bennett", "Ahmed", "Fraser", "Morgan",
    "Price", "Turner", "Nowak", "Davies", "O'Brien", "Reid", "Shah", "Gallagher", "Harper",
    "Wright", "Mensah", "Stewart", "Collins", "Lloyd", "Chen", "Baker", "Kelly", "Edwards",
    "Ali", "Doyle", "Hamilton", "Rossi", "Sutherland",
]

RISK_TITLES = [
    "Key supplier resource availability", "Business readiness for go-live",
    "Data migration volumes higher than estimated", "Licence cost increase at renewal",
    "Loss of subject matter experts", "Integration testing environment availability",
    "Regulatory change affecting scope", "Adoption lower than planned",
]
ISSUE_TITLES = [
    "Data migration reconciliation failures", "Interface defects blocking UAT",
    "Vendor delivery late for build sprint", "Performance below non-functional requirements",
    "Training material not signed off", "Cutover rehearsal overran",
]
ASSUMPTION_TITLES = [
    "Business change team available from go-live", "Current licence terms hold until 2027",
    "Legacy system can be switched off after parallel run",
    "Benefit owner confirmed in operating model",
]
DEPENDENCY_TITLES = [
    "Network upgrade delivered by Infrastructure programme",
    "Identity platform ready before rollout", "HR consultation completed before restructure",
    "Finance data model signed off by Data Foundations",
]
DECISION_TITLES = [
    "Approve phased rollout approach", "Agree parallel-run duration",
    "Select integration partner", "Approve revised cutover plan",
    "Confirm benefit owner at handover", "Approve scope reduction for release 2",
]
MITIGATIONS = [
    "Weekly supplier review and named backup resources",
    "Additional test cycle scheduled and defect triage daily",
    "Contingency drawn down; plan re-baselined with sponsor",
    "Escalated to programme board; workaround in place",
    "Early adopter network and targeted training",
    "Commercial negotiation started with vendor",
]
REPORT_COMMENTARY = {
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

# milestone template: (name, fraction of the project's duration, is a key milestone)
MILESTONES = [
    ("Business case approved", 0.0, False),
    ("Design complete", 0.2, True),
    ("Build complete", 0.5, False),
    ("User acceptance testing complete", 0.7, False),
    ("Go-live", 0.85, True),
    ("Hypercare exit", 0.93, False),
    ("Project closure", 1.0, True),
]

# weekly seasonality pattern (Mon..Sun)
WEEKDAY_SEASONALITY = np.array([0.25, 0.15, 0.1, 0.1, 0.0, -0.3, -0.6])
