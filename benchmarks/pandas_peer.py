"""A pandas peer of the benefit-status marts (SPEC sections 2-4), written independently of dbt.

``compute_benefit_status(source_dir, as_of)`` reads the same source files the pipeline reads
(projects.csv, kpi_definitions.csv, benefits.csv, benefit_plan.csv if present and every
kpi_measurements/*.csv and *.parquet) with pandas and computes, per valid benefit, the status at
the evaluation month and the numbers behind it. ``compare_with_marts`` checks the result against
``marts.fct_benefit_status`` of a built warehouse. It is the reference a data scientist would
write - straightforward pandas (groupby / merge / rolling) - and the peer the benchmark times.

Input handling (the sources are assumed to be valid, as the generator writes them):
- measurements: a row whose kpi_id is not in kpi_definitions, whose measured_on / value /
  recorded_at is empty or does not parse is dropped (SPEC 5 would quarantine it as
  unknown_reference / missing_required / bad_type). Exact duplicate rows count once. Rows that
  share (kpi_id, measured_on, recorded_at) but differ in value are all dropped
  (conflicting_duplicate). The current view keeps, per (kpi_id, measured_on), the row with the
  latest recorded_at.
- benefits: a benefit whose project or KPI is unknown is dropped; a benefit whose target is no
  improvement over its (given or measured) baseline is invalid and not in the result.
- benefit_plan rows are used as they are (first-of-month period_month, planned_pct >= 0).

Months are handled as integers (months since 1970-01), so month arithmetic is exact.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

# The SPEC section 4 thresholds (dbt_project.yml vars).
EROSION_PEAK_MIN = 0.9
EROSION_DROP = 0.15
DISBENEFIT_EXCEEDED_ABOVE = 1.1
ON_TRACK_ATTAINMENT = 0.9
AT_RISK_ATTAINMENT = 0.7
ZERO_PLAN_TOLERANCE = -0.05
STALE_AFTER_MONTHS = 3
FORECAST_WINDOW_MONTHS = 6
FORECAST_MIN_POINTS = 3
DEFAULT_REVIEW_MONTHS = 24
# SPEC section 3: a month counts when the KPI has a measurement in its last N days, by frequency
COMPLETE_MONTH_LAST_DAYS = {"daily": 3, "weekly": 7, "monthly": 31}
CHART_LEAD_MONTHS = 12
ROUND_DIGITS = 9

RESULT_COLUMNS = [
    "benefit_id", "status", "trailing_realization_pct", "planned_pct", "plan_attainment",
    "peak_trailing_realization_pct", "forecast_realization_at_target",
    "cumulative_realized_value", "annual_planned_value", "baseline_value", "target_improvement",
]
NUMERIC_COLUMNS = RESULT_COLUMNS[2:]


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def month_number(d) -> int:
    """Months since 1970-01 of a date."""
    return (d.year - 1970) * 12 + d.month - 1


def to_month(dates: pd.Series) -> pd.Series:
    """Months since 1970-01 of a datetime series (float, NaN where the date is missing)."""
    dates = pd.to_datetime(dates)
    out = (dates.dt.year - 1970) * 12 + dates.dt.month - 1
    return out.astype("float64")


def parse_dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")


def evaluation_month(as_of: date) -> int:
    """The last complete month before as_of."""
    return month_number(as_of) - 1


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------
def read_reference_files(source_dir: Path):
    source_dir = Path(source_dir)
    projects = pd.read_csv(source_dir / "projects.csv", dtype=str, keep_default_na=False, na_values=[""])
    kpis = pd.read_csv(source_dir / "kpi_definitions.csv", dtype=str, keep_default_na=False, na_values=[""])
    benefits = pd.read_csv(source_dir / "benefits.csv", dtype=str, keep_default_na=False, na_values=[""])
    plan_path = source_dir / "benefit_plan.csv"
    if plan_path.exists():
        plan = pd.read_csv(plan_path, dtype=str, keep_default_na=False, na_values=[""])
    else:
        plan = pd.DataFrame(columns=["benefit_id", "period_month", "planned_pct"])

    kpis = kpis.drop_duplicates("kpi_id")
    projects = projects.drop_duplicates("project_id")
    for col in ("start_date", "planned_end_date", "actual_close_date"):
        projects[col] = parse_dates(projects[col])

    for col in ("baseline_start", "baseline_end", "realization_start", "target_date", "review_until"):
        benefits[col] = parse_dates(benefits[col])
    for col in ("baseline_value", "target_value", "attribution_pct", "value_per_unit"):
        benefits[col] = pd.to_numeric(benefits[col], errors="coerce")
    benefits["is_disbenefit"] = benefits["is_disbenefit"].str.strip().str.lower() == "true"

    plan["period_month"] = parse_dates(plan["period_month"])
    plan["planned_pct"] = pd.to_numeric(plan["planned_pct"], errors="coerce")
    plan = plan.dropna(subset=["benefit_id", "period_month", "planned_pct"])
    return projects, kpis, benefits, plan


def read_measurement_file(path: Path, kpi_type: pd.CategoricalDtype) -> pd.DataFrame:
    """One landing file as (kpi_id categorical, measured_on, value, recorded_at UTC); bad rows dropped."""
    if path.suffix == ".parquet":
        table = pq.read_table(path, columns=["kpi_id", "measured_on", "value", "recorded_at"],
                              read_dictionary=["kpi_id"])
        df = table.to_pandas(date_as_object=False)
        df["kpi_id"] = df["kpi_id"].cat.set_categories(kpi_type.categories)
        df["measured_on"] = pd.to_datetime(df["measured_on"], errors="coerce")
        df["value"] = pd.to_numeric(df["value"], errors="coerce")
        rec = df["recorded_at"]
        if getattr(rec.dtype, "tz", None) is None:
            rec = pd.to_datetime(rec, errors="coerce", utc=True)
        df["recorded_at"] = rec
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        df["kpi_id"] = df["kpi_id"].astype(kpi_type)  # unknown kpi_id -> NaN
        df["measured_on"] = parse_dates(df["measured_on"])
        df["value"] = pd.to_numeric(df["value"], errors="coerce")
        df["recorded_at"] = pd.to_datetime(df["recorded_at"], errors="coerce", utc=True, format="ISO8601")
    df["measured_on"] = df["measured_on"].astype("datetime64[ns]")
    df["recorded_at"] = df["recorded_at"].astype("datetime64[ns, UTC]")
    return df.dropna(subset=["kpi_id", "measured_on", "value", "recorded_at"])


def read_current_measurements(source_dir: Path, kpi_ids: list[str]) -> pd.DataFrame:
    """The current view (SPEC 2): latest recorded_at per (kpi_id, measured_on)."""
    kpi_type = pd.CategoricalDtype(sorted(kpi_ids))
    folder = Path(source_dir) / "kpi_measurements"
    files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet")) if folder.exists() else []
    frames = [read_measurement_file(p, kpi_type) for p in files]
    if not frames:
        return pd.DataFrame({"kpi_id": pd.Series([], dtype=kpi_type),
                             "measured_on": pd.Series([], dtype="datetime64[ns]"),
                             "value": pd.Series([], dtype="float64")})
    raw = pd.concat(frames, ignore_index=True)
    del frames
    # exact duplicates count once; same key with different values: conflicting, drop them all
    raw = raw.drop_duplicates(["kpi_id", "measured_on", "recorded_at", "value"])
    conflicting = raw.duplicated(["kpi_id", "measured_on", "recorded_at"], keep=False)
    raw = raw[~conflicting]
    raw = raw.sort_values(["kpi_id", "measured_on", "recorded_at"])
    current = raw.drop_duplicates(["kpi_id", "measured_on"], keep="last")
    return current[["kpi_id", "measured_on", "value"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# the measures
# ------------------------------------------------------------------------------------------
def monthly_actuals(current: pd.DataFrame, kpis: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """A_m per (kpi_id, month) for months up to the evaluation month, by the KPI's aggregation;
    NaN when the month is not complete for the KPI's frequency (SPEC section 3). `measured` counts
    the month's measurements (staleness reads them)."""
    df = current.copy()
    df["month"] = to_month(df["measured_on"]).astype("int64")
    df = df[df["month"] <= last_month]
    parts = []
    keys = ["kpi_id", "month"]
    for agg, kpi_ids in kpis.groupby("aggregation")["kpi_id"]:
        group = df[df["kpi_id"].isin(kpi_ids)]
        if agg == "last":
            actual = group.sort_values("measured_on").groupby(keys, observed=True)["value"].last()
        else:
            func = {"sum": "sum", "avg": "mean", "min": "min", "max": "max"}[agg]
            actual = group.groupby(keys, observed=True)["value"].agg(func)
        parts.append(actual.rename("actual").reset_index())
    if not parts:
        return pd.DataFrame({"kpi_id": pd.Series([], dtype=current["kpi_id"].dtype),
                             "month": pd.Series([], dtype="int64"), "actual": pd.Series([], dtype="float64"),
                             "measured": pd.Series([], dtype="int64")})
    out = pd.concat(parts, ignore_index=True)
    seen = df.groupby(keys, observed=True)["measured_on"].agg(["count", "max"]).reset_index()
    out = out.merge(seen, on=keys, how="left")
    last = pd.to_datetime(out["max"])
    days_to_month_end = ((last + pd.offsets.MonthEnd(0)) - last).dt.days
    frequency = out["kpi_id"].astype(str).map(kpis.set_index("kpi_id")["frequency"])
    complete = days_to_month_end < frequency.map(COMPLETE_MONTH_LAST_DAYS)
    out["actual"] = out["actual"].where(complete)
    out["measured"] = out["count"].astype("int64")
    return out.drop(columns=["count", "max"])


