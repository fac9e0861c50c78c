"""Tests for the synthetic source-directory generator (pipelines/generate.py)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.generate import HEADERS, MEASUREMENT_COLUMNS, STORIES, generate_source_dir  # noqa: E402

SEEDS = ROOT / "seeds"
END = date(2026, 11, 20)
DEMO_ARGS = dict(projects=30, years=7, seed=2026, end=END, measurement_format="csv")


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != "README.md"}


def _read(d: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(d / name, dtype=str, keep_default_na=False)


def _measurements(d: Path) -> pd.DataFrame:
    frames = []
    for f in sorted((d / "kpi_measurements").iterdir()):
        if f.suffix == ".csv":
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
        else:
            t = pq.read_table(f)
            df = pd.DataFrame({
                "kpi_id": t["kpi_id"].to_pylist(),
                "measured_on": [x.isoformat() for x in t["measured_on"].to_pylist()],
                "value": [repr(x) for x in t["value"].to_pylist()],
                "recorded_at": [x.strftime("%Y-%m-%dT%H:%M:%SZ")
                                for x in t["recorded_at"].to_pylist()],
            })
        df["file"] = f.name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("small")
    generate_source_dir(d, projects=8, years=3, seed=7, end=END, stories=True,
                        measurement_format="csv")
    return d


# ------------------------------------------------------------------------------------------
def test_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ca = generate_source_dir(a, projects=8, years=3, seed=11, end=END)
    cb = generate_source_dir(b, projects=8, years=3, seed=11, end=END)
    assert ca == cb
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        assert fa[k] == fb[k], k
    c = tmp_path / "c"
    generate_source_dir(c, projects=8, years=3, seed=12, end=END)
    assert _files(c)["benefits.csv"] != fa["benefits.csv"]


def test_headers_exact(small):
    for name, cols in HEADERS.items():
        with open(small / name, encoding="utf-8") as fh:
            assert fh.readline().rstrip("\n") == ",".join(cols), name
    files = sorted((small / "kpi_measurements").iterdir())
    assert any(f.name.endswith("-Q1.csv") for f in files)
    assert any(f.name.startswith("restatements_") for f in files)
    for f in files:
        with open(f, encoding="utf-8") as fh:
            assert fh.readline().rstrip("\n") == ",".join(MEASUREMENT_COLUMNS), f.name


def test_referential_integrity_and_keys(small):
    prj = _read(small, "projects.csv")
    kpi = _read(small, "kpi_definitions.csv")
    ben = _read(small, "benefits.csv")
    plan = _read(small, "benefit_plan.csv")
    fin = _read(small, "financials.csv")
    ms = _read(small, "milestones.csv")
    sr = _read(small, "status_reports.csv")
    raid = _read(small, "raid_log.csv")
    cr = _read(small, "change_requests.csv")
    keys = {"projects": (prj, ["project_id"]), "kpi": (kpi, ["kpi_id"]),
            "ben": (ben, ["benefit_id"]), "plan": (plan, ["benefit_id", "period_month"]),
            "fin": (fin, ["project_id", "period_month"]), "ms": (ms, ["milestone_id"]),
            "sr": (sr, ["project_id", "report_date"]), "raid": (raid, ["raid_id"]),
            "cr": (cr, ["cr_id"])}
    for name, (df, k) in keys.items():
        assert len(df) > 0 or name == "plan", name
        assert not df.duplicated(k).any(), name
    pids = set(prj.project_id)
    for df in (ben, fin, ms, sr, raid, cr):
        assert set(df.project_id) <= pids
    assert set(ben.kpi_id) <= set(kpi.kpi_id)
    assert set(plan.benefit_id) <= set(ben.benefit_id)
    assert set(plan.benefit_id) == set(ben[ben.profile == "custom"].benefit_id)
    # enums and required fields
    assert set(prj.stage) <= {"proposed", "active", "closed", "cancelled"}
    assert ((prj.stage == "closed") == (prj.actual_close_date != "")).all()
    assert (prj.budget_at_completion.astype(float) >= 0).all()
    assert set(kpi.aggregation) <= {"sum", "avg", "last", "min", "max"}
    assert set(kpi.frequency) <= {"daily", "weekly", "monthly"}
    assert set(ben.category) <= {"cashable", "non_cashable", "non_financial"}
    assert set(ben.profile) <= {"linear", "step", "s_curve", "custom"}
    assert set(ben.direction) <= {"increase", "decrease"}
    assert set(ben.is_disbenefit) <= {"true", "false"}
    meas_base = ben.baseline_value == ""
    assert ((ben[meas_base].baseline_start != "") & (ben[meas_base].baseline_end != "")).all()
    assert ((ben.value_per_unit != "") | (ben.category == "non_financial")).all()
    att = pd.to_numeric(ben.attribution_pct.replace("", "1"))
    assert ((att > 0) & (att <= 1)).all()
    for col in ("overall_rag", "schedule_rag", "cost_rag", "benefits_rag"):
        assert set(sr[col]) <= {"green", "amber", "red"}
    assert set(raid.raid_type) <= {"risk", "assumption", "issue", "dependency", "decision"}
    assert set(raid.severity) <= {"low", "medium", "high", "critical"}
    assert set(cr.decision) <= {"pending", "approved", "rejected"}
    assert set(cr.billable) <= {"true", "false"}
    assert ((cr.decision == "pending") == (cr.decided_on == "")).all()
    cr.schedule_impact_days.astype(int)
    # financials cumulative
    for _, g in fin.sort_values("period_month").groupby("project_id"):
        for col in ("planned_value", "earned_value", "actual_cost"):
            assert (np.diff(g[col].astype(float).to_numpy()) >= -1e-9).all()
    # nothing dated after end (forecasts/targets may be)
    end = END.isoformat()
    assert (sr.report_date <= end).all()
    assert (raid.raised_on <= end).all() and (raid.closed_on <= end).all()
    assert (cr.raised_on <= end).all() and (cr.decided_on <= end).all()
    assert (ms.actual_date <= end).all()
    assert (fin.period_month < END.replace(day=1).isoformat()).all()


def test_measurements_valid(small):
    kpi = _read(small, "kpi_definitions.csv")
    m = _measurements(small)
    clean = m[m.file.str.endswith("-Q1.csv") | m.file.str.match(r"\d{4}-Q\d\.csv")]
    assert set(clean.kpi_id) <= set(kpi.kpi_id)
    assert (pd.to_datetime(clean.measured_on, format="%Y-%m-%d") <= pd.Timestamp(END)).all()
    rec = pd.to_datetime(m.recorded_at, format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    assert (rec < pd.Timestamp(END, tz="UTC") + pd.Timedelta(days=1)).all()
    assert not clean.duplicated(["kpi_id", "measured_on"]).any()
    # restatements restate an existing key with a later recorded_at and a different value
    rs = m[m.file.str.startswith("restatements_")]
    assert len(rs) > 0
    j = rs.merge(clean, on=["kpi_id", "measured_on"], suffixes=("", "_orig"))
    assert len(j) == len(rs)
    assert (j.recorded_at > j.recorded_at_orig).all()
    assert (j.value.astype(float) != j.value_orig.astype(float)).all()
    assert set(kpi.frequency) == {"daily", "weekly", "monthly"}


def test_parquet_format(tmp_path):
    counts = generate_source_dir(tmp_path, projects=3, years=2, seed=5, end=END,
                                 measurement_format="parquet", stories=False)
    files = sorted((tmp_path / "kpi_measurements").glob("*.parquet"))
    assert files and not list((tmp_path / "kpi_measurements").glob("*.csv"))
    total = 0
    for f in files:
        t = pq.read_table(f)
        assert t.column_names == MEASUREMENT_COLUMNS
        assert t.schema.field("kpi_id").type == pa.string()
        assert t.schema.field("measured_on").type == pa.date32()
        assert t.schema.field("value").type == pa.float64()
        assert pa.types.is_timestamp(t.schema.field("recorded_at").type)
        total += t.num_rows
    assert total == counts["kpi_measurements"]


def test_seeds_match_generator(tmp_path):
    assert SEEDS.is_dir(), "seeds/ missing: regenerate with brw generate (see seeds/README.md)"
    generate_source_dir(tmp_path, **DEMO_ARGS)
    want, have = _files(tmp_path), _files(SEEDS)
    assert want.keys() == have.keys()
    for k in want:
        assert want[k] == have[k], f"seeds/{k} differs from the generator output"
    assert (SEEDS / "README.md").is_file()


def test_seeds_scale_and_dirty_rows():
    prj = _read(SEEDS, "projects.csv")
    assert prj.portfolio.nunique() >= 3 and len(prj) == 30
    assert {"active", "closed"} <= set(prj.stage)
    assert len(_read(SEEDS, "benefits.csv")) >= 90
    kpi = _read(SEEDS, "kpi_definitions.csv")
    assert len(kpi) >= 60
    assert set(kpi.aggregation) == {"sum", "avg", "last", "min", "max"}
    assert set(kpi.frequency) == {"daily", "weekly", "monthly"}
    ben = _read(SEEDS, "benefits.csv")
    assert set(ben.profile) == {"linear", "step", "s_curve", "custom"}
    assert set(ben.category) == {"cashable", "non_cashable", "non_financial"}
    assert {"true", "false"} == set(ben.is_disbenefit)
    assert (ben.baseline_value == "").any() and (ben.baseline_value != "").any()
    assert (ben.direction == "decrease").any()
    assert (pd.to_numeric(ben.attribution_pct.replace("", "1")) < 1).any()
    assert (ben.realization_start == "").any() and (ben.realization_start != "").any()
    m = _measurements(SEEDS)
    days = pd.to_datetime(m.measured_on, format="%Y-%m-%d", errors="coerce")
    assert (days.max() - days.min()).days >= 6 * 365
    assert sum(p.stat().st_size for p in SEEDS.rglob("*") if p.is_file()) < 15e6
    late = pd.read_csv(SEEDS / "kpi_measurements" / "late_feed_2026-11.csv", dtype=str,
                       keep_default_na=False)
    assert (late.measured_on == "2026-13-01").sum() == 1
    assert (late.value == "").sum() == 1
    assert (~late.kpi_id.isin(_read(SEEDS, "kpi_definitions.csv").kpi_id)).sum() == 1
    assert late.duplicated(keep=False).sum() == 2  # exact duplicate pair
    key = ["kpi_id", "measured_on", "recorded_at"]
    conflict = late[late.duplicated(key, keep=False) & ~late.duplicated(keep=False)]
    assert len(conflict) == 2 and conflict.value.nunique() == 2


def test_story_ids_exist_in_seeds():
    ids = set(_read(SEEDS, "projects.csv").project_id) | set(_read(SEEDS, "benefits.csv").benefit_id)
    ids |= set(_read(SEEDS, "kpi_definitions.csv").kpi_id)
    ids |= set(_read(SEEDS, "raid_log.csv").raid_id) | set(_read(SEEDS, "milestones.csv").milestone_id)
    for name, sid in STORIES.items():
        assert sid in ids, (name, sid)


# ------------------------------------------------------------------------------------------
# Independent re-implementation of SPEC section 4 statuses, to hold the planted stories true.


def _ym(ts) -> int:
    return ts.year * 12 + ts.month - 1


def _planned(m, r, t, profile, plan):
    if m < r:
        return 0.0
    if m >= t:
        return 1.0
    x = (m - r) / (t - r)
    if profile == "linear":
        return x
    if profile == "step":
        return 0.0
    if profile == "s_curve":
        return 3 * x * x - 2 * x ** 3
    if not plan or m < plan[0][0]:
        return 0.0
    return float(np.interp(m, [p for p, _ in plan], [v for _, v in plan]))


def _statuses(src: Path, as_of: date) -> dict[str, str]:
    prj = _read(src, "projects.csv").set_index("project_id")
    kdef = _read(src, "kpi_definitions.csv")
    ben = _read(src, "benefits.csv")
    plan = _read(src, "benefit_plan.csv")
    m = _measurements(src)
    m = m[m.kpi_id.isin(set(kdef.kpi_id))].drop_duplicates(subset=MEASUREMENT_COLUMNS)
    m["measured_on"] = pd.to_datetime(m.measured_on, format="%Y-%m-%d", errors="coerce")
    m["value"] = pd.to_numeric(m.value.replace("", np.nan), errors="coerce")
    m = m.dropna(subset=["measured_on", "value"])
    m = m[~m.duplicated(["kpi_id", "measured_on", "recorded_at"], keep=False)]
    m = m.sort_values(["kpi_id", "measured_on", "recorded_at"])
    m = m.drop_duplicates(["kpi_id", "measured_on"], keep="last")
    m["ym"] = m.measured_on.dt.year * 12 + m.measured_on.dt.month - 1
    e = as_of.year * 12 + as_of.month - 2
    m = m[m.ym <= e]
    agg = dict(zip(kdef.kpi_id, kdef.aggregation))
    A = {}
    for kid, g in m.groupby("kpi_id"):
        how = {"avg": "mean"}.get(agg[kid], agg[kid])
        A[kid] = g.groupby("ym")["value"].agg(how).to_dict()
    out = {}
    for b in ben.itertuples():
        a = A.get(b.kpi_id, {})
        s = 1 if b.direction == "increase" else -1
        if b.baseline_value:
            B = float(b.baseline_value)
        else:
            lo, hi = _ym(pd.Timestamp(b.baseline_start)), _ym(pd.Timestamp(b.baseline_end))
            vals = [v for k, v in a.items() if lo <= k <= hi]
            B = float(np.mean(vals)) if vals else None
        if B is None:
            out[b.benefit_id] = "no_baseline"
            continue
        TI = s * (float(b.target_value) - B)
        p = prj.loc[b.project_id]
        r = _ym(pd.Timestamp(b.realization_start or p.actual_close_date or p.planned_end_date))
        t = _ym(pd.Timestamp(b.target_date))
        rev = (_ym(pd.Timestamp(b.review_until)) if b.review_until else t + 24)
        pl = [(_ym(pd.Timestamp(x.period_month)), float(x.planned_pct)) for x in
              plan[plan.benefit_id == b.benefit_id].sort_values("period_month").itertuples()]
        if TI <= 0:
            st = "target_not_an_improvement"
        elif e < r:
            st = "not_started"
        elif e > rev:
            st = "tracking_ended"
        elif not any(k in a for k in (e - 2, e - 1, e)):
            st = "stale"
        else:
            R = {k: s * (v - B) / TI for k, v in a.items()}

            def t3(mm):
                v = [R[k] for k in (mm - 2, mm - 1, mm) if k in R]
                return float(np.mean(v)) if v else None

            now = t3(e)
            peak = max((x for x in (t3(mm) for mm in range(r, e + 1)) if x is not None),
                       default=-np.inf)
            P = _planned(e, r, t, b.profile, pl)
            if b.is_disbenefit == "true":
                st = "exceeded" if now > 1.1 else "within_tolerance"
            elif peak >= 0.9 and now <= peak - 0.15:
                st = "eroding"
            elif now >= 1:
                st = "achieved"
            elif P == 0:
                st = "on_track" if now >= -0.05 else "off_track"
            else:
                att = now / P
                st = "on_track" if att >= 0.9 else ("at_risk" if att >= 0.7 else "off_track")
        out[b.benefit_id] = st
    return out


def test_seed_stories_hold():
    st = _statuses(SEEDS, date(2026, 11, 21))
    assert st[STORIES["eroding_benefit"]] == "eroding"
    assert st[STORIES["orphaned_benefit"]] == "stale"
    assert st[STORIES["achieved_early_benefit"]] == "achieved"
    assert st[STORIES["watermelon_off_track_benefit"]] == "off_track"
    assert st[STORIES["disbenefit_within_tolerance"]] == "within_tolerance"
    assert st[STORIES["disbenefit_exceeded"]] == "exceeded"
    assert st[STORIES["not_started_benefit"]] == "not_started"
    assert st[STORIES["no_baseline_benefit"]] == "no_baseline"
    assert st[STORIES["tracking_ended_benefit"]] == "tracking_ended"
    assert st[STORIES["long_closed_off_track_benefit"]] == "off_track"
    assert "target_not_an_improvement" not in st.values()
    assert {"achieved", "on_track", "at_risk", "off_track"} <= set(st.values())

    ben = _read(SEEDS, "benefits.csv").set_index("benefit_id")
    prj = _read(SEEDS, "projects.csv").set_index("project_id")
    # orphaned: KPI not shared, feed stops >= 4 months before end, project closed, owner named
    ob = ben.loc[STORIES["orphaned_benefit"]]
    assert (ben.kpi_id == ob.kpi_id).sum() == 1 and ob.benefit_owner
    assert prj.loc[ob.project_id].stage == "closed"
    m = _measurements(SEEDS)
    last = m[m.kpi_id == ob.kpi_id].measured_on.max()
    assert pd.Timestamp(last) <= pd.Timestamp(END) - pd.DateOffset(months=4)
    # eroding: closed >= 1 year before end
    eb = ben.loc[STORIES["eroding_benefit"]]
    assert pd.Timestamp(prj.loc[eb.project_id].actual_close_date) <= pd.Timestamp(END) - pd.DateOffset(years=1)
    # achieved early: target after end
    assert ben.loc[STORIES["achieved_early_benefit"]].target_date > END.isoformat()
    # long closed projects: closed 3+ years before end, KPIs measured in the last 3 months
    recent = set(m[m.measured_on >= "2026-08-01"].kpi_id)
    for i in range(1, 7):
        pid = STORIES[f"long_closed_project_{i}"]
        assert prj.loc[pid].actual_close_date <= "2023-11-20"
        assert set(ben[ben.project_id == pid].kpi_id) <= recent


def test_seed_delivery_stories():
    as_of = END.isoformat()
    prj = _read(SEEDS, "projects.csv").set_index("project_id")
    fin = _read(SEEDS, "financials.csv")
    ms = _read(SEEDS, "milestones.csv")
    sr = _read(SEEDS, "status_reports.csv")
    raid = _read(SEEDS, "raid_log.csv")
    cr = _read(SEEDS, "change_requests.csv")

    w = STORIES["watermelon_project"]
    assert prj.loc[w].stage == "active"
    latest = sr[sr.project_id == w].sort_values("report_date").iloc[-1]
    assert latest.overall_rag == "green" and latest.benefits_rag == "green"
    f = fin[fin.project_id == w].sort_values("period_month").iloc[-1]
    cpi = float(f.earned_value) / float(f.actual_cost)
    mk = ms[(ms.project_id == w) & (ms.is_key == "true")].copy()
    eff = pd.to_datetime(mk.actual_date.where(mk.actual_date != "", mk.forecast_date)
                         .where(lambda s: s != "", mk.baseline_date))
    slip = (eff - pd.to_datetime(mk.baseline_date)).dt.days.max()
    assert cpi < 0.85 or slip > 60
    assert ms.set_index("milestone_id").loc[STORIES["watermelon_slipped_milestone"]].project_id == w
    issue = raid.set_index("raid_id").loc[STORIES["watermelon_critical_issue"]]
    assert issue.project_id == w and issue.severity == "critical" and issue.closed_on == ""
    assert issue.mitigation == ""
    assert (pd.Timestamp(as_of) - pd.Timestamp(issue.raised_on)).days > 30

    c = STORIES["margin_leak_project"]
    assert prj.loc[c].contract_value != ""
    crs = cr[cr.project_id == c]
    unbilled = crs[(crs.decision == "approved") & (crs.billable == "false")
                   & (crs.cost_impact.astype(float) > 0)]
    assert len(unbilled) >= 3
    f = fin[fin.project_id == c].sort_values("period_month").iloc[-1]
    assert float(f.estimate_at_completion) > float(prj.loc[c].budget_at_completion)
    bac, cv = float(prj.loc[c].budget_at_completion), float(prj.loc[c].contract_value)
    billable = crs[(crs.decision == "approved") & (crs.billable == "true")].cost_impact.astype(float).sum()
    leakage = (cv - bac) - (cv + billable - float(f.estimate_at_completion))
    assert leakage > 0
