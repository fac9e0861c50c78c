"""Jobs: everything, the monthly board cycle, and the landing-folder refresh the sensor starts."""

from dagster import AssetKey, AssetSelection, define_asset_job

ALL_ASSETS_JOB = "materialize_all"
BOARD_CYCLE_JOB = "monthly_board_cycle"
LANDING_JOB = "landing_refresh"
LANDING_ASSET = AssetKey(["raw", "kpi_measurements"])
LANDING_OP = "raw__kpi_measurements"

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
    selection=AssetSelection.assets(LANDING_ASSET).downstream(),
    description="Load the landing files a sensor saw complete, then rebuild only what depends on them.",
)
