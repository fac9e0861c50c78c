"""The scale benchmark cannot rot: its smallest tier runs here (seconds, one repeat)."""

from __future__ import annotations

import pytest

from benchmarks import bench

pytestmark = pytest.mark.slow


def test_tiny_tier_of_the_benchmark(tmp_path):
    out = tmp_path / "results.md"
    assert bench.main(["--tiers", "tiny", "--repeat", "1", "--workdir", str(tmp_path / "work"), "--out", str(out)]) == 0
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| tiny |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[-1] == "yes"  # the pandas peer equals the marts
    assert int(cells[1].replace(",", "")) > 1_000  # measurements loaded
    assert "## Dashboard queries, tiny tier" in text and "queries.benefits.headline" in text
    assert "full run ≤ 10× the floor" in text
