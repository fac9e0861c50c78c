"""The planted benefit stories: twelve projects with a fixed shape, generated first, so their ids
(``catalogue.STORIES``) are the same for any seed and ``end``.

Each story project is written out below: its stage and dates relative to ``end``, its KPIs and
benefits, and the outcome that gives each benefit the status the story promises (eroding,
stale, achieved early, the watermelon and margin-leak projects, long-closed projects still
tracked, dis-benefits within tolerance and exceeded, not started, no baseline).
"""

from __future__ import annotations

from pipelines.demo.catalogue import ARCHETYPE_BY_KEY
from pipelines.demo.model import GeneratorState, Outcome
from pipelines.demo.months import clamped_month_date, month_date, month_end, month_of
from pipelines.demo.portfolio import new_benefit, new_kpi, new_project, realized_fraction


def plant_story_projects(ctx: GeneratorState, n: int) -> None:
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
            close = clamped_month_date(min(close_m + d, e - 1), 8 + (i * 5) % 19)
        return new_project(ctx, i, portfolio, stage, month_date(start_m, 2 + (i * 11) % 25),
                           clamped_month_date(plan_end_m, 1 + (i * 7) % 28), close, health, slip, cpi,
                           name=name, client=client, bac=bac, story=True, currency="GBP")

    def kpi(p, key, base=None, ti=None):
        return new_kpi(ctx, p, ARCHETYPE_BY_KEY[key], story=True, base=base, ti=ti)

    def ben(p, k, out, **kw):
        b = new_benefit(ctx, p, k, **kw)
        if out is not None:
            k.ract = realized_fraction(ctx, b, out)
        return b

    makers = []

    # P1: Contact Centre Consolidation -- closed; eroding AHT benefit (BEN-0001)
    def p1():
        p = mk(0, "Customer Operations", "Contact Centre Consolidation", "closed",
               e - 50, e - 33, e - 32, "healthy", 10, 1.01)
        k = kpi(p, "aht", base=9.6, ti=1.6)
        ben(p, k, Outcome(kind="erode", g=1.02, erode_start=E - 12, erode_to=0.62),
            measured=True, profile="s_curve", realization_start=None,
            target_date=month_end(month_of(p.close) + 12), category="cashable")
        k = kpi(p, "cc_fte", base=412.0, ti=48.0)
        ben(p, k, Outcome(g=1.04), measured=False, profile="linear", realization_start=None,
            target_date=month_end(month_of(p.close) + 9), attribution=0.8)
        k = kpi(p, "complaints", base=3100, ti=800)
        ben(p, k, Outcome(g=0.96, lag=1), measured=True, profile="step",
            realization_start=month_date(month_of(p.close) + 1), target_date=month_end(month_of(p.close) + 7),
            category="non_financial")
        p.benefits_rag = "green"
    makers.append(p1)

    # P2: Customer Feedback Platform -- closed; orphaned CSAT benefit (BEN-0004, KPI-0004)
    def p2():
        p = mk(1, "Customer Operations", "Customer Feedback Platform", "closed",
               e - 34, e - 21, e - 20, "healthy", 8, 0.99)
        k = kpi(p, "csat", base=74.5, ti=6.0)
        k.meas_end = month_end(e - 5)
        ben(p, k, Outcome(g=0.95), measured=True, profile="linear", realization_start=None,
            target_date=month_end(month_of(p.close) + 18))
        k = kpi(p, "fcr", base=64.0, ti=8.0)
        ben(p, k, Outcome(g=1.0, lag=1), measured=False, profile="s_curve",
            realization_start=None, target_date=month_end(month_of(p.close) + 15),
            category="non_cashable")
        k = kpi(p, "queue", base=21.0, ti=8.0)
        ben(p, k, Outcome(g=1.05), measured=True, profile="linear", realization_start=None,
            target_date=month_end(month_of(p.close) + 6))
        p.benefits_rag = "green"
    makers.append(p2)

    # P3: Self-Service Portal Relaunch -- closed; achieved early (BEN-0007), shared KPI with
    # BEN-0009, dis-benefit within tolerance (BEN-0008). Double counting: BEN-0009 also monetizes
    # the channel shift (cashable, half of it) while BEN-0007 claims all of it: 150 % of KPI-0007's
    # improvement is claimed, and the portfolio totals count it once.
    def p3():
        p = mk(2, "Digital & Data", "Self-Service Portal Relaunch", "closed",
               e - 30, e - 16, e - 15, "healthy", 6, 1.02)
        k = kpi(p, "selfserve", base=110000, ti=50000)
        r = month_date(month_of(p.close) + 1)
        b7 = ben(p, k, Outcome(kind="early", g=1.08, fast_months=8), measured=False,
                 profile="linear", realization_start=r, target_date=month_end(e + 10),
                 category="cashable")
        k2 = kpi(p, "licence", base=32000, ti=14000)
        ben(p, k2, Outcome(g=0.93), measured=False, profile="step", realization_start=r,
            target_date=month_end(month_of(r) + 2))
        ben(p, k, None, secondary=True, measured=False, profile="s_curve",
            realization_start=r, target_date=month_end(e + 22), factor=1.25,
            category="cashable", attribution=0.5, vpu=b7.vpu)  # given: no draw, the rest unchanged
        p.benefits_rag = "green"
    makers.append(p3)

    # P4: ERP Finance Migration -- active WATERMELON; off-track BEN-0010, not-started BEN-0011,
    # exceeded dis-benefit BEN-0012 (dual running because go-live slipped)
    def p4():
        p = mk(3, "Finance & Shared Services", "ERP Finance Migration", "active",
               e - 26, e + 4, None, "watermelon", 110, 0.78, bac=6_400_000)
        k = kpi(p, "auto_inv", base=42.0, ti=24.0)
        ben(p, k, Outcome(g=0.25), measured=True, profile="linear",
            realization_start=month_date(E - 15), target_date=month_end(e + 8),
            category="non_cashable")
        k = kpi(p, "close_days", base=10.5, ti=3.0)
        ben(p, k, Outcome(kind="none"), measured=False, profile="s_curve",
            realization_start=None, target_date=month_end(e + 16))
        k = kpi(p, "dual_run", base=8000, ti=12000)
        ben(p, k, Outcome(g=1.35), measured=False, profile="linear",
            realization_start=month_date(E - 14), target_date=month_end(E - 8))
        p.benefits_rag = "green"  # reported, despite BEN-0010
    makers.append(p4)

    # P5: client project leaking margin through unbilled approved CRs
    def p5():
        p = mk(4, "Client Delivery", "Managed Service Transition – Northwind Utilities",
               "active", e - 18, e + 6, None, "leak", 30, 0.93, client=True, bac=3_800_000)
        p.contract = 4_750_000.0
        k = kpi(p, "sla", base=85.0, ti=6.0)
        ben(p, k, Outcome(g=0.97), measured=True, profile="linear",
            realization_start=month_date(E - 8), target_date=month_end(e + 6),
            category="non_financial")
        k = kpi(p, "cost_to_serve", base=300000, ti=36000)
        ben(p, k, Outcome(kind="none"), measured=False, profile="s_curve",
            realization_start=None, target_date=month_end(e + 18))
        k = kpi(p, "backlog", base=1500, ti=500)
        ben(p, k, Outcome(g=0.92), measured=True, profile="linear",
            realization_start=month_date(E - 6), target_date=month_end(e + 3))
        p.benefits_rag = "green"
    makers.append(p5)

    # P6..P11: closed 3+ years before end, still measured
    def p6():
        p = mk(5, "Infrastructure & Security", "Data Centre Exit", "closed",
               e - 90, e - 73, e - 72, "amber", 30, 0.92)
        k = kpi(p, "energy", base=720000, ti=130000)
        ben(p, k, Outcome(g=1.06), measured=True, profile="s_curve", realization_start=None,
            target_date=month_end(month_of(p.close) + 18),
            review_until=month_end(month_of(p.close) + 18 + 96), category="cashable")
        k = kpi(p, "servers", base=980, ti=360)
        ben(p, k, Outcome(g=1.02), measured=False, profile="step", realization_start=None,
            target_date=month_end(month_of(p.close) + 12))  # default review_until: tracking_ended
        p.benefits_rag = "green"
    makers.append(p6)

    def p7():
        p = mk(6, "Finance & Shared Services", "Purchase-to-Pay Automation", "closed",
               e - 80, e - 65, e - 64, "healthy", 9, 1.0)
        k = kpi(p, "late_pay", base=28000, ti=15000)
        ben(p, k, Outcome(g=1.03), measured=True, profile="linear", realization_start=None,
            target_date=month_end(month_of(p.close) + 12),
            review_until=month_end(month_of(p.close) + 12 + 84), attribution=0.7)
        k = kpi(p, "po_cycle", base=8.6, ti=3.0)
        ben(p, k, Outcome(g=0.94), measured=False, profile="s_curve", realization_start=None,
            target_date=month_end(month_of(p.close) + 12))
        p.benefits_rag = "green"
    makers.append(p7)

    def p8():
        p = mk(7, "Customer Operations", "Omnichannel Customer Service", "closed",
               e - 74, e - 57, e - 56, "amber", 25, 0.9)
        k = kpi(p, "calls", base=52000, ti=12000)
        ben(p, k, Outcome(g=0.82, lag=2), measured=True, profile="linear",
            realization_start=None, target_date=month_end(month_of(p.close) + 30),
            review_until=month_end(month_of(p.close) + 30 + 60), category="cashable")
        k = kpi(p, "fcr", base=61.0, ti=9.0)
        ben(p, k, Outcome(g=1.02), measured=False, profile="linear",
            realization_start=None, target_date=month_end(month_of(p.close) + 12),
            review_until=month_end(month_of(p.close) + 24), category="non_financial")
        p.benefits_rag = "amber"
    makers.append(p8)

    def p9():
        p = mk(8, "Digital & Data", "Cloud Migration Wave 1", "closed",
               e - 66, e - 51, e - 50, "healthy", 7, 1.0)
        k = kpi(p, "hosting", base=180000, ti=40000)
        ben(p, k, Outcome(g=1.05), measured=True, profile="s_curve", realization_start=None,
            target_date=month_end(month_of(p.close) + 24),
            review_until=month_end(month_of(p.close) + 24 + 84))
        k = kpi(p, "availability", base=97.6, ti=1.2)
        ben(p, k, Outcome(g=0.96), measured=True, profile="linear", realization_start=None,
            target_date=month_end(month_of(p.close) + 24),
            review_until=month_end(month_of(p.close) + 24 + 48))
        p.benefits_rag = "green"
    makers.append(p9)

    def p10():
        p = mk(9, "Infrastructure & Security", "Service Desk Transformation", "closed",
               e - 60, e - 45, e - 44, "healthy", 5, 1.03)
        k = kpi(p, "incidents", base=6200, ti=1500)
        ben(p, k, Outcome(g=0.55, lag=3), measured=True, profile="linear",
            realization_start=None, target_date=month_end(month_of(p.close) + 24),
            category="non_cashable")
        k = kpi(p, "mttr", base=7.8, ti=2.6)
        ben(p, k, Outcome(g=1.04), measured=False, profile="s_curve", realization_start=None,
            target_date=month_end(month_of(p.close) + 12))
        p.benefits_rag = "green"
    makers.append(p10)

    def p11():
        p = mk(10, "Finance & Shared Services", "Order-to-Cash Transformation", "closed",
               e - 56, e - 39, e - 38, "amber", 28, 0.91)
        k = kpi(p, "dso", base=56.0, ti=8.0)
        r_m = month_of(p.close)
        plan = [(r_m, 0.1), (r_m + 3, 0.3), (r_m + 6, 0.45), (r_m + 12, 0.7), (r_m + 18, 0.9),
                (r_m + 24, 1.0)]
        ben(p, k, Outcome(g=0.95, lag=1), measured=False, profile="custom",
            realization_start=None, target_date=month_end(r_m + 24), plan=plan,
            category="cashable", attribution=0.6)
        k = kpi(p, "fin_fte", base=140.0, ti=22.0)
        ben(p, k, Outcome(g=0.85), measured=True, profile="step", realization_start=None,
            target_date=month_end(r_m + 12))
        p.benefits_rag = "amber"
    makers.append(p11)

    # P12: Customer Data Platform -- active; no_baseline (BEN-0033), not_started (BEN-0034)
    def p12():
        p = mk(11, "Digital & Data", "Customer Data Platform", "active",
               e - 10, e + 8, None, "healthy", 6, 1.0)
        k = kpi(p, "dq", base=84.0, ti=6.0)
        k.meas_start_ym = month_of(p.start) + 1  # the KPI is introduced by the project
        ben(p, k, Outcome(kind="none"), measured=True, profile="linear",
            realization_start=month_date(e - 4), target_date=month_end(e + 12),
            baseline_window=(month_of(p.start) - 9, month_of(p.start) - 4))
        k = kpi(p, "registrations", base=7600, ti=3000)
        ben(p, k, Outcome(kind="none"), measured=True, profile="s_curve",
            realization_start=month_date(e + 3), target_date=month_end(e + 18))
        p.benefits_rag = "green"
    makers.append(p12)

    for mkr in makers[:n]:
        mkr()

