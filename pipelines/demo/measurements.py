"""KPI measurements, fully vectorised: the regular feed, the dirty late feed and restatements.

A latent monthly level per KPI (baseline plus the realized improvement of its benefit, plus
noise) is interpolated to days and turned into measurements by the KPI's frequency (one matrix
per frequency) and aggregation, with weekly seasonality, recording lags and rare outages:
~10M rows take seconds. ``withhold_late_feed`` pulls a few recent rows out into a deliberately
dirty late file; ``restatement_batches`` restates a few values later with a new value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue import WEEKDAY_SEASONALITY
from pipelines.demo.cells import value_cell
from pipelines.demo.model import GeneratorState
from pipelines.demo.months import clamped_month_date, date_of_day, day_number, month_date, month_end


@dataclass
class Measurements:
    """Measurement rows as parallel arrays."""

    kpi: np.ndarray  # int32 kpi index
    day: np.ndarray  # int64 days since epoch
    value: np.ndarray  # float64
    rec: np.ndarray  # int64 seconds since epoch


def _latent_matrix(ctx: GeneratorState) -> np.ndarray:
    """The latent monthly level of every KPI over the month grid (KPIs x months)."""
    rng = ctx.rng["latent"]
    G = len(ctx.grid)
    K = len(ctx.kpis)
    L = np.empty((K, G))
    noise = rng.normal(0.0, 0.03, size=(K, G))
    for k in ctx.kpis:
        ract = k.ract if k.ract is not None else np.zeros(G)
        L[k.idx] = k.base + k.s * k.ti * (ract + noise[k.idx])
    return L


def generate_measurements(ctx: GeneratorState) -> Measurements:
    """Every KPI's regular feed up to ``ctx.end``, ordered by (day, kpi)."""
    rng = ctx.rng["meas"]
    end_d = day_number(ctx.end)
    d0 = day_number(ctx.hist_start)
    d1 = day_number(month_end(ctx.end_m))  # full calendar months
    days = np.arange(d0, d1 + 1)
    dates = days.astype("datetime64[D]")
    mon64 = dates.astype("datetime64[M]")
    months = mon64.astype(np.int64) + 1970 * 12  # == month_of
    mi = (months - ctx.hist_m).astype(np.int64)
    mstart = mon64.astype("datetime64[D]").astype(np.int64)
    dom = days - mstart
    dim_m = np.array([day_number(month_date(m + 1)) - day_number(month_date(m)) for m in ctx.grid])
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
    dec = np.array([k.arch.dec for k in ctx.kpis])
    cap = np.array([k.arch.cap if k.arch.cap is not None else np.inf for k in ctx.kpis])
    aggs = np.array([k.arch.agg for k in ctx.kpis])
    freqs = np.array([k.arch.freq for k in ctx.kpis])
    mstart_day = np.array([
        day_number(month_date(k.meas_start_ym)) if k.meas_start_ym is not None else d0
        for k in ctx.kpis
    ])
    mend_day = np.array([
        min(day_number(k.meas_end), end_d) if k.meas_end is not None else end_d for k in ctx.kpis
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
            w = 1.0 + amp[kidx][:, None] * WEEKDAY_SEASONALITY[weekday[cols]][None, :]
            msum = np.zeros((len(kidx), G))
            for j in range(len(kidx)):
                msum[j] = np.bincount(c_mi, weights=w[j], minlength=G)
            rel = np.minimum(0.06, 0.15 * tik / np.maximum(np.abs(Lk).mean(axis=1,
                                                                           keepdims=True), 1e-9))
            v_sum = Ld * w / msum[:, c_mi] * (1 + rel * eps)
            v_avg = (Ld + 0.1 * tik * amp[kidx][:, None] * WEEKDAY_SEASONALITY[weekday[cols]]
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
    m = Measurements(kk[keep], dd[keep], vv[keep], rec[keep])
    order = np.lexsort((m.kpi, m.day))
    m = Measurements(m.kpi[order], m.day[order], m.value[order], m.rec[order])
    return m


def withhold_late_feed(ctx: GeneratorState,
                       m: Measurements) -> tuple[Measurements, list[list[str]]]:
    """Pull a few recent measurements out of the regular feed and build the dirty late feed."""
    rng = ctx.rng["misc"]
    end_d = day_number(ctx.end)
    lo = day_number(month_date(ctx.end_m))  # only days of the current (not yet evaluated) month
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
    rest = Measurements(m.kpi[keep], m.day[keep], m.value[keep], m.rec[keep])
    rec_base = (end_d * 86400) + 6 * 3600

    def ts(sec: int) -> str:
        return np.datetime_as_string(np.datetime64(int(sec), "s")) + "Z"

    def row(i: int, value: str | None = None, when: int = 0, day: str | None = None,
            kid: str | None = None) -> list[str]:
        k = kp[int(m.kpi[i])]
        v = value if value is not None else value_cell(m.value[i], k.arch.dec)
        return [kid or k.kid, day or date_of_day(m.day[i]).isoformat(), v, ts(rec_base + when)]

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
    rows.append(row(p[6], value=value_cell(v6 + delta, k6.arch.dec), when=30 * 60))
    # exact duplicate rows
    rows.append(row(p[7], when=35 * 60))
    rows.append(row(p[7], when=35 * 60))
    return rest, rows


def restatement_batches(ctx: GeneratorState, m: Measurements) -> dict[int, Measurements]:
    """Small restatement batches: same (kpi_id, measured_on), later recorded_at, new value."""
    rng = ctx.rng["restate"]
    kp = ctx.kpis
    # story KPIs are restated too, but only by one unit of their last decimal (status-neutral)
    cand = np.array([k.idx for k in kp], dtype=np.int64)
    out: dict[int, Measurements] = {}
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
        win_lo, win_hi = day_number(month_date(q - 3)), day_number(month_date(q)) - 1
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
            rec0 = (day_number(clamped_month_date(q, day)) * 86400
                    + int(rng.integers(8 * 3600, 18 * 3600)))
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
                if rec >= (day_number(ctx.end) + 1) * 86400:
                    continue
                rk.append(int(m.kpi[ri]))
                rd.append(int(m.day[ri]))
                rv.append(new)
                rr.append(rec)
        if rk:
            out[q] = Measurements(np.array(rk, dtype=np.int32), np.array(rd, dtype=np.int64),
                                  np.array(rv, dtype=float), np.array(rr, dtype=np.int64))
    return out

