"""Sensor on the KPI landing folder: a new or changed file starts a run for that file and what
depends on it — once the file has stopped growing. When the source mapping (sources.yml) maps
kpi_measurements, the sensor watches the files its input names instead (e.g. `kpi/*.xlsx`).

The cursor (kept in the Dagster instance, so it survives restarts) holds, per file name, the
(size, mtime) seen at the last tick and the one last requested. A file is requested when it
looks the same on two consecutive ticks and differs from what was last requested; a file still
being written changes between ticks and waits.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.defs.ingest.jobs import LANDING_OP, landing_refresh
from pipelines.defs.resources import WarehouseResource
from pipelines.load import landing_signatures


def watched(warehouse: WarehouseResource) -> tuple[str, dict[str, list[int]]]:
    """(what is watched, in words; {file: [size, mtime_ns]}) for the KPI measurements."""
    from pipelines.load.contract import SOURCES_BY_NAME
    from pipelines.mapping import input_signatures

    mapping = warehouse.load_mapping()
    table_map = mapping.table("kpi_measurements") if mapping is not None else None
    if table_map is not None:
        if table_map.absent:
            return "nothing (kpi_measurements is absent in the mapping)", {}
        return (f"{table_map.input.file} in {warehouse.source_dir}",
                input_signatures(warehouse.source_path, "kpi_measurements", table_map))
    folder = warehouse.source_path / SOURCES_BY_NAME["kpi_measurements"].path
    return str(folder), landing_signatures(folder)


def evaluate(current: dict[str, list[int]] | Path, cursor: str | None) -> tuple[list[str], str]:
    """(stable new-or-changed file names to load, new cursor). `current`: the watched files'
    signatures (a folder: its landing files)."""
    state = json.loads(cursor) if cursor else {}
    seen, requested = state.get("seen", {}), state.get("requested", {})
    if isinstance(current, Path):
        current = landing_signatures(current)
    ready = sorted(
        name for name, sig in current.items() if seen.get(name) == sig and requested.get(name) != sig
    )
    requested = {name: sig for name, sig in requested.items() if name in current}
    requested.update({name: current[name] for name in ready})
    return ready, json.dumps({"seen": current, "requested": requested}, sort_keys=True)


@sensor(
    job=landing_refresh,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="New or changed files in <source>/kpi_measurements/ (or the KPI files sources.yml maps) → "
    "load them and rebuild what depends on them.",
)
def kpi_landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult | SkipReason:
    what, current = watched(warehouse)
    ready, cursor = evaluate(current, context.cursor)
    if not ready:
        context.update_cursor(cursor)
        return SkipReason(f"no complete new or changed file in {what}")
    key = hashlib.sha256(json.dumps({n: json.loads(cursor)["requested"][n] for n in ready}).encode()).hexdigest()[:16]
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"landing-{key}",
                run_config={"ops": {LANDING_OP: {"config": {"files": ready}}}},
                tags={"brw/landing_files": ", ".join(ready)[:1000]},
            )
        ],
        cursor=cursor,
    )
