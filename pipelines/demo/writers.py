"""Writing the source directory: the CSV tables, and the measurement landing folder as one
file per quarter plus restatement and late-feed files, as CSV or Parquet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.demo.catalogue import CHECKIN_COLUMNS, FX_PATHS, HEADERS, MEASUREMENT_COLUMNS, STORIES
from pipelines.demo.cells import bool_cell, iso_cell, money_cell, number_cell
from pipelines.demo.measurements import Measurements
from pipelines.demo.model import GeneratorState
from pipelines.demo.months import month_date, month_of


def write_csv(path: Path, header: list[str], rows: list[list]) -> int:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return len(rows)


def write_tables(out_dir: Path, tables: dict[str, list[list]]) -> dict[str, int]:
    """Each file name -> rows as a CSV file with its SPEC header; the row count per file."""
    return {name: write_csv(out_dir / name, HEADERS[name], rows) for name, rows in tables.items()}


def portfolio_tables(ctx: GeneratorState) -> dict[str, list[list]]:
    """The rows of projects, KPI definitions, benefits and benefit plans."""
    projects = []
    for p in ctx.projects:
        projects.append([p.pid, p.name, p.portfolio, p.programme, p.sponsor, p.pm, p.bu, p.stage,
                         iso_cell(p.start), iso_cell(p.planned_end), iso_cell(p.close),
                         money_cell(p.bac), p.currency,
                         None if p.contract is None else money_cell(p.contract)])
    kpis = [[k.kid, k.name, k.arch.unit, k.arch.agg, k.arch.freq, k.data_owner, k.arch.source]
            for k in ctx.kpis]
    benefits, plan_rows = [], []
    pid = {p.idx: p.pid for p in ctx.projects}
    for b in ctx.benefits:
        k = ctx.kpis[b.kpi]
        dec = k.arch.dec
        vpu = None
        if b.vpu is not None:
            vpu = f"{b.vpu:.2f}" if b.vpu < 10 else str(int(round(b.vpu)))
        benefits.append([
            b.bid, pid[b.project], b.name, b.category, bool_cell(b.disb), k.kid, b.direction,
            number_cell(b.baseline_value, dec), iso_cell(b.baseline_start),
            iso_cell(b.baseline_end), number_cell(b.target_value, dec),
            iso_cell(b.realization_start), iso_cell(b.target_date), b.profile,
            None if b.attribution is None else f"{b.attribution:g}", vpu, b.owner,
            iso_cell(b.review_until),
        ])
        if b.profile == "custom":
            for m_, pct in b.plan:
                plan_rows.append([b.bid, month_date(m_).isoformat(), f"{pct:g}"])
    return {"projects.csv": projects, "kpi_definitions.csv": kpis, "benefits.csv": benefits,
            "benefit_plan.csv": plan_rows}


def fx_rate_tables(ctx: GeneratorState, seed: int) -> dict[str, list[list]]:
    """fx_rates.csv: one unit of EUR and of USD in GBP (the reporting currency) for every month
    from the earliest project start or the history start, whichever is first, to the month of
    the end date. A mean-reverting random walk from its own seeded stream (the other streams are
    untouched), rounded to 4 decimals: realistic, deterministic, never <= 0."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4217]))
    first = min([ctx.hist_m, *(month_of(p.start) for p in ctx.projects)])
    months = range(first, ctx.end_m + 1)
    rows = []
    for currency, (start, level, vol) in FX_PATHS.items():
        rate = start
        for m in months:
            rows.append([currency, month_date(m).isoformat(), f"{rate:.4f}"])
            rate = max(0.2, rate + 0.15 * (level - rate) + vol * float(rng.standard_normal()))
    return {"fx_rates.csv": rows}


# The owners' check-ins of the demo: (story benefit, months before the evaluation month, day of
# the month after it that it was recorded, confidence, commentary). The watermelon owner says
# on track while the measures say off track; the owner of the benefit achieved early is more
# cautious than the measures; the eroding benefit's owner revises an early "on track" (the
# later check-in wins); the orphaned benefit's owner knows why nothing is measured.
DEMO_CHECKINS = (
    ("watermelon_off_track_benefit", 1, 5, "on_track",
     "Supplier onboarding is complete; the touchless rate will catch up once the new OCR templates go live."),
    ("watermelon_off_track_benefit", 0, 4, "on_track",
     "On track. October volumes were seasonal, no concerns for the year-end target."),
    ("achieved_early_benefit", 0, 3, "at_risk",
     "Take-up is strong, but the contact centre expects the winter peak to pull some customers back to the phone."),
    ("eroding_benefit", 0, 2, "on_track", "Holding steady."),
    ("eroding_benefit", 0, 6, "at_risk",
     "Revised after the October figures:\nhandling time has crept back up since the product launch; "
     "\"refresher\" coaching starts in December, with a review in January."),
    ("orphaned_benefit", 0, 3, "off_track",
     "No scores since June: the survey licence lapsed at renewal. Procurement is re-tendering, expected Q1."),
)


