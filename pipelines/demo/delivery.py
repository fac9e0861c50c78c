"""Project delivery data: financials (earned value), milestones, status reports, the RAID log
and change requests, per project, shaped by its stage and health (healthy, amber, red, and the
planted watermelon and margin-leak stories). ``delivery_tables`` returns the rows of the five
files with their ids; the planted story rows get the first ids."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from pipelines.demo.catalogue import (
    ASSUMPTION_TITLES,
    DECISION_TITLES,
    DEPENDENCY_TITLES,
    ISSUE_TITLES,
    MILESTONES,
    MITIGATIONS,
    REPORT_COMMENTARY,
    RISK_TITLES,
)
from pipelines.demo.cells import bool_cell, iso_cell, money_cell
from pipelines.demo.model import GeneratorState, Project
from pipelines.demo.months import (
    clamped_month_date,
    day_number,
    month_date,
    month_end,
    month_of,
    weekend_to_friday,
)


def _last_fin_month(ctx: GeneratorState, p: Project) -> int | None:
    if p.stage == "closed":
        return month_of(p.close)
    if p.stage == "cancelled":
        return month_of(p.cancel)
    if p.stage == "active":
        return ctx.eval_m
    return None


def _change_requests(ctx: GeneratorState, p: Project, planted: bool) -> list[dict]:
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


def _financials(ctx: GeneratorState, p: Project, crs: list[dict]) -> list[list[str]]:
    rng = ctx.rng["fin"]
    last = _last_fin_month(ctx, p)
    s_m = month_of(p.start)
    if last is None or last < s_m:
        return []
    n_pl = max(1, month_of(p.planned_end) - s_m + 1)
    act_end = p.close if p.close is not None else p.planned_end + timedelta(days=p.slip_days)
    n_act = max(1, month_of(act_end) - s_m + 1)
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
    month_ends = [day_number(month_end(s_m + int(i))) for i in k]
    appr = [(c["decided"], c["cost"]) for c in crs if c["decision"] == "approved"]
    rows = []
    for i in range(len(k)):
        me = month_ends[i]
        cr_cost = sum(c for d, c in appr if d is not None and day_number(d) <= me and c > 0)
        eac = p.bac * ac[i] / ev[i] + cr_cost * (1 - ev[i] / p.bac)
        if p.stage == "closed" and i == len(k) - 1:
            eac = ac[i]
        rows.append([p.pid, month_date(s_m + int(i)).isoformat(), money_cell(pv[i]),
                     money_cell(ev[i]), money_cell(ac[i]), money_cell(eac)])
    return rows


def _milestones(ctx: GeneratorState, p: Project) -> list[list]:
    """Returns [name, is_key, baseline, forecast, actual]."""
    rng = ctx.rng["raid"]
    out = []
    pl_days = (p.planned_end - p.start).days
    if p.close is not None:
        act_days = (p.close - p.start).days
    else:
        act_days = pl_days + p.slip_days
    for name, frac, key in MILESTONES:
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


def _report_dates(ctx: GeneratorState, p: Project) -> list[date]:
    if p.stage == "proposed":
        return []
    limit = {"closed": p.close, "cancelled": p.cancel}.get(p.stage, ctx.end)
    limit = min(limit, ctx.end)
    out = []
    for m in range(month_of(p.start), month_of(limit) + 1):
        d = weekend_to_friday(clamped_month_date(m, 25))
        if p.start <= d <= limit:
            out.append(d)
    if p.stage in ("closed", "cancelled") and (not out or out[-1] < limit):
        out.append(limit)
    return out


def _status_reports(ctx: GeneratorState, p: Project) -> list[list[str]]:
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
            opts = REPORT_COMMENTARY[o]
            commentary = opts[int(rng.integers(len(opts)))]
        br = p.benefits_rag
        if p.stage == "active" and br != "green" and x < 0.5:
            br = "green"
        rows.append([p.pid, d.isoformat(), o, s, c, br, commentary])
    return rows


def _raid(ctx: GeneratorState, p: Project) -> list[list]:
    """Returns rows without raid_id: [type, title, severity, owner, raised, due, closed, mit]."""
    rng = ctx.rng["raid"]
    if p.stage == "proposed":
        return []
    limit = {"closed": p.close, "cancelled": p.cancel}.get(p.stage, ctx.end)
    span = max(1, (limit - p.start).days)
    n = int(rng.integers(4, 11))
    titles = {"risk": RISK_TITLES, "issue": ISSUE_TITLES, "assumption": ASSUMPTION_TITLES,
              "dependency": DEPENDENCY_TITLES, "decision": DECISION_TITLES}
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
            mit = MITIGATIONS[int(rng.integers(len(MITIGATIONS)))] if rng.random() < 0.85 \
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
            mit = MITIGATIONS[int(rng.integers(len(MITIGATIONS)))]
        out.append([t, title, sev, owner, raised, due, closed, mit])
    out.sort(key=lambda r: r[4])
    return out



def delivery_tables(ctx: GeneratorState) -> dict[str, list[list]]:
    """The rows of financials, milestones, status reports, RAID log and change requests."""
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
    mw = max(5, len(str(len(all_ms) + len(planted_ms))))
    for i, (ppid, (name, key, base, fc, act)) in enumerate(planted_ms + all_ms):
        ms_rows.append([f"MS-{i + 1:0{mw}d}", ppid, name, bool_cell(key), iso_cell(base),
                        iso_cell(fc), iso_cell(act)])
    rw = max(5, len(str(len(all_raid) + len(planted_raid))))
    for i, (ppid, (t, title, sev, owner, raised, due, closed, mit)) in enumerate(
            planted_raid + all_raid):
        raid_rows.append([f"RAID-{i + 1:0{rw}d}", ppid, t, title, sev, owner, iso_cell(raised),
                          iso_cell(due), iso_cell(closed), mit])
    cw = max(4, len(str(len(all_cr))))
    for i, (ppid, c) in enumerate(all_cr):
        cr_rows.append([f"CR-{i + 1:0{cw}d}", ppid, iso_cell(c["raised"]), iso_cell(c["decided"]),
                        c["decision"], money_cell(c["cost"]), str(int(c["sched"])),
                        bool_cell(c["billable"])])
    return {"financials.csv": fin_rows, "milestones.csv": ms_rows,
            "status_reports.csv": sr_rows, "raid_log.csv": raid_rows,
            "change_requests.csv": cr_rows}
