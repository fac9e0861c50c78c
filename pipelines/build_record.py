"""What the warehouse was built from: one record (`audit.build_state`) that every run writes.

Each step records what it built once it has succeeded, whoever started the run (`brw run`, the
Dagster UI, a schedule, the landing sensor); `brw run` plans from this record (pipelines.plan):

- `source:<name>`, by the ingest asset: the fingerprint of the source it loaded
  (pipelines.fingerprints). Which KPI landing files were loaded, with their size and mtime, is in
  `audit.loaded_files`, which the landing sensor reads too;
- `built:<name>`, by the dbt step: the raw version (`raw_versions`) that every dbt model
  downstream of that source was built from; recorded only when the step built all of them, so a
  partial selection leaves the rest to rebuild;
- `as_of`, by the dbt step: the as-of date, when it built every model that reads it and their
  dependants; `reporting_currency` likewise (BRW_REPORTING_CURRENCY, the reporting_currency() macro);
- `dbt_project`, by the dbt step, with the manifest of that build (`audit.build_manifest`): once
  it built every model that dbt's `state:modified+` selects against the previous manifest (every
  model when there is none), the project's fingerprint and the new manifest;
- `transform_code` and `dbt_vars`, by the dbt step, when it built every model (dbt's
  state:modified does not compare vars); `model:<name>`: the run that last built that model;
- `report:<asset>`, by the reports: their code, the as-of date and the builds of the models they
  read (REPORT_INPUTS); `publish`, by the read copy: its code and the loads and builds it copied.

A step that fails records nothing, so a failed run leaves nothing recorded as built that was not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import duckdb

from pipelines.fingerprints import LANDING_SOURCE, LANDING_SOURCES, hash_parts
from pipelines.load.contract import SOURCES
from pipelines.settings import DBT_PROJECT_DIR

STATE_TABLE = "audit.build_state"
MANIFEST_TABLE = "audit.build_manifest"
STATE_DDL = f"""
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    item VARCHAR PRIMARY KEY,     -- source:<name>, built:<name>, model:<name>, as_of, dbt_project, report:<name>, ...
    fingerprint VARCHAR NOT NULL, -- what that item was built from
    run_id VARCHAR NOT NULL,      -- the run that built it
    recorded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS {MANIFEST_TABLE} (
    manifest VARCHAR NOT NULL,    -- dbt's manifest.json of the build recorded as dbt_project
    run_id VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
"""
AS_OF_MACROS = ("macro.brw.as_of_date",)
REPORTING_CURRENCY_MACROS = ("macro.brw.reporting_currency",)
# What each report reads: the asset keys of the dbt models (snap_benefits: the old → new values of
# a rebaseline).
REPORT_INPUTS = {
    "benefit_alerts": ("marts/dim_benefit", "marts/dim_project", "marts/fct_benefit_status",
                       "marts/fct_project_health", "snapshots/snap_benefits"),
    "board_pack": ("marts/dim_benefit", "marts/dim_project", "marts/fct_benefit_status",
                   "marts/fct_portfolio_monthly", "marts/fct_project_health",
                   "marts/fct_benefit_checkin"),  # the owners' check-ins: not downstream of the statuses
}


def _exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchone()[0])


def read_record(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], str | None]:
    """({item: fingerprint}, the run that recorded last)."""
    if not _exists(conn, STATE_TABLE):
        return {}, None
    rows = conn.execute(f"SELECT item, fingerprint, run_id FROM {STATE_TABLE} ORDER BY recorded_at, item").fetchall()
    return {item: fp for item, fp, _ in rows}, (rows[-1][2] if rows else None)


def write_record(conn: duckdb.DuckDBPyConnection, items: dict[str, str], run_id: str, manifest: str | None = None) -> None:
    """Record these items (and the manifest of the build) in one transaction."""
    conn.execute(STATE_DDL)
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute("BEGIN")
    try:
        conn.executemany(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?)",
                         [(k, v, run_id, now) for k, v in items.items()])
        if manifest is not None:
            conn.execute(f"DELETE FROM {MANIFEST_TABLE}")
            conn.execute(f"INSERT INTO {MANIFEST_TABLE} VALUES (?, ?, ?)", [manifest, run_id, now])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def read_manifest(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The manifest.json of the build recorded as `dbt_project` (None: none recorded)."""
    if not _exists(conn, MANIFEST_TABLE):
        return None
    row = conn.execute(f"SELECT manifest FROM {MANIFEST_TABLE}").fetchone()
    return row[0] if row else None


def raw_versions(conn: duckdb.DuckDBPyConnection, record: dict[str, str]) -> dict[str, str]:
    """{source: what raw.<source> holds now}: its recorded fingerprint; for the landing folder
    with the content of every file loaded (audit.loaded_files)."""
    versions = {s.name: record.get(f"source:{s.name}", "") for s in SOURCES}
    # each loaded file belongs to the landing source whose load audited it (the KPI folder when
    # none did: warehouses from before there were two landing folders)
    files = conn.execute(
        f"""SELECT f.source_file, f.content_hash, coalesce(a.source, '{LANDING_SOURCE.name}')
            FROM audit.loaded_files AS f
            LEFT JOIN (SELECT source_file, any_value(source) AS source FROM audit.load_audit
                       WHERE source IN ({", ".join(f"'{s.name}'" for s in LANDING_SOURCES)}) GROUP BY source_file) AS a
                ON a.source_file = f.source_file
            ORDER BY f.source_file"""
    ).fetchall() if _exists(conn, "audit.loaded_files") else []
    for source in LANDING_SOURCES:
        versions[source.name] = hash_parts(
            [versions[source.name], *(x for name, digest, owner in files if owner == source.name for x in (name, digest))]
        )
    return versions


def report_fingerprint(name: str, code: str, as_of: str, record: dict[str, str]) -> str:
    """What the report `name` made now with this code would be made from."""
    models = (key.rsplit("/", 1)[-1] for key in REPORT_INPUTS[name])
    return hash_parts([code, as_of, *(f"{m}={record.get(f'model:{m}')}" for m in models)])


def publish_fingerprint(code: str, record: dict[str, str]) -> str:
    """What the read copy published now with this code would hold: every load and every build."""
    return hash_parts([code, *(f"{k}={v}" for k, v in sorted(record.items()) if k.startswith(("source:", "model:")))])


# --------------------------------------------------------------------------- the dbt graph


@lru_cache(maxsize=4)
def _graph(manifest_path: Path, mtime_ns: int) -> tuple[dict, dict]:
    manifest = json.loads(Path(manifest_path).read_text())
    return manifest["nodes"], manifest["child_map"]


def dbt_graph(manifest_path: Path | None = None) -> tuple[dict, dict]:
    """(nodes, child_map) of the dbt manifest (default: the project's target/manifest.json)."""
    path = Path(manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json")
    return _graph(path, path.stat().st_mtime_ns)


def _is_model(node: dict | None) -> bool:
    return node is not None and node["resource_type"] in ("model", "snapshot")


def all_models(manifest_path: Path | None = None) -> set[str]:
    nodes, _ = dbt_graph(manifest_path)
    return {n["name"] for n in nodes.values() if _is_model(n)}


def incremental_models(manifest_path: Path | None = None) -> set[str]:
    """Names of the incremental models (their rows outlive a build)."""
    nodes, _ = dbt_graph(manifest_path)
    return {n["name"] for n in nodes.values()
            if n["resource_type"] == "model" and n.get("config", {}).get("materialized") == "incremental"}


def descendants(unique_ids, manifest_path: Path | None = None) -> set[str]:
    """Names of the models and snapshots that are, or depend on, these nodes or sources."""
    nodes, children = dbt_graph(manifest_path)
    seen, stack = set(), list(unique_ids)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return {nodes[n]["name"] for n in seen if _is_model(nodes.get(n))}


def models_of(unique_ids, manifest_path: Path | None = None) -> set[str]:
    """Names of these nodes' models and snapshots; a data test: the models it checks."""
    nodes, _ = dbt_graph(manifest_path)
    names = set()
    for uid in unique_ids:
        node = nodes.get(uid)
        if _is_model(node):
            names.add(node["name"])
        elif node is not None and node["resource_type"] == "test":
            names |= {nodes[n]["name"] for n in node["depends_on"]["nodes"] if _is_model(nodes.get(n))}
    return names


def downstream_of_source(source: str, manifest_path: Path | None = None) -> set[str]:
    """The models built from raw.<source>, directly or not."""
    return descendants([f"source.brw.raw.{source}"], manifest_path)


def as_of_models(manifest_path: Path | None = None) -> tuple[str, ...]:
    """Names of the dbt models that read the as-of date (through as_of_date(), directly or via
    another macro), from the manifest's macro dependencies."""
    return models_reading(AS_OF_MACROS, manifest_path)


def reporting_currency_models(manifest_path: Path | None = None) -> tuple[str, ...]:
    """Names of the dbt models that read the reporting currency (reporting_currency())."""
    return models_reading(REPORTING_CURRENCY_MACROS, manifest_path)


def models_reading(macros_read: tuple[str, ...], manifest_path: Path | None = None) -> tuple[str, ...]:
    """Names of the dbt models that call one of these macros, directly or via another macro."""
    path = Path(manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json")
    manifest = json.loads(path.read_text())
    macros = manifest["macros"]

    def reads_as_of(macro_ids: list[str]) -> bool:
        seen, stack = set(), list(macro_ids)
        while stack:
            macro = stack.pop()
            if macro in seen:
                continue
            if macro in macros_read:
                return True
            seen.add(macro)
            stack.extend(macros.get(macro, {}).get("depends_on", {}).get("macros", []))
        return False

    return tuple(sorted(
        node["name"] for node in manifest["nodes"].values()
        if _is_model(node) and reads_as_of(node["depends_on"]["macros"])
    ))


def as_of_dependants(manifest_path: Path | None = None) -> set[str]:
    return _dependants(as_of_models(manifest_path), manifest_path)


def reporting_currency_dependants(manifest_path: Path | None = None) -> set[str]:
    return _dependants(reporting_currency_models(manifest_path), manifest_path)


def _dependants(models, manifest_path: Path | None = None) -> set[str]:
    nodes, _ = dbt_graph(manifest_path)
    names = set(models)
    return descendants([uid for uid, n in nodes.items() if _is_model(n) and n["name"] in names], manifest_path)


def project_is_new(record: dict[str, str], project: str) -> bool:
    """Whether a build of the dbt project `project` may record it (and its manifest.json) as built:
    the record holds another project, or none."""
    return record.get("dbt_project") != project


def dbt_build_items(
    run_id: str, built: set[str], record: dict[str, str], versions: dict[str, str], as_of: str, project: str,
    every_model: dict[str, str], project_changes: list[str] | None, manifest_path: Path | None = None,
    reporting_currency: str | None = None,
) -> tuple[dict[str, str], bool]:
    """(the items a dbt step of `run_id` that built the models `built` records, whether it records
    the project's manifest too). `versions`: the raw versions when it started; `every_model`: the
    items recorded only when every model was built (transform_code, dbt_vars); `project_changes`:
    the models brw run found changed in the dbt project (None: not known, every model must be built);
    `reporting_currency`: the one the build converted to (recorded once every model reading it is built)."""
    everything = all_models(manifest_path) <= built
    items = {f"model:{name}": run_id for name in sorted(built)}
    items |= {f"built:{name}": versions[name] for name in versions if downstream_of_source(name, manifest_path) <= built}
    if as_of_dependants(manifest_path) <= built:
        items["as_of"] = as_of
    if reporting_currency is not None and reporting_currency_dependants(manifest_path) <= built:
        items["reporting_currency"] = reporting_currency
    if everything:
        items |= every_model
    if project_is_new(record, project) and (everything or (project_changes is not None and set(project_changes) <= built)):
        items["dbt_project"] = project
        return items, True
    return items, False