def _email(name: str) -> str:
    return ".".join(name.lower().replace("'", "").split()) + "@example.org"


def checkin_rows(ctx: GeneratorState) -> list[list[str]]:
    """benefit_checkins/: the demo's owner check-ins (DEMO_CHECKINS) on the story benefits the
    portfolio has, each recorded in the month after the month it is about, never after the end
    date. None without the story benefits."""
    by_id = {b.bid: b for b in ctx.benefits}
    rows = []
    for story, back, day, confidence, commentary in DEMO_CHECKINS:
        benefit = by_id.get(STORIES[story])
        if benefit is None:
            continue
        month = ctx.eval_m - back
        recorded = min(month_date(month + 1, day), ctx.end)
        rows.append([benefit.bid, month_date(month).isoformat(), confidence, commentary, _email(benefit.owner),
                     f"{recorded.isoformat()}T09:{15 + 7 * len(rows):02d}:00Z"])
    return rows


def write_checkin_files(ctx: GeneratorState, folder: Path) -> dict[str, int]:
    """The check-in landing folder: one file of the end month's check-ins (none: no folder)."""
    rows = checkin_rows(ctx)
    if rows:
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(folder / f"{month_date(ctx.end_m):%Y-%m}.csv", CHECKIN_COLUMNS, rows)
    return {"benefit_checkins": len(rows)}


def write_measurement_files(ctx: GeneratorState, folder: Path, meas: Measurements,
                            restated: dict[int, Measurements], late_rows: list[list[str]],
                            fmt: str) -> dict[str, int]:
    """The landing folder: ``YYYY-Qn`` files of the regular feed, ``restatements_YYYY-MM`` and
    ``late_feed_YYYY-MM.csv``; earlier measurement files in ``folder`` are removed first."""
    folder.mkdir(exist_ok=True)
    for old in sorted(folder.iterdir()):
        if old.is_file() and old.suffix in (".csv", ".parquet"):
            old.unlink()
    ext = "parquet" if fmt == "parquet" else "csv"
    counts: dict[str, int] = {}
    kid_arr = pa.array([k.kid for k in ctx.kpis], type=pa.string())
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
        sub = Measurements(meas.kpi[a:b], meas.day[a:b], meas.value[a:b], meas.rec[a:b])
        name = f"{q // 10}-Q{q % 10}.{ext}"
        _write_measurements(folder / name, _measurement_table(sub, kid_arr), fmt)
        n_files += 1
        total += int(b - a)
    for q in sorted(restated):
        r = restated[q]
        order = np.lexsort((r.kpi, r.day))
        r = Measurements(r.kpi[order], r.day[order], r.value[order], r.rec[order])
        name = f"restatements_{month_date(q):%Y-%m}.{ext}"
        _write_measurements(folder / name, _measurement_table(r, kid_arr), fmt)
        counts["restatement_rows"] = counts.get("restatement_rows", 0) + len(r.kpi)
        n_files += 1
        total += len(r.kpi)
    if late_rows:
        write_csv(folder / f"late_feed_{ctx.end:%Y-%m}.csv", MEASUREMENT_COLUMNS, late_rows)
        counts["late_feed_rows"] = len(late_rows)
        n_files += 1
        total += len(late_rows)
    counts["kpi_measurements"] = total
    counts["kpi_measurement_files"] = n_files
    return counts


def _quarter_key(day: np.ndarray) -> np.ndarray:
    ym = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return (ym // 12) * 10 + (ym % 12) // 3 + 1  # e.g. 20241 for 2024-Q1


def _measurement_table(m: Measurements, kid_arr: pa.Array) -> pa.Table:
    return pa.table({
        "kpi_id": kid_arr.take(pa.array(m.kpi)),
        "measured_on": pa.array(m.day.astype("datetime64[D]"), type=pa.date32()),
        "value": pa.array(m.value, type=pa.float64()),
        "recorded_at": pa.array(m.rec.astype("datetime64[s]")).cast(
            pa.timestamp("us", tz="UTC")),
    })


def _write_measurements(path: Path, t: pa.Table, fmt: str) -> None:
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
