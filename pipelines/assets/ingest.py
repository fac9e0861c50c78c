"""One ingest asset per source file or folder (SPEC section 2), group `ingest`.

Each asset validates its file(s) and loads the good rows into `raw.<source>` in one
transaction; bad rows go to `audit.quarantine` and the counts to `audit.load_audit`. The asset
keys are the dbt sources' (`raw/<table>`), so the graph reads raw → staging → marts.
"""


from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from pipelines.contract import SOURCES, Source
from pipelines.ingest import SourceContractError, load_source, quarantine_samples
from pipelines.resources import WarehouseResource


def raw_asset_key(source: Source) -> AssetKey:
    return AssetKey(["raw", source.name])


def _schema(source: Source) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(c.name, c.sql_type.lower(), description=None if c.required else "optional")
            for c in source.columns
        ]
    )


def build_ingest_asset(source: Source) -> AssetsDefinition:
    kinds = {"duckdb", "parquet", "csv"} if source.landing_folder else {"duckdb", "csv"}

    @asset(
        key=raw_asset_key(source),
        group_name="ingest",
        deps=[AssetKey(["raw", upstream]) for upstream in source.upstream],
        description=f"{source.description}\n\nLoaded from `{source.path}` in the source directory.",
        kinds=kinds,
        metadata={"source_path": source.path, "dagster/column_schema": _schema(source)},
    )
    def _ingest(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        try:
            with warehouse.connect() as conn:
                result = load_source(conn, source, warehouse.source_path, context.run.run_id, log=context.log.info)
                samples = quarantine_samples(conn, [f.source_file for f in result.files])
        except SourceContractError as exc:
            raise Failure(description=str(exc)) from exc
        for f in result.files:
            context.log.info(
                f"{f.source_file}: {f.rows_read} read, {f.rows_loaded} loaded, {f.rows_quarantined} quarantined"
            )
        for line in samples:
            context.log.warning(f"quarantined: {line}")
        return MaterializeResult(
            metadata={
                "rows_read": result.rows_read,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "dagster/row_count": result.table_rows,
                "files_loaded": len(result.files),
                "files_already_loaded": len(result.skipped_files),
                "moved_to_quarantine": result.moved_to_quarantine,
                "quarantine_by_reason": MetadataValue.json(result.reasons),
                "quarantine_sample": MetadataValue.md("\n".join(f"- {s}" for s in samples) or "none"),
            }
        )

    return _ingest


INGEST_ASSETS = [build_ingest_asset(source) for source in SOURCES]
