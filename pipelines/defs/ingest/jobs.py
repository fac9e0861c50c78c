"""The landing-folder refreshes that the landing sensors start: KPI measurements and owner check-ins."""

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

# Owner check-ins (pipelines.checkins writes them): what depends on them reads the measured
# statuses as the last build made them, so a check-in rebuilds only its own models and reports.
CHECKIN_JOB = "checkin_refresh"
CHECKIN_ASSET = AssetKey(["raw", "benefit_checkins"])
CHECKIN_OP = "raw__benefit_checkins"

checkin_refresh = define_asset_job(
    CHECKIN_JOB,
    selection=AssetSelection.assets(CHECKIN_ASSET).downstream(),
    description="Load the owner check-in files a sensor saw complete, then rebuild only what depends on them.",
)