def resolve_benefits(benefits: pd.DataFrame, projects: pd.DataFrame, kpis: pd.DataFrame,
                     monthly: pd.DataFrame) -> pd.DataFrame:
    """Defaults, measured baselines, TI; only benefits with a known project and KPI."""
    b = benefits.merge(projects[["project_id", "actual_close_date", "planned_end_date"]],
                       on="project_id", how="inner")
    b = b[b["kpi_id"].isin(kpis["kpi_id"])].copy()
    b["realization_start"] = b["realization_start"].fillna(b["actual_close_date"]).fillna(b["planned_end_date"])
    b["attribution_pct"] = b["attribution_pct"].fillna(1.0)
    b["sign"] = np.where(b["direction"] == "increase", 1.0, -1.0)
    b["r"] = to_month(b["realization_start"])
    b["t"] = to_month(b["target_date"])
    b["review_month"] = to_month(b["review_until"]).fillna(b["t"] + DEFAULT_REVIEW_MONTHS)
    b["bs"] = to_month(b["baseline_start"])
    b["be"] = to_month(b["baseline_end"])

    # measured baseline: mean of the monthly actuals over the window's months that have data
    needs = b.loc[b["baseline_value"].isna(), ["benefit_id", "kpi_id", "bs", "be"]]
    m = monthly.assign(kpi_id=monthly["kpi_id"].astype(str))
    window = needs.merge(m, on="kpi_id", how="inner")
    window = window[(window["month"] >= window["bs"]) & (window["month"] <= window["be"])]
    measured = window.groupby("benefit_id")["actual"].mean()
    b["baseline_value"] = b["baseline_value"].fillna(b["benefit_id"].map(measured))

    b["target_improvement"] = b["sign"] * (b["target_value"] - b["baseline_value"])
    invalid = b["target_improvement"] <= 0  # NaN (no baseline) stays valid
    b = b[~invalid].copy()
    financial = b["category"] != "non_financial"
    b["money_per_unit"] = np.where(
        financial, b["attribution_pct"] * b["value_per_unit"] * np.where(b["is_disbenefit"], -1.0, 1.0), np.nan)
    b["annual_planned_value"] = np.where(
        financial, b["target_improvement"] * b["attribution_pct"] * b["value_per_unit"] * 12, np.nan)
    return b.reset_index(drop=True)


