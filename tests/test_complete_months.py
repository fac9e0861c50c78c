"""SPEC section 3: a KPI-month counts only when it is complete for the KPI's frequency.

One daily `sum` KPI whose feed stops on 19 April 2026, judged as of 2026-04-21 (evaluation
month March, complete) and as of 2026-05-01 (evaluation month April, 19 of 30 days). Worked by
hand: 100 a day in January, March and April, 110 a day in February; baseline 2,100 and target
3,100 (TI 1,000), realization from January with the target in January (P = 1 from then on).

    month  measured      A_m     R_m    T3 (months with data)
    Jan    31 days     3,100    1.00    1.00
    Feb    28 days     3,080    0.98    0.99
    Mar    31 days     3,100    1.00    0.9933
    Apr    1st-19th   (1,900)   null    0.99   incomplete: no data (else R = -0.2, T3 0.593: eroding)

Both dates: on_track (T3 below 1, plan attainment >= 0.9); never eroding, never stale. Month by
month (fct_benefit_status_monthly): not_started in December, achieved in January (T3 = 1.00),
on_track from February.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from tests.conftest import PORTFOLIO

pytestmark = pytest.mark.slow


def _daily_rows() -> list[str]:
    rows, day = [], date(2026, 1, 1)
    while day <= date(2026, 4, 19):
        value = 110 if day.month == 2 else 100
        recorded = day + timedelta(days=1)
        rows.append(f"KX,{day.isoformat()},{value},{recorded.isoformat()}T06:00:00Z")
        day += timedelta(days=1)
    return rows


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("complete-months")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    with (source / "kpi_definitions.csv").open("a", encoding="utf-8") as f:
        f.write("KX,Claims settled,count,sum,daily,Gil Grant,Claims\n")
    with (source / "benefits.csv").open("a", encoding="utf-8") as f:
        f.write("BX,PA,Claims settled a month,cashable,false,KX,increase,2100,,,3100,2026-01-01,2026-01-31,"
                "linear,,1,Ann Archer,\n")
    (source / "kpi_measurements" / "daily.csv").write_text(
        "kpi_id,measured_on,value,recorded_at\n" + "\n".join(_daily_rows()) + "\n", encoding="utf-8")
    warehouses = {}
    for as_of in ("2026-04-21", "2026-05-01"):
        path = base / as_of / "brw.duckdb"
        assert main(["run", "--source", str(source), "--warehouse", str(path), "--as-of", as_of]) == 0
        warehouses[as_of] = path
    return warehouses


def _one(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_complete_evaluation_month_is_judged_on_its_data(judged):
    (row,) = _one(judged["2026-04-21"], """SELECT status, evaluation_month, trailing_realization_pct,
        cumulative_realized_value FROM marts.fct_benefit_status WHERE benefit_id = 'BX'""")
    assert row[0] == "on_track" and row[1] == date(2026, 3, 1)
    assert row[2] == pytest.approx((1.0 + 0.98 + 1.0) / 3)
    assert row[3] == pytest.approx(1000 + 980 + 1000)


def test_a_feed_that_stopped_on_the_19th_leaves_the_month_without_data(judged):
    path = judged["2026-05-01"]
    (row,) = _one(path, """SELECT status, evaluation_month, trailing_realization_pct, cumulative_realized_value
        FROM marts.fct_benefit_status WHERE benefit_id = 'BX'""")
    assert row[0] == "on_track" and row[1] == date(2026, 4, 1)
    assert row[2] == pytest.approx((0.98 + 1.0) / 2)  # T3 over February and March: April is not data
    assert row[3] == pytest.approx(2980)  # carried over April, not 2980 - 200
    (month,) = _one(path, """SELECT has_data, actual_value, realization_pct, monetized_value, measurement_count,
        is_complete_month, last_measured_on FROM marts.fct_benefit_monthly
        WHERE benefit_id = 'BX' AND period_month = DATE '2026-04-01'""")
    assert month == (False, None, None, None, 19, False, date(2026, 4, 19))
    (kpi,) = _one(path, """SELECT is_evaluation_month_complete, evaluation_month_measurements,
        evaluation_month_last_measured_on FROM marts.dim_kpi WHERE kpi_id = 'KX'""")
    assert kpi == (False, 19, date(2026, 4, 19))
    (board,) = _one(path, """SELECT is_evaluation_month_complete, evaluation_month_measurements
        FROM reporting.rpt_benefit_board WHERE benefit_id = 'BX'""")
    assert board == (False, 19)


def test_the_status_of_every_month_ends_in_the_status_of_the_evaluation_month(judged):
    for path in judged.values():
        differ = _one(path, """SELECT s.benefit_id, s.status, m.status FROM marts.fct_benefit_status s
            LEFT JOIN marts.fct_benefit_status_monthly m
              ON m.benefit_id = s.benefit_id AND m.period_month = s.evaluation_month
            WHERE m.status IS DISTINCT FROM s.status""")
        assert differ == []
    months = dict(_one(judged["2026-05-01"], """SELECT period_month, status FROM marts.fct_benefit_status_monthly
        WHERE benefit_id = 'BX' AND period_month >= DATE '2025-12-01' ORDER BY period_month"""))
    assert months == {date(2025, 12, 1): "not_started", date(2026, 1, 1): "achieved",
                      date(2026, 2, 1): "on_track", date(2026, 3, 1): "on_track", date(2026, 4, 1): "on_track"}


def test_the_run_summary_counts_the_kpis_whose_evaluation_month_is_incomplete(judged):
    import io

    from pipelines.cli.summaries import print_benefit_summary
    from pipelines.settings import Settings

    texts = {}
    for as_of, path in judged.items():
        out = io.StringIO()
        print_benefit_summary(Settings.resolve(warehouse=path, as_of=as_of), out)
        texts[as_of] = out.getvalue()
    # April: KX stopped on the 19th; KA's single April reading completes a monthly KPI's month
    assert "1 of 8 KPIs have an incomplete April 2026" in texts["2026-05-01"]
    assert "incomplete" not in texts["2026-04-21"]
