"""The scale benchmark cannot rot: its smallest tier runs here (seconds, one repeat)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench

pytestmark = pytest.mark.slow


def _row(text: str, tier: str, after: str) -> list[str]:
    """The cells of the tier's row in the first table after the heading `after`."""
    section = text.split(after, 1)[1]
    row = next(line for line in section.splitlines() if line.startswith(f"| {tier} |"))
    return [c.strip() for c in row.strip("|").split("|")]


def test_tiny_tier_of_the_benchmark(tmp_path):
    out = tmp_path / "results.md"
    # figures of an earlier bench of another tier stay in the report, with their date
    earlier = bench.TierResult("demo", measurements=195_732, benefits=104, full=[bench.Measure(20.0, 1_000_000)],
                               floor=[bench.Measure(1.0, 100_000)], measured_at="2026-11-30 10:00 UTC")
    bench.save_results(out.with_suffix(".json"), {"demo": earlier}, None)

    assert bench.main(["--tiers", "tiny", "--repeat", "1", "--workdir", str(tmp_path / "work"), "--out", str(out)]) == 0
    text = out.read_text()
    runs = _row(text, "tiny", "# Scale benchmark")
    assert int(runs[1].replace(",", "")) > 1_000  # measurements loaded
    assert runs[5].endswith(" s") and runs[7].endswith(" s")  # the full and the daily run were timed
    assert "GiB" in runs[12]  # disk use: sources, warehouse, read copy
    core = _row(text, "tiny", "## The core path against the pandas peer")
    assert core[1].endswith(" s") and core[2].endswith(" s")  # the core path's wall and dbt node times
    assert core[-1] == "yes"  # the pandas peer equals the marts
    assert _row(text, "demo", "# Scale benchmark")[-1] == "2026-11-30 10:00 UTC"
    # judged on the 10m tier, else on the largest measured: here the earlier demo figures
    assert "## Targets at the demo tier" in text and "full run ≤ 4× the floor" in text
    assert "core path ≥ 3× faster than the pandas peer" in text and "daily run ≤ 10 s" in text
    assert "## Dashboard queries, tiny tier" in text and "queries.benefits.headline" in text
    kept = json.loads(out.with_suffix(".json").read_text())["tiers"]
    assert set(kept) == {"demo", "tiny"} and kept["tiny"]["core_nodes"]


def test_the_100m_targets_are_judged_against_the_10m_run():
    def tier(name, full, daily, rss_kb):
        return bench.TierResult(name, measurements=1, full=[bench.Measure(full, rss_kb)],
                                incremental=[bench.Measure(daily, rss_kb)], floor=[bench.Measure(10.0, 1)])

    lines = bench.targets_section({"10m": tier("10m", 40.0, 9.0, 3 * 1024 ** 2),
                                   "100m": tier("100m", 520.0, 16.0, 5 * 1024 ** 2)})
    text = "\n".join(lines)
    assert "| full run ≤ 12× the 10m full run | 13.0× | **missed** |" in text
    assert "| daily run ≤ 15 s | 16.0 s | **missed** |" in text
    assert "| peak RSS of `brw run` ≤ 4 GiB | 5.00 GiB | **missed** |" in text
    assert "| full run ≤ 4× the floor | 4.0× | met |" in text  # 10M: 40 s against a 10 s floor