def planned_pct(spine: pd.DataFrame, plan: pd.DataFrame) -> np.ndarray:
    """P_m per spine row (SPEC 4)."""
    k = spine["month"] - spine["r"]
    n = spine["t"] - spine["r"]
    x = k / n.where(n > 0)
    p = pd.Series(np.nan, index=spine.index)
    p[spine["profile"] == "linear"] = x
    p[spine["profile"] == "step"] = 0.0
    p[spine["profile"] == "s_curve"] = 3 * x ** 2 - 2 * x ** 3
    custom = spine["profile"] == "custom"
    p[custom] = 0.0
    if custom.any() and len(plan):
        points = plan.assign(pm=to_month(plan["period_month"])).sort_values(["benefit_id", "pm"])
        for benefit_id, rows in spine[custom].groupby("benefit_id"):
            pts = points[points["benefit_id"] == benefit_id]
            if len(pts):
                p[rows.index] = np.interp(rows["month"], pts["pm"], pts["planned_pct"],
                                          left=0.0, right=pts["planned_pct"].iloc[-1])
    p[spine["month"] >= spine["t"]] = 1.0
    p[spine["month"] < spine["r"]] = 0.0
    return p.to_numpy()


def build_monthly(b: pd.DataFrame, monthly: pd.DataFrame, plan: pd.DataFrame, e: int) -> pd.DataFrame:
    """The benefit x month table: from 12 months before realization (or the baseline window
    start, or e - 2, whichever is earliest) to the evaluation month, with A, P, I, R, V and T3."""
    start = np.fmin(b["bs"].to_numpy(), b["r"].to_numpy() - CHART_LEAD_MONTHS)
    start = np.where(np.isnan(b["bs"]), b["r"] - CHART_LEAD_MONTHS, start)
    start = np.minimum(start, e - 2).astype("int64")  # P_e and T3(e) exist for every benefit
    length = np.maximum(e - start + 1, 0)
    idx = np.repeat(np.arange(len(b)), length)
    spine = b.iloc[idx][["benefit_id", "kpi_id", "profile", "r", "t", "baseline_value", "sign",
                         "target_improvement", "money_per_unit"]].reset_index(drop=True)
    spine["month"] = np.repeat(start, length) + spine.groupby("benefit_id").cumcount().to_numpy()

    m = monthly.assign(kpi_id=monthly["kpi_id"].astype(str))
    spine = spine.merge(m, on=["kpi_id", "month"], how="left")
    spine = spine.sort_values(["benefit_id", "month"]).reset_index(drop=True)

    spine["planned_pct"] = planned_pct(spine, plan)
    spine["improvement"] = spine["sign"] * (spine["actual"] - spine["baseline_value"])
    spine["realization"] = spine["improvement"] / spine["target_improvement"]
    spine["value"] = np.where(spine["month"] >= spine["r"],
                              spine["improvement"] * spine["money_per_unit"], np.nan)
    spine["t3"] = (spine.groupby("benefit_id")["realization"]
                   .rolling(3, min_periods=1).mean().reset_index(level=0, drop=True))
    return spine


