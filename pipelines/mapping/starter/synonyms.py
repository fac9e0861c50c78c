"""What other organisations call the contract's tables, columns and values (data).

Phrases are normalised like headers (lower case, letters and digits only) or like values (lower
case words): `pipelines.mapping.starter.names` scores headers against `COLUMN_SYNONYMS` and
`TABLE_HINTS`, `pipelines.mapping.starter.proposals` places input words with `VALUE_WORDS` and
the boolean words.
"""

from __future__ import annotations

# Other names a contract column goes by: phrase → strength (1 = as good as the column's own name).
# Phrases are normalised like headers (lower case, letters and digits only).
COLUMN_SYNONYMS: dict[str, dict[str, float]] = {
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
    "rate": {"fx rate": .95, "exchange rate": .95, "rate to gbp": .9, "conversion rate": .9, "fx": .8},
    # benefit owners' check-ins
    "confidence": {"owner confidence": .95, "confidence level": .95, "owner rag": .85, "owner status": .85,
                   "self assessment": .85},
    "recorded_by": {"recorded by": .95, "entered by": .9, "submitted by": .9, "author": .85, "checked in by": .95},
    "evidence": {"evidence note": .95, "source note": .85, "evidence source": .9, "notes": .75},
}

# The file, folder or sheet names that hint at a contract table.
TABLE_HINTS: dict[str, tuple[str, ...]] = {
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
    "fx_rates": ("fx rates", "fx", "exchange rates", "exchange rate", "currency rates", "rates"),
    "benefit_checkins": ("benefit checkins", "benefit check ins", "checkins", "check ins", "owner checkins",
                         "owner updates", "benefit updates", "benefit confidence"),
}

# Words of the organisation → contract enum values. Phrases are normalised (lower case, words).
_RAG = {"green": "g|green|on track|ok|good|fine|no issues",
        "amber": "a|amber|at risk|yellow|y|warning|some concerns|caution",
        "red": "r|red|off track|critical|bad|in trouble|late|failing"}
VALUE_WORDS: dict[str, dict[str, str]] = {
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
    "confidence": {"on_track": "on track|ontrack|green|g|ok|good|confident",
                   "at_risk": "at risk|atrisk|amber|a|some concerns|caution|concerned",
                   "off_track": "off track|offtrack|red|r|not on track|failing|unlikely"},
}
BOOLEAN_WORDS = {True: "x|✓|✔|t|true|yes|y|1|checked", False: "f|false|no|n|0|unchecked|-"}
BOOLEAN_COLUMN_WORDS = {
    "is_key": {True: "key|key milestone|major|tier 1|critical", False: "non key|not key|minor|tier 2|tier 3"},
    "billable": {True: "billable|chargeable|client|rechargeable|billed",
                 False: "non billable|not billable|internal|non chargeable|unbilled"},
    "is_disbenefit": {True: "disbenefit|dis benefit|negative", False: "benefit|positive"},
}
ENGINE_BOOLEANS = {"true", "false", "yes", "no", "y", "n", "1", "0"}  # pipelines.mapping reads these itself
CURRENCY_OF_SYMBOL = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₹": "INR"}
TOTAL_WORDS = ("total", "grand total", "subtotal", "sub total", "sum", "totals")
