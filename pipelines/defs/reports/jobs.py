"""The monthly board cycle: a full rebuild, then the board pack."""

from dagster import AssetSelection, define_asset_job

from pipelines.defs.transform.assets import FULL_REFRESH_TAG

BOARD_CYCLE_JOB = "monthly_board_cycle"

board_cycle = define_asset_job(
    BOARD_CYCLE_JOB,
    selection=AssetSelection.all(),
    description="Full rebuild as of the first of the month (evaluation month = the month just ended), then the board pack.",
    tags={FULL_REFRESH_TAG: "true"},
)
