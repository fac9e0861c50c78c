"""The job that materializes everything (`brw run`, the daily refresh, the UI's default)."""

from dagster import AssetSelection, define_asset_job

ALL_ASSETS_JOB = "materialize_all"

materialize_all = define_asset_job(
    ALL_ASSETS_JOB,
    selection=AssetSelection.all(),
    description=(
        "Ingest every source (new landing files only), dbt build (incremental where data grows, "
        "snapshots, tests), asset checks, publish the dashboard's read copy, alerts and board pack."
    ),
)
