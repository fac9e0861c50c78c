"""Run options: how one run builds, as Dagster run config (not run tags).

Every asset that depends on them declares `config: RunOptions` (the KPI landing asset and dbt a
subclass with their own fields): the ingest assets, dbt and the reports. `brw run`, the
schedules and the landing sensor pass them in the run config (`options_run_config`); a run
launched from the UI without config gets the defaults: as of the warehouse resource's date, else
the day it runs, incremental. The `brw/as_of` tag (AS_OF_LABEL) only labels runs for people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import dagster as dg
from pydantic import Field

from pipelines.load.contract import SOURCES
from pipelines.settings import parse_as_of

AS_OF_LABEL = "brw/as_of"  # a tag for people: the as-of date in the run's config

# The ops whose assets take RunOptions (tests/test_definitions.py checks it against the definitions).
OPTION_OPS = (*(f"raw__{s.name}" for s in SOURCES), "brw_dbt", "reports__benefit_alerts", "reports__board_pack")


class RunOptions(dg.Config):
    """The as-of date, a full refresh of the incremental dbt models, the engine dbt builds on."""

    as_of: str = Field(
        default="", description="The as-of date, YYYY-MM-DD; empty: the warehouse resource's, else the day the run starts."
    )
    full_refresh: bool = Field(
        default=False, description="Rebuild the incremental dbt models from scratch (the monthly board cycle)."
    )
    engine: str = Field(
        default="", description="What dbt builds the models on: duckdb or spark (pipelines.engine); empty: env "
                                "BRW_ENGINE, else duckdb."
    )

    def as_of_date(self, warehouse) -> date:
        """The as-of date of this run: the option, else the warehouse resource's, else today."""
        value = self.as_of or warehouse.as_of
        return parse_as_of(value) if value else date.today()


def options_run_config(options: RunOptions, ops: Iterable[str] = OPTION_OPS,
                       extra: Mapping[str, Mapping] | None = None) -> dict:
    """Run config giving these options to every op of `ops`, plus `extra` ({op: more config})."""
    values = options.model_dump()
    return {"ops": {op: {"config": {**values, **(extra or {}).get(op, {})}} for op in ops}}