def forecast(spine: pd.DataFrame) -> pd.Series:
    """OLS of R on month index over the last 6 months with data (months >= r), at the target."""
    points = spine[(spine["month"] >= spine["r"]) & spine["realization"].notna()]
    points = points.groupby("benefit_id").tail(FORECAST_WINDOW_MONTHS)

    def fit(g: pd.DataFrame) -> float:
        if len(g) < FORECAST_MIN_POINTS:
            return np.nan
        x = (g["month"] - g["r"]).to_numpy(dtype=float)
        y = g["realization"].to_numpy()
        sxx = ((x - x.mean()) ** 2).sum()
        if sxx == 0:
            return np.nan
        slope = ((x - x.mean()) * (y - y.mean())).sum() / sxx
        n = g["t"].iloc[0] - g["r"].iloc[0]
        return y.mean() + slope * (n - x.mean())

    if points.empty:
        return pd.Series(dtype="float64")
    return points.groupby("benefit_id")[["month", "r", "t", "realization"]].apply(fit)


def status_of(row) -> str:
    """SPEC 4 rules in order; boundaries compare values rounded to 9 decimals."""
    def rnd(v):
        return round(v, ROUND_DIGITS) if v is not None and not math.isnan(v) else math.nan

    t3 = rnd(row.trailing_realization_pct)
    p = row.planned_pct
    if math.isnan(row.baseline_value):
        return "no_baseline"
    if row.e < row.r:
        return "not_started"
    if row.e > row.review_month:
        return "tracking_ended"
    if row.recent_measured_months == 0:
        return "stale"
    if row.is_disbenefit:
        return "exceeded" if t3 > DISBENEFIT_EXCEEDED_ABOVE else "within_tolerance"
    peak = row.peak_trailing_realization_pct
    if rnd(peak) >= EROSION_PEAK_MIN and t3 <= rnd(peak - EROSION_DROP):
        return "eroding"
    if t3 >= 1:
        return "achieved"
    if p == 0:
        return "on_track" if t3 >= ZERO_PLAN_TOLERANCE else "off_track"
    attainment = rnd(row.trailing_realization_pct / p) if p == p else math.nan
    if attainment >= ON_TRACK_ATTAINMENT:
        return "on_track"
    if attainment >= AT_RISK_ATTAINMENT:
        return "at_risk"
    return "off_track"


