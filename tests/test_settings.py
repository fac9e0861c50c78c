"""Where a run's as-of date comes from (SPEC section 3): --as-of, then BRW_AS_OF, then the
source directory's own as_of.yml (the demo's), then today."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.settings import SettingsError, Settings, source_as_of
from tests.conftest import SEEDS


def test_the_demo_pins_the_day_after_its_last_data():
    assert source_as_of(SEEDS) == date(2026, 11, 21)
    assert Settings.resolve(SEEDS).as_of == date(2026, 11, 21)


def test_a_flag_and_the_environment_win_over_the_source_directory(monkeypatch):
    assert Settings.resolve(SEEDS, as_of="2026-12-01").as_of == date(2026, 12, 1)
    monkeypatch.setenv("BRW_AS_OF", "2026-11-30")
    assert Settings.resolve(SEEDS).as_of == date(2026, 11, 30)


def test_a_source_directory_without_a_date_runs_as_of_today(tmp_path):
    assert source_as_of(tmp_path) is None
    assert Settings.resolve(tmp_path).as_of is None  # today, decided when the run starts


@pytest.mark.parametrize("text", ["as_of: 2026-13-01\n", "as_of: [1]\n", "- 2026-11-21\n", "as_of: '2026-1-1x'\n"])
def test_a_bad_pinned_date_names_the_file(tmp_path, text):
    (tmp_path / "as_of.yml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="as_of.yml"):
        Settings.resolve(tmp_path)


def test_dbt_writes_no_debug_file_log_unless_asked(monkeypatch):
    """dbt's debug log costs seconds of every build: off, unless DBT_LOG_LEVEL_FILE is set."""
    from pipelines.settings import dbt_file_log_env

    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    assert dbt_file_log_env() == {"DBT_LOG_LEVEL_FILE": "none"}
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    assert dbt_file_log_env() == {}  # dbt reads it from the environment it inherits
