"""``generate_source_dir``: plan the portfolio, generate its measurements and delivery data,
and write the source directory (SPEC section 2)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from pipelines.demo.catalogue import HEADERS
from pipelines.demo.delivery import delivery_tables
from pipelines.demo.measurements import (
    generate_measurements,
    restatement_batches,
    withhold_late_feed,
)
from pipelines.demo.model import GeneratorState
from pipelines.demo.portfolio import random_benefits, random_project
from pipelines.demo.stories import plant_story_projects
from pipelines.demo.writers import (
    fx_rate_tables,
    portfolio_tables,
    write_checkin_files,
    write_measurement_files,
    write_tables,
)
from pipelines.settings import SOURCE_AS_OF_FILE

STORY_PROJECTS = 12  # the planted stories are PRJ-0001..PRJ-0012
PARQUET_ABOVE_ROWS = 500_000  # measurement_format="auto": Parquet above this many rows


def generate_source_dir(out_dir: Path, projects: int = 30, years: int = 7, seed: int = 2026,
                        end: date = date(2026, 11, 20), measurement_format: str = "auto",
                        stories: bool = True,
                        progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write a synthetic, SPEC-section-2 source directory into ``out_dir``.

    Returns the number of data rows written per file (``"kpi_measurements"`` is the total over
    all measurement files; ``"kpi_measurement_files"`` their count).
    """
    if projects < 1:
        raise ValueError("projects must be >= 1")
    if years < 2:
        raise ValueError("years must be >= 2")
    if measurement_format not in ("auto", "csv", "parquet"):
        raise ValueError("measurement_format must be auto, csv or parquet")
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    ctx = GeneratorState(end, years, seed)

    say(f"planning {projects} projects over {years} years ending {end.isoformat()}")
    _plan_portfolio(ctx, projects, stories)

    say(f"generating measurements for {len(ctx.kpis)} KPIs")
    meas = generate_measurements(ctx)
    late_rows: list[list[str]] = []
    if stories and len(meas.kpi) > 20:
        meas, late_rows = withhold_late_feed(ctx, meas)
    restated = restatement_batches(ctx, meas)
    n_meas = len(meas.kpi) + sum(len(r.kpi) for r in restated.values())
    fmt = measurement_format
    if fmt == "auto":
        fmt = "parquet" if n_meas > PARQUET_ABOVE_ROWS else "csv"

    out_dir.mkdir(parents=True, exist_ok=True)
    say(f"writing {n_meas:,} measurements as {fmt}")
    counts = write_measurement_files(ctx, out_dir / "kpi_measurements", meas, restated,
                                     late_rows, fmt)
    say("writing projects, KPIs, benefits and delivery tables")
    counts.update(write_tables(out_dir, portfolio_tables(ctx)))
    counts.update(write_tables(out_dir, delivery_tables(ctx)))
    say("writing monthly exchange rates (EUR and USD to GBP)")
    counts.update(write_tables(out_dir, fx_rate_tables(ctx, seed)))
    if stories:
        say("writing the benefit owners' check-ins")
        counts.update(write_checkin_files(ctx, out_dir / "benefit_checkins"))
    write_source_as_of(out_dir, end)
    say("done")
    order = list(HEADERS) + ["kpi_measurements", "kpi_measurement_files", "restatement_rows",
                             "late_feed_rows", "benefit_checkins"]
    return {k: counts[k] for k in order if k in counts}


def write_source_as_of(out_dir: Path, end: date) -> None:
    """Pin the demo's own as-of date (the day after its last data) in as_of.yml, so that `brw run`
    judges it as of then on any day, unless --as-of or BRW_AS_OF says otherwise."""
    as_of = end + timedelta(days=1)
    (Path(out_dir) / SOURCE_AS_OF_FILE).write_text(
        "# The date this source directory is judged as of when neither --as-of nor BRW_AS_OF is given:\n"
        "# the day after its last data, so the demo's evaluation month is its last complete month.\n"
        f"as_of: {as_of.isoformat()}\n",
        encoding="utf-8",
    )


def _plan_portfolio(ctx: GeneratorState, projects: int, stories: bool) -> None:
    """The story projects first (fixed ids), then random ones; ids padded to the counts."""
    n_story = min(STORY_PROJECTS, projects) if stories else 0
    if n_story:
        plant_story_projects(ctx, n_story)
    for i in range(n_story, projects):
        p = random_project(ctx, i)
        random_benefits(ctx, p)

    pw = max(4, len(str(len(ctx.projects))))
    kw = max(4, len(str(len(ctx.kpis))))
    bw = max(4, len(str(len(ctx.benefits))))
    for p in ctx.projects:
        p.pid = f"PRJ-{p.idx + 1:0{pw}d}"
    for k in ctx.kpis:
        k.kid = f"KPI-{k.idx + 1:0{kw}d}"
    for b in ctx.benefits:
        b.bid = f"BEN-{b.idx + 1:0{bw}d}"