def compute_benefit_status(source_dir: Path, as_of: date) -> pd.DataFrame:
    """Per valid benefit: its status at the evaluation month and the measures behind it."""
    e = evaluation_month(as_of)
    projects, kpis, benefits, plan = read_reference_files(source_dir)
    current = read_current_measurements(source_dir, kpis["kpi_id"].tolist())
    monthly = monthly_actuals(current, kpis, e)
    del current
    b = resolve_benefits(benefits, projects, kpis, monthly)
    spine = build_monthly(b, monthly, plan, e)

    in_realization = spine[spine["month"] >= spine["r"]]
    peak = in_realization.groupby("benefit_id")["t3"].max()
    cumulative = in_realization.groupby("benefit_id")["value"].sum(min_count=0)
    recent = (spine[spine["month"] > e - STALE_AFTER_MONTHS]["measured"].fillna(0).gt(0)
              .groupby(spine["benefit_id"]).sum())
    at_e = spine[spine["month"] == e].set_index("benefit_id")

    out = b.set_index("benefit_id")
    out["e"] = e
    out["trailing_realization_pct"] = at_e["t3"]
    out["planned_pct"] = at_e["planned_pct"]
    out["plan_attainment"] = out["trailing_realization_pct"] / out["planned_pct"].where(out["planned_pct"] != 0)
    out["peak_trailing_realization_pct"] = peak
    out["recent_measured_months"] = recent.reindex(out.index).fillna(0)
    out["forecast_realization_at_target"] = forecast(spine)
    # cumulative realized value: financial benefits with a baseline, from realization start on
    # (0 before any data; null without a baseline: nothing can be measured)
    out["cumulative_realized_value"] = cumulative.reindex(out.index)
    started = (out["r"] <= e) & out["money_per_unit"].notna() & out["baseline_value"].notna()
    out.loc[started, "cumulative_realized_value"] = out.loc[started, "cumulative_realized_value"].fillna(0.0)
    out.loc[~started, "cumulative_realized_value"] = np.nan
    out["status"] = [status_of(row) for row in out.itertuples()]
    return out.reset_index()[RESULT_COLUMNS].sort_values("benefit_id").reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# comparison with the warehouse
# ------------------------------------------------------------------------------------------
def read_marts(warehouse: Path) -> pd.DataFrame:
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute("""
            SELECT s.benefit_id, s.status, s.trailing_realization_pct, s.planned_pct, s.plan_attainment,
                   s.peak_trailing_realization_pct, s.forecast_realization_at_target,
                   s.cumulative_realized_value, d.annual_planned_value, d.baseline_value,
                   d.target_improvement
            FROM marts.fct_benefit_status AS s
            LEFT JOIN marts.dim_benefit AS d ON d.benefit_id = s.benefit_id
            ORDER BY s.benefit_id
        """).df()
    finally:
        conn.close()


def compare_with_marts(peer: pd.DataFrame, warehouse: Path, tolerance: float = 1e-6) -> list[str]:
    """Differences between the peer and marts.fct_benefit_status (+ dim_benefit); [] = equal.

    Numbers are equal when both are null, or |a - b| <= tolerance * max(1, |a|, |b|).
    """
    marts = read_marts(warehouse).set_index("benefit_id")
    mine = peer.set_index("benefit_id")
    diffs: list[str] = []
    only_peer = sorted(set(mine.index) - set(marts.index))
    only_marts = sorted(set(marts.index) - set(mine.index))
    if only_peer:
        diffs.append(f"{len(only_peer)} benefit(s) only in the peer: {only_peer[:20]}")
    if only_marts:
        diffs.append(f"{len(only_marts)} benefit(s) only in the marts: {only_marts[:20]}")
    common = sorted(set(mine.index) & set(marts.index))
    for benefit in common:
        a, w = mine.loc[benefit], marts.loc[benefit]
        if a["status"] != w["status"]:
            diffs.append(f"{benefit}: status peer={a['status']} marts={w['status']}")
        for col in NUMERIC_COLUMNS:
            if col not in mine.columns or col not in marts.columns:
                continue
            x, y = a[col], w[col]
            x = None if x is None or pd.isna(x) else float(x)
            y = None if y is None or pd.isna(y) else float(y)
            if x is None and y is None:
                continue
            if x is None or y is None or abs(x - y) > tolerance * max(1.0, abs(x), abs(y)):
                diffs.append(f"{benefit}: {col} peer={x} marts={y}")
    return diffs


# ------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pandas_peer",
                                     description="Benefit statuses in plain pandas (SPEC 3-4).")
    parser.add_argument("--source", required=True, type=Path, help="source directory")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--warehouse", type=Path, help="DuckDB warehouse to compare with (read-only)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    peer = compute_benefit_status(args.source, args.as_of)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"pandas peer: {len(peer)} benefits in {wall:.2f} s wall, peak RSS {peak_mb:,.0f} MiB")
    print("statuses: " + ", ".join(f"{s} {n}" for s, n in peer["status"].value_counts().items()))
    if args.warehouse is None:
        return 0
    diffs = compare_with_marts(peer, args.warehouse)
    if not diffs:
        print(f"equal to marts.fct_benefit_status in {args.warehouse}")
        return 0
    print(f"{len(diffs)} difference(s) from marts.fct_benefit_status in {args.warehouse}:")
    for line in diffs[:50]:
        print("  " + line)
    if len(diffs) > 50:
        print(f"  ... and {len(diffs) - 50} more")
    return 1


if __name__ == "__main__":
    sys.exit(main())
