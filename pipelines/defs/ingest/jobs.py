"""The landing-folder refresh that the KPI landing sensor starts."""

from dagster import AssetKey, AssetSelection, define_asset_job

LANDING_JOB = "landing_refresh"
LANDING_ASSET = AssetKey(["raw", "kpi_measurements"])
LANDING_OP = "raw__kpi_measurements"
# The month calendar reads only the as-of date and the date window, no source: a sensor run (as
# of its own day) rebuilds it and what depends on it, like every other model that reads as_of.
CALENDAR_ASSET = AssetKey(["intermediate", "int_calendar_months"])

landing_refresh = define_asset_job(
    LANDING_JOB,
    selection=AssetSelection.assets(LANDING_ASSET, CALENDAR_ASSET).downstream(),
    description="Load the landing files a sensor saw complete, then rebuild only what depends on them.",
)
