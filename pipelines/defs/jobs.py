"""Jobs: everything, the monthly board cycle, and the landing-folder refresh the sensor starts."""

from dagster import AssetKey, AssetSelection, define_asset_job

ALL_ASSETS_JOB = "materialize_all"
BOARD_CYCLE_JOB = "monthly_board_cycle"
LANDING_JOB = "landing_refresh"
LANDING_ASSET = AssetKey(["raw", "kpi_measurements"])
LANDING_OP = "raw__kpi_measurements"
# The month calendar reads only the as-of date and the date window, no source: a sensor run (as
# of its own day) rebuilds it and what depends on it, like every other model that reads as_of.
CALENDAR_ASSET = AssetKey(["intermediate", "int_calendar_months"])

# Tags a run can carry: its as-of date, and a full rebuild of the incremental dbt models.
FULL_REFRESH_TAG = "brw/full_refresh"

materialize_all = define_asset_job(
    ALL_ASSETS_JOB,
    selection=AssetSelection.all(),
    description=(
        "Ingest every source (new landing files only), dbt build (incremental where data grows, "
        "snapshots, tests), asset checks, publish the dashboard's read copy, alerts and board pack."
    ),
)

board_cycle = define_asset_job(
    BOARD_CYCLE_JOB,
    selection=AssetSelection.all(),
    description="Full rebuild as of the first of the month (evaluation month = the month just ended), then the board pack.",
    tags={FULL_REFRESH_TAG: "true"},
)

landing_refresh = define_asset_job(
    LANDING_JOB,
    selection=AssetSelection.assets(LANDING_ASSET, CALENDAR_ASSET).downstream(),
    description="Load the landing files a sensor saw complete, then rebuild only what depends on them.",
)
