"""One ingest asset per source file or folder (SPEC section 2), group `ingest`.

Each asset validates its file(s) and loads the good rows into `raw.<source>` in one
transaction; bad rows go to `audit.quarantine` and the counts to `audit.load_audit`; then it
records the fingerprint of what it loaded (pipelines.build_record). The asset keys are the dbt
sources' (`raw/<table>`), so the graph reads raw → staging → marts.

They are built for the settings (`ingest_assets(mapping)`, called by pipelines.definitions): a
sources.yml mapping adds the files it reads to the lineage.
"""

from functools import cache

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)

from pipelines.build_record import write_record
from pipelines.defs.ingest import checks
from pipelines.defs.options import RunOptions
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprints import code_fingerprints, source_fingerprints
from pipelines.formatting import markdown_text as md_text
from pipelines.load import SourceContractError, load_source, quarantine_samples
from pipelines.load.contract import SOURCES, Source


class LandingFilesConfig(RunOptions):
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


def build_ingest_asset(source: Source, input_key: AssetKey | None = None) -> AssetsDefinition:
    """The ingest asset of one source; `input_key`: the mapped input it reads (for lineage)."""
    kinds = {"duckdb", "parquet", "csv"} if source.landing_folder else {"duckdb", "csv"}
    key = raw_asset_key(source)

    def load(context: AssetExecutionContext, warehouse: WarehouseResource, options: RunOptions,
             files: list[str]) -> MaterializeResult:
        run_id = context.run.run_id
        try:
            with warehouse.connect() as conn:
                mapping = warehouse.load_mapping()
                if mapping is not None and mapping.table(source.name) is not None:
                    from pipelines.mapping import validate

                    validate(conn, mapping, warehouse.source_path, tables=[source.name])
                    context.log.info(f"{source.name}: read through the mapping {mapping.path}")
                # fingerprinted before reading: a file changed meanwhile is loaded again next time
                load_code = code_fingerprints()["load"]
                content, loaded = source_fingerprints(warehouse.source_path, mapping, load_code)[source.name]
                result = load_source(conn, source, warehouse.source_path, run_id, log=context.log.info,
                                     only_files=files or None, as_of=options.as_of_date(warehouse),
                                     mapping=mapping)
                write_record(conn, {f"source:{source.name}": loaded, f"content:{source.name}": content,
                                    "load_code": load_code}, run_id)
                samples = quarantine_samples(conn, [f.source_file for f in result.files], source=source.name)
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
        deps=[AssetKey(["raw", upstream]) for upstream in source.upstream] + ([input_key] if input_key else []),
        description=f"{source.description}\n\nLoaded from `{source.path}` in the source directory.",
        kinds=kinds,
        metadata={"source_path": source.path, "dagster/column_schema": _schema(source)},
        check_specs=checks.ingest_check_specs(key),
    )
    if source.landing_folder:

        @asset(**common)
        def _ingest_landing(
            context: AssetExecutionContext, warehouse: WarehouseResource, config: LandingFilesConfig
        ) -> MaterializeResult:
            return load(context, warehouse, config, config.files)

        return _ingest_landing

    @asset(**common)
    def _ingest_file(
        context: AssetExecutionContext, warehouse: WarehouseResource, config: RunOptions
    ) -> MaterializeResult:
        return load(context, warehouse, config, [])

    return _ingest_file


@cache
def contract_ingest_assets() -> tuple[AssetsDefinition, ...]:
    """The ingest assets of contract-format source files (built once)."""
    return tuple(build_ingest_asset(source) for source in SOURCES)


def mapped_input_specs(mapping) -> dict[str, AssetSpec]:
    """{table: the external asset of its mapped input}: the UI's lineage shows file → raw table."""
    specs = {}
    for name, table_map in (mapping.tables.items() if mapping is not None else []):
        if table_map.absent or table_map.input is None:
            continue
        spec = table_map.input
        suffix = spec.file.rsplit(".", 1)[-1].lower() if "." in spec.file else "file"
        kind = "excel" if suffix in ("xlsx", "xlsm", "xlsb", "xls", "ods") else suffix
        where = f", sheet {spec.sheet!r}" if spec.sheet is not None else ""
        specs[name] = AssetSpec(
            key=AssetKey(["source_files", name]),
            group_name="source_files",
            description=f"`{spec.file}`{where} in the source directory, mapped onto `{name}` by "
                        f"{mapping.path.name if mapping.path else 'the mapping'} (README, 'Your own exports').",
            kinds={kind},
            metadata={"input": spec.file, "mapping": str(mapping.path or "")},
        )
    return specs


def ingest_assets(mapping) -> list:
    """The ingest assets, and for a mapped source directory the input files they read."""
    specs = mapped_input_specs(mapping)
    if not specs:
        return list(contract_ingest_assets())
    return [*specs.values(),
            *(build_ingest_asset(s, specs[s.name].key if s.name in specs else None) for s in SOURCES)]
