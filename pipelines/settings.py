"""Where the sources are, where the warehouse is, the as-of date and the reporting currency
(SPEC sections 3 and 8).

Flags win over the environment (BRW_SOURCE_DIR, BRW_WAREHOUSE, BRW_AS_OF), which wins over the
defaults: the repo's `seeds/`, `warehouse/brw.duckdb` and today. A source directory may pin its
own as-of date in `as_of.yml` (`as_of: YYYY-MM-DD`): the demo in `seeds/` does, so that it tells
its planted stories whatever day it is run; --as-of and BRW_AS_OF still win over it.
BRW_REPORTING_CURRENCY (default GBP) is the currency every money column is also converted to
(fx_rates.csv).

Also the source rules that are settings rather than contract (SPEC section 2): the plausible
date window (BRW_EARLIEST_DATE, default 1990-01-01, to as_of + BRW_YEARS_AHEAD years, default 30)
and whether a source file may be a link to a file outside the source directory
(BRW_ALLOW_LINKS_OUT, default no).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"
# The as-of date of a run, in dbt's environment (read by the as_of_date() macro): an env var rather
# than --vars, as dbt re-parses the whole project when --vars change (~5 s), but only the files
# that read a changed env var.
DBT_AS_OF_ENV = "BRW_DBT_AS_OF"
# The reporting currency of a run, in dbt's environment (read by the reporting_currency() macro),
# handed over like the as-of date.
DBT_REPORTING_CURRENCY_ENV = "BRW_DBT_REPORTING_CURRENCY"
DEFAULT_REPORTING_CURRENCY = "GBP"
DEFAULT_SOURCE_DIR = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "brw.duckdb"
DEFAULT_REPORTS_DIR = REPO_ROOT / "reports"


DEFAULT_EARLIEST_DATE = date(1990, 1, 1)
DEFAULT_YEARS_AHEAD = 30


class SettingsError(ValueError):
    pass


def dbt_file_log_env() -> dict[str, str]:
    """What the dbt of a run gets for its own file log: none. dbt's debug log (every SQL statement
    of every node, target/<run folder>/dbt.log) costs 1.5–3 s of a build's ~170 nodes, and brw's
    log (<warehouse dir>/logs/) keeps dbt's info lines. DBT_LOG_LEVEL_FILE=debug in brw's
    environment writes it again."""
    return {} if "DBT_LOG_LEVEL_FILE" in os.environ else {"DBT_LOG_LEVEL_FILE": "none"}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class DateWindow:
    """Dates a source may hold (SPEC section 2): outside it a value is `bad_range`.

    A mistyped year (0205 for 2025) would otherwise stretch every month calendar by centuries.
    """

    earliest: date
    latest: date

    @classmethod
    def for_as_of(cls, as_of: date, earliest: date | None = None, years_ahead: int | None = None) -> DateWindow:
        """The window of a run as of `as_of`: BRW_EARLIEST_DATE to as_of + BRW_YEARS_AHEAD years."""
        env = os.environ
        if earliest is None:
            raw = env.get("BRW_EARLIEST_DATE", "").strip()
            try:
                earliest = date.fromisoformat(raw) if raw else DEFAULT_EARLIEST_DATE
            except ValueError:
                raise SettingsError(f"BRW_EARLIEST_DATE={raw!r} is not a date in the form YYYY-MM-DD") from None
        if years_ahead is None:
            raw = env.get("BRW_YEARS_AHEAD", "").strip()
            try:
                years_ahead = int(raw) if raw else DEFAULT_YEARS_AHEAD
            except ValueError:
                raise SettingsError(f"BRW_YEARS_AHEAD={raw!r} is not a whole number of years") from None
        year = as_of.year + years_ahead
        try:
            latest = as_of.replace(year=year)
        except ValueError:  # 29 February
            latest = as_of.replace(year=year, day=28)
        if latest < earliest:
            raise SettingsError(f"the date window is empty: {earliest} to {latest}")
        return cls(earliest, latest)

    def describe(self) -> str:
        return f"{self.earliest.isoformat()} to {self.latest.isoformat()}"


def links_out_allowed() -> bool:
    """BRW_ALLOW_LINKS_OUT=1: a trusted set-up may link source files from elsewhere."""
    return _env_flag("BRW_ALLOW_LINKS_OUT")


SOURCE_AS_OF_FILE = "as_of.yml"  # a source directory's own as-of date (the demo's)


def source_as_of(source_dir: Path) -> date | None:
    """The as-of date a source directory pins for itself in as_of.yml, or None."""
    path = Path(source_dir) / SOURCE_AS_OF_FILE
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a date like 2026-13-01
        raise SettingsError(f"{path}: expected `as_of: YYYY-MM-DD` ({exc})") from None
    value = data.get("as_of") if isinstance(data, dict) else None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise SettingsError(f"{path}: expected `as_of: YYYY-MM-DD`, found {data!r}")
    try:
        return parse_as_of(value)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def parse_reporting_currency(value: str | None) -> str:
    """The reporting currency (BRW_REPORTING_CURRENCY): 3 upper-case letters, default GBP. Money
    columns X of the marts have X_reporting in it, converted with fx_rates.csv."""
    code = (value or "").strip() or DEFAULT_REPORTING_CURRENCY
    if len(code) != 3 or not (code.isascii() and code.isalpha() and code.isupper()):
        raise SettingsError(f"BRW_REPORTING_CURRENCY={value!r} is not a 3-letter ISO 4217 code in upper case (e.g. GBP)")
    return code


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
    mapping: Path | None = None  # --mapping / BRW_MAPPING; else <source>/sources.yml when present
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY  # BRW_REPORTING_CURRENCY

    @classmethod
    def resolve(
        cls,
        source_dir: str | Path | None = None,
        warehouse: str | Path | None = None,
        as_of: str | date | None = None,
        mapping: str | Path | None = None,
    ) -> Settings:
        env = os.environ
        source = source_dir or env.get("BRW_SOURCE_DIR") or DEFAULT_SOURCE_DIR
        wh = warehouse or env.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE
        as_of_value = as_of or env.get("BRW_AS_OF") or None
        if as_of_value is not None and not isinstance(as_of_value, date):
            as_of_value = parse_as_of(str(as_of_value))
        if as_of_value is None:  # the source directory's own date (the demo's), else today
            as_of_value = source_as_of(Path(source).expanduser())
        reports = Path(env.get("BRW_REPORTS_DIR") or DEFAULT_REPORTS_DIR)
        mapping_value = mapping or env.get("BRW_MAPPING") or None
        return cls(
            Path(source).expanduser().resolve(),
            Path(wh).expanduser().resolve(),
            as_of_value,
            reports.expanduser().resolve(),
            Path(mapping_value).expanduser().resolve() if mapping_value else None,
            parse_reporting_currency(env.get("BRW_REPORTING_CURRENCY")),
        )

    def export(self) -> None:
        """Put the settings in the environment, for a child process that reads them (`brw dashboard`
        execs Streamlit). `brw run` does not: dbt gets the run's settings in its own environment."""
        os.environ["BRW_SOURCE_DIR"] = str(self.source_dir)
        os.environ["BRW_WAREHOUSE"] = str(self.warehouse)
        os.environ["BRW_REPORTS_DIR"] = str(self.reports_dir)
        if self.as_of is not None:
            os.environ["BRW_AS_OF"] = self.as_of.isoformat()
        if self.mapping is not None:
            os.environ["BRW_MAPPING"] = str(self.mapping)
        os.environ["BRW_REPORTING_CURRENCY"] = self.reporting_currency
