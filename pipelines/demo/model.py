"""The generator's working model: planned projects, KPIs, benefits and realization outcomes,
and the state one run carries (calendar, seeded random streams, what was planned so far)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from pipelines.demo.catalogue import FIRST_NAMES, LAST_NAMES, PORTFOLIOS, Archetype
from pipelines.demo.months import month_date, month_of


@dataclass
class Project:
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
class Kpi:
    idx: int
    arch: Archetype
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
class Benefit:
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
class Outcome:
    """How a benefit's KPI really moves: ``g`` times the plan, ``lag`` months late, or eroding
    from ``erode_start`` to ``erode_to``, or fully realized within ``fast_months`` (early)."""

    kind: str = "normal"  # normal / erode / early / none
    g: float = 1.0
    lag: int = 0
    erode_start: int = 0  # ym
    erode_to: float = 0.65
    fast_months: int = 6


class GeneratorState:
    """One run: the calendar (months as integers), the seeded random streams (one per concern, so
    adding draws to one part leaves the others unchanged) and what has been planned so far."""

    def __init__(self, end: date, years: int, seed: int):
        self.end = end
        self.end_m = month_of(end)
        self.eval_m = self.end_m - 1
        self.hist_m = self.end_m - 12 * years
        self.hist_start = month_date(self.hist_m)
        # month grid: hist_m .. end_m + 1 (one extra month for daily interpolation)
        self.grid = np.arange(self.hist_m, self.end_m + 2)
        ss = np.random.SeedSequence(seed)
        names = ["projects", "benefits", "latent", "meas", "restate", "fin", "raid", "misc"]
        self.rng = {n: np.random.default_rng(s) for n, s in zip(names, ss.spawn(len(names)))}
        self.projects: list[Project] = []
        self.kpis: list[Kpi] = []
        self.benefits: list[Benefit] = []
        self.used_project_names: set[str] = set()
        self.used_kpi_names: set[str] = set()
        self.name_ptr = {p: 0 for p in PORTFOLIOS}

    def person(self, rng: np.random.Generator) -> str:
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        return f"{first} {LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]}"

