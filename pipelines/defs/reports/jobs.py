"""The monthly board cycle: a full rebuild, then the board pack."""

from dagster import AssetSelection, define_asset_job

from pipelines.defs.options import RunOptions, options_run_config

BOARD_CYCLE_JOB = "monthly_board_cycle"

board_cycle = define_asset_job(
    BOARD_CYCLE_JOB,
    selection=AssetSelection.all(),
    description="Full rebuild as of the first of the month (evaluation month = the month just ended), then the board pack.",
    config=options_run_config(RunOptions(full_refresh=True)),  # launched from the UI: a full rebuild too
)
