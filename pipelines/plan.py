"""What a `brw run` has to rebuild.

A run compares fingerprints with the ones the last complete `brw run` recorded in
`audit.build_state`:
- each source (a file's content hash; for the KPI landing folder, its file names, sizes and
  modification times),
- the as-of date,
- the dbt project's files and the ingestion code (the pipelines/load and pipelines/mapping packages).

It then materializes the changed sources and everything downstream of them, plus — when the
as-of date moved — every dbt model that reads the as-of date and everything downstream of
those. A changed dbt project or ingestion code, a warehouse without recorded state, or
`brw run --all` rebuilds everything. Nothing changed: nothing to do.

The state is cleared when a planned run starts and written when it succeeds, so after a failed
run the next one rebuilds everything. Runs started elsewhere (the Dagster UI, schedules, the
sensor) clear it too (`invalidate`): after them, the next `brw run` rebuilds everything rather
than trust a state it did not write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
from dagster import AssetKey

from pipelines.load.contract import SOURCES, Source
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT

PLANNED_TAG = "brw/planned"  # set on runs whose selection this module computed
AS_OF_MACROS = ("macro.brw.as_of_date",)
STATE_TABLE = "audit.build_state"
STATE_DDL = f"""
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    item VARCHAR PRIMARY KEY,     -- source:<name>, as_of, dbt_project, ingest_code
    fingerprint VARCHAR NOT NULL, -- what that item was when the warehouse was last built from it
    run_id VARCHAR NOT NULL,      -- the brw run that built it
    recorded_at TIMESTAMP NOT NULL
);
"""
_INGEST_CODE = tuple(sorted(p for folder in ("load", "mapping") for p in (REPO_ROOT / "pipelines" / folder).rglob("*.py")))


def _hash_bytes(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk if isinstance(chunk, bytes) else str(chunk).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def source_fingerprint(source_dir: Path, source: Source, mapping=None) -> str:
    table_map = mapping.table(source.name) if mapping is not None else None
    if table_map is not None:  # a mapped table: its mapping and its input files
        from pipelines.mapping import input_files, input_signatures

        if table_map.absent:
            return "absent"
        if source.landing_folder:
            signatures = input_signatures(source_dir, source.name, table_map)
            return _hash_bytes([mapping.table_digest(source.name), *(f"{n}|{s}|{m}" for n, (s, m) in sorted(signatures.items()))])
        files = input_files(source_dir, source.name, table_map)
        return _hash_bytes([mapping.table_digest(source.name), *(x for f in files for x in (f.name, f.read_bytes()))])
    path = Path(source_dir) / source.path
    if source.landing_folder:
        if not path.is_dir():
            return "missing"
        from pipelines.load import landing_signatures

        return _hash_bytes(f"{name}|{size}|{mtime}" for name, (size, mtime) in sorted(landing_signatures(path).items()))
    if not path.is_file():
        return "missing"
    return _hash_bytes([path.read_bytes()])


def _tree_fingerprint(project_dir: Path) -> str:
    from pipelines.dbt_manifest import project_files

    files = project_files(project_dir)
    return _hash_bytes(x for f in files for x in (str(f.relative_to(project_dir)), f.read_bytes()))


def fingerprints(source_dir: Path, as_of: date, mapping=None) -> dict[str, str]:
    items = {f"source:{s.name}": source_fingerprint(source_dir, s, mapping) for s in SOURCES}
    items["as_of"] = as_of.isoformat()
    items["dbt_project"] = _tree_fingerprint(DBT_PROJECT_DIR)
    items["ingest_code"] = _hash_bytes(p.read_bytes() for p in _INGEST_CODE)
    return items


@lru_cache(maxsize=1)
def as_of_models(manifest_path: Path | None = None) -> tuple[str, ...]:
    """Names of the dbt models that read the as-of date (through as_of_date(), directly or via
    another macro), from the manifest's macro dependencies."""
    manifest = json.loads(Path(manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    macros = manifest["macros"]

    def reads_as_of(macro_ids: list[str]) -> bool:
        seen, stack = set(), list(macro_ids)
        while stack:
            macro = stack.pop()
            if macro in seen:
                continue
            if macro in AS_OF_MACROS:
                return True
            seen.add(macro)
            stack.extend(macros.get(macro, {}).get("depends_on", {}).get("macros", []))
        return False

    return tuple(sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot") and reads_as_of(node["depends_on"]["macros"])
    ))


@dataclass
class RunPlan:
    everything: bool
    reasons: list[str]  # why, in words, for the run's first lines
    changed_sources: list[str] = field(default_factory=list)
    as_of_moved: bool = False
    fingerprints: dict[str, str] = field(default_factory=dict)
    last_run_id: str | None = None

    @property
    def nothing_to_do(self) -> bool:
        return not self.everything and not self.changed_sources and not self.as_of_moved

    def asset_keys(self, defs, dbt_assets) -> list[AssetKey] | None:
        """The assets to materialize (None: all of them)."""
        from dagster import AssetSelection
        from dagster_dbt import get_asset_key_for_model

        if self.everything:
            return None
        selection = AssetSelection.assets(*[AssetKey(["raw", name]) for name in self.changed_sources])
        if self.as_of_moved:
            keys = [get_asset_key_for_model([dbt_assets], name) for name in as_of_models()]
            selection = selection | AssetSelection.assets(*keys)
        return sorted(selection.downstream().resolve(defs.resolve_asset_graph()), key=lambda k: k.to_user_string())


def read_state(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], str | None]:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'audit' AND table_name = 'build_state'"
    ).fetchone()[0]
    if not exists:
        return {}, None
    rows = conn.execute(f"SELECT item, fingerprint, run_id FROM {STATE_TABLE}").fetchall()
    return {item: fp for item, fp, _ in rows}, (rows[0][2] if rows else None)


