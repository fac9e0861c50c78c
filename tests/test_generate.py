"""Tests for the synthetic source-directory generator (pipelines/demo/)."""

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

from benchmarks.pandas_peer import compute_benefit_status  # noqa: E402
from pipelines.demo import MEASUREMENT_COLUMNS, STORIES, generate_source_dir  # noqa: E402
from pipelines.load.contract import SOURCES  # noqa: E402

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


def test_files_have_the_columns_the_loader_expects(small):
    """Every file's header is the loader's contract for it, column for column."""
    files = sorted((small / "kpi_measurements").iterdir())
    assert any(f.name.endswith("-Q1.csv") for f in files)
    assert any(f.name.startswith("restatements_") for f in files)
    assert list((small / "benefit_checkins").iterdir())  # the stories' owner check-ins
    for source in SOURCES:
        paths = sorted((small / source.path).iterdir()) if source.landing_folder else [small / source.path]
        # a measurement feed leaves out the optional columns of a measurement recorded by hand
        expected = [c.name for c in source.columns if c.required or source.name != "kpi_measurements"]
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                assert fh.readline().rstrip("\n") == ",".join(expected), path.name


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
# The planted stories, read back through the independent pandas peer of the status marts.

# story name (catalogue STORIES) -> the status it is planted to have (seeds/README.md)
PROMISED_STATUS = {
    "eroding_benefit": "eroding",
    "orphaned_benefit": "stale",
    "achieved_early_benefit": "achieved",
    "watermelon_off_track_benefit": "off_track",
    "tracking_ended_benefit": "tracking_ended",
    "tracking_ended_default_benefit": "tracking_ended",
    "disbenefit_within_tolerance": "within_tolerance",
    "disbenefit_exceeded": "exceeded",
    "not_started_benefit": "not_started",
    "no_baseline_benefit": "no_baseline",
    "long_closed_off_track_benefit": "off_track",
}


def _peer_statuses(source: Path, as_of: date) -> dict[str, str]:
    peer = compute_benefit_status(source, as_of)
    return dict(zip(peer.benefit_id, peer.status))


def test_seed_stories_hold_when_the_demo_is_judged_after_its_feeds_end():
    """As of 2026-12-01 the evaluation month is November, which the feeds cover only to the 19th:
    under the complete-month rule (SPEC section 3) November reads as no data for the daily and
    weekly KPIs, so no `sum` KPI collapses and the planted stories keep their statuses (before
    the rule: BEN-0007 read eroding, BEN-0024 achieved at 101 %, eroding 4 and achieved 18)."""
    st = _peer_statuses(SEEDS, date(2026, 12, 1))
    assert {name: st.get(STORIES[name]) for name in PROMISED_STATUS} == PROMISED_STATUS
    counts = pd.Series(st).value_counts()
    assert counts["eroding"] == 1 and counts["achieved"] == 13


def test_seed_stories_hold():
    st = _peer_statuses(SEEDS, date(2026, 11, 21))
    assert {name: st.get(STORIES[name]) for name in PROMISED_STATUS} == PROMISED_STATUS
    # every benefit is valid (the peer leaves out targets that are no improvement)
    assert set(st) == set(_read(SEEDS, "benefits.csv").benefit_id)
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


def test_stories_hold_for_another_seed_and_end(tmp_path):
    """STORIES promises the same ids and statuses for any seed and end (years >= 7)."""
    end = date(2024, 2, 29)
    generate_source_dir(tmp_path, projects=12, years=7, seed=3, end=end, measurement_format="csv")
    st = _peer_statuses(tmp_path, end)
    assert {name: st.get(STORIES[name]) for name in PROMISED_STATUS} == PROMISED_STATUS


def test_seed_delivery_stories():
    """The planted delivery rows as written; tests/test_demo.py reads the same stories back
    through the warehouse (CPI, slippage, margin leakage, watermelon flags)."""
    prj = _read(SEEDS, "projects.csv").set_index("project_id")
    fin = _read(SEEDS, "financials.csv")
    ms = _read(SEEDS, "milestones.csv").set_index("milestone_id")
    sr = _read(SEEDS, "status_reports.csv")
    raid = _read(SEEDS, "raid_log.csv").set_index("raid_id")
    cr = _read(SEEDS, "change_requests.csv")

    w = STORIES["watermelon_project"]
    assert prj.loc[w].stage == "active"
    reports = sr[sr.project_id == w]
    assert (reports.overall_rag == "green").all() and (reports.benefits_rag == "green").all()
    go_live = ms.loc[STORIES["watermelon_slipped_milestone"]]
    assert (go_live.project_id, go_live.milestone_name, go_live.is_key) == (w, "Go-live", "true")
    issue = raid.loc[STORIES["watermelon_critical_issue"]]
    assert (issue.project_id, issue.raid_type, issue.severity) == (w, "issue", "critical")
    assert issue.closed_on == "" and issue.mitigation == ""
    assert (pd.Timestamp(END) - pd.Timestamp(issue.raised_on)).days > 30

    c = STORIES["margin_leak_project"]
    assert prj.loc[c].contract_value != ""
    crs = cr[cr.project_id == c]
    unbilled = crs[(crs.decision == "approved") & (crs.billable == "false")
                   & (crs.cost_impact.astype(float) > 0)]
    assert len(unbilled) >= 3
    latest = fin[fin.project_id == c].sort_values("period_month").iloc[-1]
    assert float(latest.estimate_at_completion) > float(prj.loc[c].budget_at_completion)
