"""The pandas peer (benchmarks/pandas_peer.py) agrees with the hand-worked statuses and the marts."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.pandas_peer import compare_with_marts, compute_benefit_status
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF
from tests.test_benefit_marts import EXPECTED_STATUS


def test_peer_matches_the_hand_worked_portfolio_and_the_marts(portfolio_warehouse):
    peer = compute_benefit_status(PORTFOLIO, date.fromisoformat(PORTFOLIO_AS_OF))
    got = {row.benefit_id: row for row in peer.itertuples()}
    assert set(got) == set(EXPECTED_STATUS)  # BA5 (target below measured baseline) is invalid
    for benefit, (status, t3, p, cum, _owner) in EXPECTED_STATUS.items():
        row = got[benefit]
        assert row.status == status, benefit
        if t3 is None:
            assert row.trailing_realization_pct != row.trailing_realization_pct, benefit  # NaN
        else:
            assert row.trailing_realization_pct == pytest.approx(t3), benefit
        assert row.planned_pct == pytest.approx(p), benefit
        if cum is None:
            assert row.cumulative_realized_value != row.cumulative_realized_value, benefit
        else:
            assert row.cumulative_realized_value == pytest.approx(cum), benefit
    assert got["BA1"].forecast_realization_at_target == pytest.approx(1.0447619, abs=1e-6)
    assert got["BA2"].annual_planned_value == 360.0
    assert compare_with_marts(peer, portfolio_warehouse) == []


@pytest.mark.slow
def test_peer_matches_the_marts_on_a_generated_portfolio(tmp_path):
    from pipelines.cli import main
    from pipelines.demo import generate_source_dir

    source = tmp_path / "source"
    warehouse = tmp_path / "warehouse" / "brw.duckdb"
    generate_source_dir(source, projects=12, years=3, seed=5, end=date(2026, 11, 20),
                        measurement_format="parquet")
    assert main(["run", "--source", str(source), "--warehouse", str(warehouse), "--as-of", "2026-11-21"]) == 0
    peer = compute_benefit_status(source, date(2026, 11, 21))
    assert len(peer) > 0
    assert compare_with_marts(peer, warehouse) == []
