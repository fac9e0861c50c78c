"""One ingest asset per source file or folder (SPEC section 2), group `ingest`.

Each asset validates its file(s) and loads the good rows into `raw.<source>` in one
transaction; bad rows go to `audit.quarantine` and the counts to `audit.load_audit`. The asset
keys are the dbt sources' (`raw/<table>`), so the graph reads raw → staging → marts.
"""


from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from pipelines import checks
from pipelines.contract import SOURCES, Source
from pipelines.ingest import SourceContractError, load_source, quarantine_samples
from pipelines.plan import PLANNED_TAG, invalidate
from pipelines.reports import md_text
from pipelines.resources import WarehouseResource, run_as_of


class LandingFilesConfig(Config):
    """Which landing files to load: empty = every new or changed file (the sensor names them)."""

    files: list[str] = []


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
    key = raw_asset_key(source)
    check_specs = [
        AssetCheckSpec("rows_reconcile", asset=key, blocking=True,
                       description="read = loaded + quarantined for every file of the run, and the tables agree"),
        AssetCheckSpec("quarantine_rate", asset=key,
                       description=f"no file of the run has more than {checks.QUARANTINE_WARN_RATE:.0%} rows quarantined"),
    ]

    def load(context: AssetExecutionContext, warehouse: WarehouseResource, files: list[str]) -> MaterializeResult:
        run_id = context.run.run_id
        try:
            with warehouse.connect() as conn:
                if context.run.tags.get(PLANNED_TAG) != "true":
                    invalidate(conn)  # raw changes outside `brw run`'s plan: it rebuilds everything next
                result = load_source(conn, source, warehouse.source_path, run_id, log=context.log.info,
                                     only_files=files or None, as_of=run_as_of(context, warehouse))
                samples = quarantine_samples(conn, [f.source_file for f in result.files])
                check_results = [checks.rows_reconcile(conn, source.name, run_id),
                                 checks.quarantine_rate(conn, source.name, run_id)]
        except SourceContractError as exc:
            raise Failure(description=str(exc)) from exc
        for f in result.files:
            context.log.info(
                f"{f.source_file}: {f.rows_read} read, {f.rows_loaded} loaded, {f.rows_quarantined} quarantined"
            )
        for line in samples:
            context.log.warning(f"quarantined: {line}")
        for message in result.rejected_files.values():
            context.log.warning(f"rejected file: {message}")
        return MaterializeResult(
            metadata={
                "rows_read": result.rows_read,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "dagster/row_count": result.table_rows,
                "files_loaded": len(result.files),
                "files_already_loaded": len(result.skipped_files),
                "files_rejected": len(result.rejected_files),
                "moved_to_quarantine": result.moved_to_quarantine,
                "quarantine_by_reason": MetadataValue.json(result.reasons),
                "quarantine_sample": MetadataValue.md("\n".join(f"- {md_text(s)}" for s in samples) or "none"),
            },
            check_results=check_results,
        )

    common = dict(
        key=key,
        group_name="ingest",
        deps=[AssetKey(["raw", upstream]) for upstream in source.upstream],
        description=f"{source.description}\n\nLoaded from `{source.path}` in the source directory.",
        kinds=kinds,
        metadata={"source_path": source.path, "dagster/column_schema": _schema(source)},
        check_specs=check_specs,
    )
    if source.landing_folder:

        @asset(**common)
        def _ingest_landing(
            context: AssetExecutionContext, warehouse: WarehouseResource, config: LandingFilesConfig
        ) -> MaterializeResult:
            return load(context, warehouse, config.files)

        return _ingest_landing

    @asset(**common)
    def _ingest_file(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        return load(context, warehouse, [])

    return _ingest_file


INGEST_ASSETS = [build_ingest_asset(source) for source in SOURCES]
