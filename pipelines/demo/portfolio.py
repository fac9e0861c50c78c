"""The random part of the demo portfolio: projects, their KPIs and benefits, and how each
benefit really turns out (its realization curve), drawn from the catalogue's archetypes.

The planted stories (``pipelines.demo.stories``) build on the same ``new_project``,
``new_kpi`` and ``new_benefit`` with fixed shapes instead of random draws.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from pipelines.demo.catalogue import (
    ARCHETYPES,
    BUSINESS_UNITS,
    PORTFOLIOS,
    PROGRAMMES,
    PROJECT_NAME_SUFFIXES,
    PROJECT_NAMES,
    Archetype,
)
from pipelines.demo.model import Benefit, GeneratorState, Kpi, Outcome, Project
from pipelines.demo.months import clamped_month_date, month_date, month_end, month_of

# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------


def _take_project_name(ctx: GeneratorState, portfolio: str, preferred: str | None = None) -> str:
    if preferred and preferred not in ctx.used_project_names:
        ctx.used_project_names.add(preferred)
        return preferred
    names = PROJECT_NAMES[portfolio]
    while True:
        i = ctx.name_ptr[portfolio]
        ctx.name_ptr[portfolio] += 1
        base = names[i % len(names)]
        rnd = i // len(names)
        if rnd == 0:
            name = base
        elif rnd <= len(PROJECT_NAME_SUFFIXES):
            name = f"{base} ({PROJECT_NAME_SUFFIXES[rnd - 1]})"
        else:
            name = f"{base} ({rnd + 1})"
        if name not in ctx.used_project_names:
            ctx.used_project_names.add(name)
            return name


def new_project(ctx: GeneratorState, idx: int, portfolio: str, stage: str, start: date,
                planned_end: date, close: date | None, health: str, slip_days: int,
                cpi_final: float, bac: float | None = None, name: str | None = None,
                client: bool | None = None, cancel: date | None = None,
                story: bool = False, currency: str | None = None) -> Project:
    rng = ctx.rng["projects"]
    prog_choices = PROGRAMMES[portfolio]
    u = rng.random()
    programme = prog_choices[int(u * 2.5)] if u < 0.8 else None
    if bac is None:
        bac = float(np.clip(round(np.exp(rng.normal(np.log(1.8e6), 0.8)), -3), 150000, 25e6))
    cur_u = rng.random()
    if currency is None:
        currency = "GBP" if cur_u < 0.8 else ("EUR" if cur_u < 0.92 else "USD")
    is_client = (portfolio == "Client Delivery") if client is None else client
    contract = round(bac * float(rng.uniform(1.15, 1.35)), -3) if is_client else None
    bus = BUSINESS_UNITS[portfolio]
    p = Project(
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


def random_project(ctx: GeneratorState, idx: int) -> Project:
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
        start = month_date(start_m, int(rng.integers(1, 29)))
        close = clamped_month_date(close_m, int(rng.integers(1, 29)))
        if (close - start).days < 120:
            close = start + timedelta(days=120 + slip)
            if close >= ctx.end - timedelta(days=20):
                close = ctx.end - timedelta(days=20)
                start = min(start, close - timedelta(days=120 + slip))
        slip = min(slip, (close - start).days // 2)
        planned_end = close - timedelta(days=slip)
    elif stage == "active":
        start_m = int(rng.integers(max(h + 3, e - 30), e - 1))
        start = month_date(start_m, int(rng.integers(1, 29)))
        dur = int(rng.integers(10, 37))
        planned_end = clamped_month_date(start_m + dur, int(rng.integers(1, 29)))
        if health == "healthy" and planned_end < ctx.end + timedelta(days=15):
            planned_end = ctx.end + timedelta(days=int(rng.integers(30, 240)))
        if planned_end + timedelta(days=slip) < ctx.end + timedelta(days=15):
            slip = (ctx.end - planned_end).days + int(rng.integers(20, 90))
            if slip > 60:
                health = "red"
    elif stage == "proposed":
        start_m = e + int(rng.integers(1, 7))
        start = month_date(start_m, int(rng.integers(1, 29)))
        planned_end = clamped_month_date(start_m + int(rng.integers(9, 25)), int(rng.integers(1, 29)))
        slip = 0
    else:  # cancelled
        start_m = int(rng.integers(h + 3, max(h + 4, e - 6)))
        start = month_date(start_m, int(rng.integers(1, 29)))
        planned_end = clamped_month_date(start_m + int(rng.integers(12, 31)), int(rng.integers(1, 29)))
        cancel_m = min(start_m + int(rng.integers(3, 13)), e - 1)
        cancel = max(clamped_month_date(cancel_m, int(rng.integers(1, 29))), start + timedelta(days=45))
        cancel = min(cancel, ctx.end - timedelta(days=5))
    return new_project(ctx, idx, portfolio, stage, start, planned_end, close, health, slip,
                       cpi, cancel=cancel)


# --------------------------------------------------------------------------------------------
# KPIs and benefits
# --------------------------------------------------------------------------------------------


def new_kpi(ctx: GeneratorState, p: Project, arch: Archetype, story: bool = False,
            base: float | None = None, ti: float | None = None) -> Kpi:
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
    k = Kpi(idx=len(ctx.kpis), arch=arch, project=p.idx, name=name,
            data_owner=ctx.person(rng), base=base, ti=ti,
            s=1 if arch.direction == "increase" else -1, story=story)
    ctx.kpis.append(k)
    return k


def _default_r(p: Project) -> date:
    return p.close if p.close is not None else p.planned_end


def new_benefit(ctx: GeneratorState, p: Project, k: Kpi, *, secondary: bool = False,
                category: str | None = None, measured: bool, profile: str,
                realization_start: date | None, target_date: date, factor: float = 1.0,
                attribution: float | None = None, review_until: date | None = None,
                baseline_window: tuple[int, int] | None = None,
                plan: list[tuple[int, float]] | None = None, vpu: float | None = None) -> Benefit:
    rng = ctx.rng["benefits"]
    a = k.arch
    if category is None:
        cats = a.cats if not secondary else (a.cats[::-1])
        category = cats[0] if len(cats) == 1 or rng.random() < 0.7 else cats[1]
    if category != "non_financial" and vpu is None:  # a given value per unit draws nothing
        lo, hi = a.vpu if a.vpu else (10.0, 50.0)
        vpu = float(rng.uniform(lo, hi))
        vpu = round(vpu, 2) if vpu < 10 else float(round(vpu, -1 if vpu < 1000 else -2))
    elif category == "non_financial":
        vpu = None
    r = realization_start if realization_start is not None else _default_r(p)
    r_m, t_m = month_of(r), month_of(target_date)
    baseline_value = bstart = bend = None
    if measured:
        if baseline_window is None:
            anchor = min(month_of(p.start), ctx.end_m)
            w_end = anchor - 1
            w_start = max(ctx.hist_m, anchor - 12)
        else:
            w_start, w_end = baseline_window
        bstart, bend = month_date(w_start), month_end(w_end)
    else:
        baseline_value = k.base
    target = round(k.base + k.s * k.ti * factor, a.dec)
    if plan is None and profile == "custom":
        plan = _custom_plan(rng, r_m, t_m)
    b = Benefit(
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


def planned_pct(ms: np.ndarray, r: int, t: int, profile: str,
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


def realized_fraction(ctx: GeneratorState, b: Benefit, out: Outcome) -> np.ndarray:
    """Realized fraction (of the KPI's latent improvement) per grid month."""
    ms = ctx.grid.astype(float)
    if out.kind == "none":
        return np.zeros_like(ms)
    if out.kind == "early":
        k = ms - b.r_m
        return np.where(ms < b.r_m, 0.0, np.minimum(out.g, out.g * (k + 1) / out.fast_months))
    p = planned_pct(ms - out.lag, b.r_m, b.t_m, b.profile, b.plan)
    ract = out.g * p
    if out.kind == "erode":
        span = max(1, ctx.eval_m - out.erode_start)
        frac = np.clip((ms - out.erode_start) / span, 0.0, 1.0)
        ract = np.where(ms >= out.erode_start, out.g + (out.erode_to - out.g) * frac, ract)
    return ract


def _random_outcome(ctx: GeneratorState, p: Project, b: Benefit) -> Outcome:
    rng = ctx.rng["benefits"]
    if b.disb:
        if rng.random() < 0.2:
            return Outcome(g=float(rng.uniform(1.22, 1.4)))
        return Outcome(g=float(rng.uniform(0.8, 1.04)))
    u = rng.random()
    if u < 0.05 and p.stage == "closed" and b.t_m <= ctx.eval_m - 14:
        return Outcome(kind="erode", g=float(rng.uniform(0.98, 1.08)),
                       erode_start=ctx.eval_m - int(rng.integers(8, 13)),
                       erode_to=float(rng.uniform(0.55, 0.75)))
    if u < 0.40:
        return Outcome(g=float(rng.uniform(1.01, 1.12)), lag=int(rng.integers(0, 2)))
    if u < 0.66:
        return Outcome(g=float(rng.uniform(0.91, 0.99)), lag=int(rng.integers(0, 3)))
    if u < 0.84:
        return Outcome(g=float(rng.uniform(0.72, 0.86)), lag=int(rng.integers(0, 3)))
    return Outcome(g=float(rng.uniform(0.25, 0.6)), lag=int(rng.integers(1, 5)))


def _rag_for_outcome(g: float) -> str:
    return "green" if g >= 0.9 else ("amber" if g >= 0.7 else "red")


def random_benefits(ctx: GeneratorState, p: Project) -> None:
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
    pool = [a for a in ARCHETYPES[p.portfolio] if not a.disbenefit]
    dis = [a for a in ARCHETYPES[p.portfolio] if a.disbenefit]
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
        k = new_kpi(ctx, p, arch)
        # KPI feeds occasionally die after handover (finding: stale)
        if p.stage == "closed" and rng.random() < 0.03:
            k.meas_end = month_end(ctx.end_m - int(rng.integers(4, 13)))
        measured = bool(rng.random() < 0.5)
        profile = str(rng.choice(["linear", "step", "s_curve", "custom"],
                                 p=[0.4, 0.15, 0.3, 0.15]))
        rstart: date | None = None
        if p.stage == "closed" and rng.random() < 0.4:
            rstart = month_date(month_of(p.close) + int(rng.integers(0, 3)))
        elif p.stage == "active" and rng.random() < 0.5:
            lo = p.start + timedelta(days=int(0.25 * (p.planned_end - p.start).days))
            hi = min(p.planned_end, ctx.end - timedelta(days=60))
            if hi <= lo:
                hi = p.planned_end
            span = max(1, (hi - lo).days)
            rstart = month_date(month_of(lo + timedelta(days=int(rng.integers(0, span)))))
        r = rstart or _default_r(p)
        tdate = month_end(month_of(r) + int(rng.integers(6, 25) if p.stage != "closed"
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
            review = month_end(month_of(tdate) + int(rng.integers(6, 13)))
        elif u < 0.22:
            review = month_end(month_of(tdate) + int(rng.integers(48, 73)))
        b = new_benefit(ctx, p, k, measured=measured, profile=profile,
                        realization_start=rstart, target_date=tdate, attribution=att,
                        review_until=review)
        out = _random_outcome(ctx, p, b)
        k.ract = realized_fraction(ctx, b, out)
        if b.r_m <= ctx.eval_m and not b.disb:
            worst = min(worst, out.g)
        if n_b == 2:
            f2 = float(rng.choice([0.8, 1.0, 1.25]))
            b2 = new_benefit(ctx, p, k, secondary=True, measured=measured,
                             profile=str(rng.choice(["linear", "s_curve"])),
                             realization_start=rstart,
                             target_date=month_end(b.t_m + int(rng.integers(0, 7))), factor=f2)
            if b2.r_m <= ctx.eval_m:
                worst = min(worst, out.g / f2)
    p.benefits_rag = _rag_for_outcome(worst)