def plan_run(warehouse: Path, source_dir: Path, as_of: date, everything: bool = False, mapping=None) -> RunPlan:
    current = fingerprints(source_dir, as_of, mapping)
    if everything:
        return RunPlan(True, ["--all: everything"], fingerprints=current)
    if not Path(warehouse).exists():
        return RunPlan(True, ["a new warehouse: everything"], fingerprints=current)
    from pipelines.load import connect

    with contextlib.closing(connect(warehouse, read_only=True)) as conn:
        recorded, last_run = read_state(conn)
    if not recorded:
        return RunPlan(True, ["no complete brw run recorded in audit.build_state: everything"], fingerprints=current)
    for item, words in (("dbt_project", "the dbt project changed"), ("ingest_code", "the ingestion code changed")):
        if recorded.get(item) != current[item]:
            return RunPlan(True, [f"{words}: everything"], fingerprints=current, last_run_id=last_run)
    changed = [s for s in SOURCES if recorded.get(f"source:{s.name}") != current[f"source:{s.name}"]]
    moved = recorded.get("as_of") != current["as_of"]
    reasons = []
    if changed:
        from pipelines.mapping import source_label

        reasons.append("changed since the last run: " + ", ".join(source_label(s, mapping) for s in changed))
    if moved:
        reasons.append(f"as of moved from {recorded.get('as_of')} to {current['as_of']}: the models that read it")
    return RunPlan(False, reasons, [s.name for s in changed], moved, current, last_run)


def invalidate(conn: duckdb.DuckDBPyConnection) -> None:
    """Forget the recorded state: the next `brw run` rebuilds everything."""
    conn.execute(STATE_DDL)
    conn.execute(f"DELETE FROM {STATE_TABLE}")


def record_state(conn: duckdb.DuckDBPyConnection, items: dict[str, str], run_id: str) -> None:
    conn.execute(STATE_DDL)
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute("BEGIN")
    conn.execute(f"DELETE FROM {STATE_TABLE}")
    conn.executemany(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?)", [(k, v, run_id, now) for k, v in items.items()])
    conn.execute("COMMIT")
