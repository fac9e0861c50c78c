"""The behaviour tests' expectations in the warehouse's own words.

A behaviour test names a benefit status by its key (the SPEC's stable rule name, e.g. 'off_track')
and reads the code the warehouse stores for it and the label a board shows from
marts.dim_benefit_status; an explanation that quotes a threshold is built from
marts.dim_status_threshold, while the hand-worked numbers (CPI 0.8, 77 days, £ amounts) stay
literal in the tests. So renaming a status or moving a threshold in dbt_project.yml breaks only
the tests that pin the vocabulary and the thresholds (tests/test_benefit_marts.py:
test_the_status_vocabulary_is_one_table, test_status_descriptions_quote_the_current_thresholds),
not the tests of what the pipeline does.

Read with plain SQL, not through pipelines.vocabulary: the tests check that code, they do not
lean on it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import duckdb


class StatusWords(NamedTuple):
    code: str    # marts.dim_benefit_status.status: what fct_benefit_status stores
    label: str   # status_label: what a board reads
    tone: str
    colour: str


def _fetch(warehouse: Path | str, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@lru_cache(maxsize=None)
def _statuses(warehouse: str) -> dict[str, StatusWords]:
    rows = _fetch(warehouse, "SELECT status_key, status, status_label, tone, colour FROM marts.dim_benefit_status")
    return {key: StatusWords(*words) for key, *words in rows}


@lru_cache(maxsize=None)
def _thresholds(warehouse: str) -> dict[str, float]:
    return dict(_fetch(warehouse, "SELECT threshold_name, threshold_value FROM marts.dim_status_threshold"))


def status_words(warehouse: Path | str, key: str) -> StatusWords:
    """Code, label, tone and colour of the status whose SPEC rule name is `key`."""
    return _statuses(str(warehouse))[key]


def code_of(warehouse: Path | str, key: str) -> str:
    return status_words(warehouse, key).code


def label_of(warehouse: Path | str, key: str) -> str:
    return status_words(warehouse, key).label


def codes_of(warehouse: Path | str, *keys: str) -> list[str]:
    return [code_of(warehouse, key) for key in keys]


def labels_of(warehouse: Path | str, *keys: str) -> list[str]:
    return [label_of(warehouse, key) for key in keys]


def threshold(warehouse: Path | str, name: str) -> float:
    return _thresholds(str(warehouse))[name]


def quoted(value: float) -> str:
    """A number as dbt writes a var into a text: 60 for 60.0, 0.85 for 0.85."""
    return str(int(value)) if float(value).is_integer() else str(value)


def threshold_text(warehouse: Path | str, name: str) -> str:
    return quoted(threshold(warehouse, name))


def red_reasons(warehouse: Path | str, *, cpi: float, spi: float, key_slippage_days: int,
                critical_unmitigated: int) -> str:
    """fct_project_health.derived_rag_reasons of a red project with these hand-worked measures:
    every red trigger they fire at the current thresholds, in the order dbt lists them."""
    t = _thresholds(str(warehouse))
    triggers = [
        (cpi < t["cpi_red_below"], f"CPI {quoted(cpi)} < {quoted(t['cpi_red_below'])}"),
        (spi < t["spi_red_below"], f"SPI {quoted(spi)} < {quoted(t['spi_red_below'])}"),
        (key_slippage_days > t["slippage_red_over_days"],
         f"key milestone {key_slippage_days} days late (> {quoted(t['slippage_red_over_days'])})"),
        (critical_unmitigated > 0,
         f"{critical_unmitigated} critical risk/issue open > {quoted(t['mitigation_overdue_days'])} days "
         "without mitigation"),
    ]
    return "; ".join(text for fires, text in triggers if fires)


def pb_red_reasons(warehouse: Path | str) -> str:
    """Why PB (tests/data/portfolio, evaluation month 2026-03) is derived red; the measures are the
    hand-worked ones of tests/test_delivery_health.py: CPI = SPI = 0.8 (EV 360k, AC = PV 450k),
    MB2 77 days late, RB1 a critical issue open 73 days without mitigation."""
    return red_reasons(warehouse, cpi=0.8, spi=0.8, key_slippage_days=77, critical_unmitigated=1)
