"""Ingest: source files into `raw.*`, their load checks, the KPI landing sensor and its job."""
