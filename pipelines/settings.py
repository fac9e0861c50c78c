"""Where the sources are, where the warehouse is, and the as-of date (SPEC sections 3 and 8).

Flags win over the environment (BRW_SOURCE_DIR, BRW_WAREHOUSE, BRW_AS_OF), which wins over the
defaults: the repo's `seeds/`, `warehouse/brw.duckdb` and today.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_SOURCE_DIR = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "brw.duckdb"
DEFAULT_REPORTS_DIR = REPO_ROOT / "reports"


class SettingsError(ValueError):
    pass


def parse_as_of(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"as-of date {value!r} is not a date in the form YYYY-MM-DD") from None


@dataclass(frozen=True)
class Settings:
    source_dir: Path
    warehouse: Path
    as_of: date | None  # None: today, decided when each run starts (long-running `dg dev`)
    reports_dir: Path = DEFAULT_REPORTS_DIR

    @classmethod
    def resolve(
        cls,
        source_dir: str | Path | None = None,
        warehouse: str | Path | None = None,
        as_of: str | date | None = None,
    ) -> Settings:
        env = os.environ
        source = source_dir or env.get("BRW_SOURCE_DIR") or DEFAULT_SOURCE_DIR
        wh = warehouse or env.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE
        as_of_value = as_of or env.get("BRW_AS_OF") or None
        if as_of_value is not None and not isinstance(as_of_value, date):
            as_of_value = parse_as_of(str(as_of_value))
        reports = Path(env.get("BRW_REPORTS_DIR") or DEFAULT_REPORTS_DIR)
        return cls(
            Path(source).expanduser().resolve(),
            Path(wh).expanduser().resolve(),
            as_of_value,
            reports.expanduser().resolve(),
        )

    @property
    def effective_as_of(self) -> date:
        return self.as_of or date.today()

    def export(self) -> None:
        """Put the settings in the environment, for the dbt subprocess and child processes."""
        os.environ["BRW_SOURCE_DIR"] = str(self.source_dir)
        os.environ["BRW_WAREHOUSE"] = str(self.warehouse)
        os.environ["BRW_REPORTS_DIR"] = str(self.reports_dir)
        if self.as_of is not None:
            os.environ["BRW_AS_OF"] = self.as_of.isoformat()
