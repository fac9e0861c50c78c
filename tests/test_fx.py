"""One reporting currency (issue 14, part 3): fx_rates.csv, BRW_REPORTING_CURRENCY and the
`_reporting` columns, on a hand-worked two-currency portfolio.

tests/data/portfolio as of 2026-04-15 (e = 2026-03; every number of tests/test_benefit_marts.py
holds), with two changes: PB (Digital Front Door) is in EUR and in the Operations portfolio
beside PA (GBP), and fx_rates.csv gives one EUR = 0.50 GBP for every month from 2024-06 to
2026-04 except 2025-10, which has no rate. So:

- BB1 (EUR, realizes Jan-Mar 2026, V = 3 I): cumulative -90 EUR = -45 GBP, all its months rated.
- BB3 (EUR dis-benefit) and BB6 (EUR) realize from 2025-10: their converted cumulative values
  are null from October on (never the sum of the other months), flagged fx_rate_missing.
- March's money converts (March has a rate): GBP realized 240 (BA1, 10 x 24) + 22.5 (BA2,
  9 x .5 x 5) = 262.5; EUR realized -30 (BB1) - 74 (BB3) + 80 (BB6, 2 x 40) = -24 EUR = -12 GBP;
  one total 250.5 GBP (never 262.5 - 24 = 238.5, an addition across currencies).
- Annual planned value at e's rate: GBP 2400 (BA1) + 360 (BA2) = 2760; EUR 18000 (BB1:
  500 x 3 x 12) + 720 (BB3) + 2400 (BB6) = 21120 EUR = 10560 GBP; total 13320 GBP.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipelines.load import connect, load_source
from pipelines.load.contract import SOURCES, SOURCES_BY_NAME
from pipelines.settings import SettingsError, parse_reporting_currency
from tests.conftest import PORTFOLIO, PORTFOLIO_AS_OF
from tests.conftest import fetch_all as rows

EUR_RATE = 0.5
MISSING_MONTH = "2025-10-01"


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}-01" <= last:
        out.append(f"{y:04d}-{m:02d}-01")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.fixture(scope="module")
def fx_warehouse(tmp_path_factory) -> Path:
    from pipelines.cli import main

    base = tmp_path_factory.mktemp("fx")
    source = base / "source"
    shutil.copytree(PORTFOLIO, source)
    projects = source / "projects.csv"
    with projects.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    for row in table:
        if row["project_id"] == "PB":
            row["currency"], row["portfolio"] = "EUR", "Operations"
    with projects.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    rates = [("EUR", month, f"{EUR_RATE}") for month in _months("2024-06-01", "2026-04-01") if month != MISSING_MONTH]
    (source / "fx_rates.csv").write_text(
        "currency,period_month,rate\n" + "".join(f"{c},{m},{r}\n" for c, m, r in rates), encoding="utf-8"
    )
    path = base / "brw.duckdb"
    assert main(["run", "--source", str(source), "--warehouse", str(path), "--as-of", PORTFOLIO_AS_OF]) == 0
    return path


# --------------------------------------------------------------------------- the setting


def test_reporting_currency_setting_is_three_upper_case_letters_default_gbp():
    assert parse_reporting_currency(None) == "GBP"
    assert parse_reporting_currency(" EUR ") == "EUR"
    for bad in ("eur", "EURO", "€", "E1R"):
        with pytest.raises(SettingsError, match="BRW_REPORTING_CURRENCY"):
            parse_reporting_currency(bad)


# --------------------------------------------------------------------------- ingestion


BAD_FX = """currency,period_month,rate
EUR,2026-01-01,0.85
usd,2026-01-01,0.79
XXY,2026-01-01,1.2
EUR,2026-02-15,0.86
EUR,2026-03-01,0
EUR,2026-04-01,-0.8
EUR,2026-05-01,abc
EUR,Jan 2026,0.85
EUR,2026-01-01,0.84
GBP,2026-01-01,
"""


def test_bad_fx_rows_are_quarantined_with_file_row_and_column(tiny_source, warehouse_path):
    (tiny_source / "fx_rates.csv").write_text(BAD_FX, encoding="utf-8")
    conn = connect(warehouse_path)
    try:
        for source in SOURCES:
            load_source(conn, source, tiny_source, "run-1")
        got = set(conn.execute(
            "SELECT row_number, reason, column_name FROM audit.quarantine WHERE source_file = 'fx_rates.csv'"
        ).fetchall())
        assert got == {
            (4, "bad_enum", "currency"),          # XXY is no ISO 4217 code
            (5, "bad_range", "period_month"),     # not the first of a month
            (6, "bad_range", "rate"),             # 0
            (7, "bad_range", "rate"),             # negative
            (8, "bad_type", "rate"),              # abc
            (9, "bad_type", "period_month"),      # Jan 2026
            (10, "duplicate_key", "currency"),    # EUR 2026-01 again (row 2)
            (11, "missing_required", "rate"),
        }
        detail = conn.execute(
            "SELECT detail FROM audit.quarantine WHERE source_file = 'fx_rates.csv' AND row_number = 6"
        ).fetchone()[0]
        assert detail == "column rate: must be more than 0"
        # usd is upper-cased like every currency; the good rows load
        assert conn.execute("SELECT currency, period_month::VARCHAR, rate FROM raw.fx_rates ORDER BY 1").fetchall() == [
            ("EUR", "2026-01-01", 0.85), ("USD", "2026-01-01", 0.79)]
        read, loaded, quarantined = conn.execute(
            "SELECT rows_read, rows_loaded, rows_quarantined FROM audit.load_audit WHERE source_file = 'fx_rates.csv'"
        ).fetchone()
        assert (read, loaded, quarantined) == (10, 2, 8)
    finally:
        conn.close()


def test_fx_rates_are_optional(tiny_source, warehouse_path):
    assert not (tiny_source / "fx_rates.csv").exists()
    conn = connect(warehouse_path)
    try:
        result = load_source(conn, SOURCES_BY_NAME["fx_rates"], tiny_source, "run-1")
        assert result.files == [] and result.table_rows == 0
    finally:
        conn.close()


# --------------------------------------------------------------------------- the two-currency portfolio


def test_rates_per_month_with_the_reporting_currency_at_one_and_the_gap_null(fx_warehouse):
    got = dict(rows(fx_warehouse, """
        SELECT currency || ' ' || period_month::VARCHAR, rate FROM intermediate.int_fx_rates
        WHERE period_month IN (DATE '2025-09-01', DATE '2025-10-01', DATE '2026-03-01')"""))
    assert got == {"EUR 2025-09-01": 0.5, "EUR 2025-10-01": None, "EUR 2026-03-01": 0.5,
                   "GBP 2025-09-01": 1.0, "GBP 2025-10-01": 1.0, "GBP 2026-03-01": 1.0}


def test_benefit_amounts_convert_at_the_rate_of_their_month_and_a_gap_is_null_and_flagged(fx_warehouse):
    board = {r[0]: r[1:] for r in rows(fx_warehouse, """
        SELECT benefit_id, currency, reporting_currency, cumulative_realized_value,
               cumulative_realized_value_reporting, annual_planned_value, annual_planned_value_reporting,
               fx_rate_missing
        FROM reporting.rpt_benefit_board""")}
    assert board["BA1"] == ("GBP", "GBP", 1540.0, 1540.0, 2400.0, 2400.0, False)
    assert board["BB1"] == ("EUR", "GBP", -90.0, -45.0, 18000.0, 9000.0, False)
    # October 2025 has no EUR rate: the cumulative value is null, never the other months' sum
    assert board["BB3"] == ("EUR", "GBP", -311.0, None, 720.0, 360.0, True)
    assert board["BB6"] == ("EUR", "GBP", 200.0, None, 2400.0, 1200.0, True)
    assert board["BB2"][-1] is False  # non_financial: no money, nothing missing
    monthly = rows(fx_warehouse, """
        SELECT period_month::VARCHAR, monetized_value, monetized_value_reporting,
               cumulative_realized_value_reporting, fx_rate_missing
        FROM marts.fct_benefit_monthly WHERE benefit_id = 'BB6' AND period_month >= DATE '2025-10-01'
        ORDER BY 1 LIMIT 2""")
    # BB6: R Oct 1 (I = 100, V = 200 EUR) has no rate; November converts but its cumulative cannot
    assert monthly[0][:3] == ("2025-10-01", monthly[0][1], None) and monthly[0][4] is True
    assert monthly[1][2] == pytest.approx(monthly[1][1] * EUR_RATE) and monthly[1][3] is None and monthly[1][4]


def test_register_amounts_convert_at_the_evaluation_month_rate(fx_warehouse):
    assert rows(fx_warehouse, """
        SELECT project_id, currency, budget_at_completion_reporting, contract_value_reporting, fx_rate, fx_rate_missing
        FROM marts.dim_project ORDER BY 1""") == [
        ("PA", "GBP", 400000.0, None, 1.0, False),
        ("PB", "EUR", 450000.0, 600000.0, 0.5, False),  # 900,000 and 1,200,000 EUR x 0.5
    ]
    leakage, leakage_gbp = rows(fx_warehouse, """
        SELECT margin_leakage, margin_leakage_reporting FROM reporting.rpt_project_board WHERE project_id = 'PB'""")[0]
    assert leakage_gbp == pytest.approx(leakage * EUR_RATE)


def test_one_portfolio_total_in_the_reporting_currency_never_adds_currencies_unconverted(fx_warehouse):
    got = {(r[0], r[1]): r[2:] for r in rows(fx_warehouse, """
        SELECT currency, is_reporting_total, realized_value, realized_value_reporting,
               cumulative_realized_value, cumulative_realized_value_reporting, benefits_without_rate, fx_rate_missing
        FROM reporting.rpt_portfolio_month WHERE portfolio = 'Operations' AND is_evaluation_month""")}
    assert set(got) == {("GBP", False), ("EUR", False), ("GBP", True)}
    assert got[("GBP", False)] == (262.5, 262.5, 1652.5, 1652.5, 0, False)
    # EUR: -24 EUR realized in March = -12 GBP; the cumulative has two benefits without October's rate
    assert got[("EUR", False)] == (-24.0, -12.0, -201.0, None, 2, True)
    # the one total, in GBP: 262.5 - 12 = 250.5 (not 262.5 - 24); no partial cumulative
    total = got[("GBP", True)]
    assert total == (250.5, 250.5, None, None, 2, True)
    assert total[0] != 262.5 - 24.0


def test_the_board_totals_in_the_reporting_currency(fx_warehouse):
    """rpt_portfolio_board, which the overview, the board pack and the run summary read. Annual
    planned value at March's rate (0.5), benefits in their review window, a dis-benefit a cost:
    GBP benefits 2400 (BA1) + 360 (BA2) = 2760; EUR benefits 18000 (BB1) + 2400 (BB6) = 20400 EUR
    = 10200 GBP; EUR dis-benefit BB3 720 EUR = 360 GBP. Total 12960 - 360 = 12600 GBP a year (the
    old headline added the dis-benefit: 13320). Realized to date is missing, not partial: BB3 and
    BB6 realized in October 2025, which has no rate."""
    got = {(r[0], r[1]): r[2:] for r in rows(fx_warehouse, """
        SELECT currency, is_reporting_total, annual_planned_benefit, annual_planned_disbenefit, annual_planned_net,
               cumulative_realized_value, benefits_without_rate
        FROM reporting.rpt_portfolio_board WHERE portfolio = 'Operations'""")}
    assert got[("GBP", False)] == (2760.0, 0.0, 2760.0, 1652.5, 0)
    assert got[("EUR", False)] == (20400.0, 720.0, 19680.0, -201.0, 0)
    assert got[("GBP", True)] == (12960.0, 360.0, 12600.0, None, 2)


    # the marts hold the same per-currency rows, one currency each
    assert rows(fx_warehouse, """
        SELECT currency, realized_value_reporting, benefits_without_rate FROM marts.fct_portfolio_monthly
        WHERE portfolio = 'Operations' AND period_month = DATE '2026-03-01' ORDER BY 1""") == [
        ("EUR", -12.0, 2), ("GBP", 262.5, 0)]


def test_dashboard_money_follows_the_currency_filter(fx_warehouse, monkeypatch):
    from dashboards import queries
    from dashboards.queries import Filters, closure, delivery

    monkeypatch.setenv("BRW_WAREHOUSE", str(fx_warehouse))
    assert queries.reporting_currency() == "GBP"
    everything = Filters()
    assert (everything.money("margin_leakage"), everything.currency_clause("h"), everything.shown_currency("GBP")) == (
        "margin_leakage_reporting", ("TRUE", []), "GBP")
    euro = Filters(currency="EUR")
    assert (euro.money("margin_leakage"), euro.currency_clause("h"), euro.shown_currency("GBP")) == (
        "margin_leakage", ("h.currency = ?", ["EUR"]), "EUR")
    leakage, leakage_gbp = rows(fx_warehouse, """
        SELECT margin_leakage, margin_leakage_reporting FROM reporting.rpt_project_board WHERE project_id = 'PB'""")[0]
    # all currencies: PB's leakage in GBP; EUR only: in EUR; GBP only: no client project, one left out
    assert delivery.margin_leakage(everything)[["project_id", "margin_leakage"]].values.tolist() == [["PB", leakage_gbp]]
    assert delivery.margin_leakage(euro)[["project_id", "margin_leakage"]].values.tolist() == [["PB", leakage]]
    assert delivery.margin_leakage(Filters(currency="GBP")).empty
    assert delivery.client_projects_in_other_currencies(Filters(currency="GBP")) == 1
    assert delivery.client_projects_in_other_currencies(everything) == 0
    # PA (closed, GBP): realized to date 1540 + 112.5 in GBP under "all"; null when EUR is chosen
    closed = closure.closed_projects(everything)
    assert closed[["project_id", "realized_to_date", "fx_rate_missing"]].values.tolist() == [["PA", 1652.5, False]]
    assert closure.closed_projects(euro)["realized_to_date"].isna().all()


def test_the_board_pack_says_how_many_benefits_lack_a_rate(fx_warehouse):
    import duckdb

    from pipelines.board.pack import board_data, render_board_pack

    with duckdb.connect(str(fx_warehouse), read_only=True) as conn:
        page, _ = render_board_pack(board_data(conn, date.fromisoformat(PORTFOLIO_AS_OF)))
    assert "2 benefits lack a rate for a month they need, so the totals they belong to show –" in page
