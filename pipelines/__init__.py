"""Benefits Realization Warehouse: the Dagster code location, ingestion and the `brw` CLI."""
