"""Sensors on the landing folders: a new or changed file starts a run for that file and what
depends on it — once the file has stopped growing. `kpi_landing_sensor` watches
`kpi_measurements/` (job landing_refresh), `checkin_landing_sensor` watches `benefit_checkins/`,
where the dashboard's check-in page writes (job checkin_refresh). When the source mapping
(sources.yml) maps the table, the sensor watches the files its input names instead (e.g.
`kpi/*.xlsx`).

What counts as loaded is what the warehouse says: the size and mtime of every landing file when it
was loaded (`audit.loaded_files`), read from the published read copy (pipelines.read_copy), never
from the warehouse itself, which a run may be writing. So files that `brw run`, a schedule or
the UI loaded are not requested again. The cursor (kept in the Dagster instance) holds the
signatures seen at the last tick and the ones requested since, until the read copy shows them
loaded: a file is requested when it looks the same on two consecutive ticks (a file still being
written changes between ticks and waits), is not loaded as it is, and was not requested as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.defs.ingest.jobs import CHECKIN_OP, LANDING_OP, checkin_refresh, landing_refresh
from pipelines.defs.resources import WarehouseResource
from pipelines.fingerprints import LANDING_SOURCE, landing_signatures_by_path, unloaded_files
from pipelines.load.contract import SOURCES_BY_NAME, Source


def watched(warehouse: WarehouseResource, source: Source = LANDING_SOURCE) -> tuple[str, dict[str, list[int]]]:
    """(what is watched, in words; {path in the source directory: [size, mtime_ns]})."""
    mapping = warehouse.load_mapping()
    table_map = mapping.table(source.name) if mapping is not None else None
    if table_map is not None and table_map.absent:
        return f"nothing ({source.name} is absent in the mapping)", {}
    what = (f"{table_map.input.file} in {warehouse.source_dir}" if table_map is not None
            else str(warehouse.source_path / source.path))
    return what, landing_signatures_by_path(warehouse.source_path, mapping, source)


def loaded(warehouse: WarehouseResource) -> dict[str, tuple[int, int]]:
    """{label: (size, mtime_ns)} of the landing files loaded, as the read copy says (none without one)."""
    from pipelines.load import connect
    from pipelines.load.landing import loaded_signatures
    from pipelines.read_copy import read_copy_path

    copy = read_copy_path(warehouse.path)
    if not copy.exists():
        return {}
    with contextlib.closing(connect(copy, read_only=True)) as conn:
        return loaded_signatures(conn)


def evaluate(current: dict[str, list[int]], loaded_files: dict[str, tuple[int, int]],
             cursor: str | None) -> tuple[list[str], str]:
    """(stable files, not loaded or requested as they are, to load; the new cursor)."""
    state = json.loads(cursor) if cursor else {}
    seen, requested = state.get("seen", {}), state.get("requested", {})
    unloaded = set(unloaded_files(current, loaded_files))
    ready = sorted(
        name for name, sig in current.items() if seen.get(name) == sig and name in unloaded and requested.get(name) != sig
    )
    # a request is remembered until the read copy shows the file loaded (or the file is gone)
    requested = {name: sig for name, sig in requested.items() if name in unloaded and current.get(name) == sig}
    requested.update({name: current[name] for name in ready})
    return ready, json.dumps({"seen": current, "requested": requested}, sort_keys=True)


def _tick(context: SensorEvaluationContext, warehouse: WarehouseResource, source: Source, op: str,
          prefix: str) -> SensorResult | SkipReason:
    what, current = watched(warehouse, source)
    ready, cursor = evaluate(current, loaded(warehouse), context.cursor)
    if not ready:
        context.update_cursor(cursor)
        return SkipReason(f"no complete file in {what} that is not loaded yet")
    key = hashlib.sha256(json.dumps({n: current[n] for n in ready}).encode()).hexdigest()[:16]
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"{prefix}-{key}",
                run_config={"ops": {op: {"config": {"files": ready}}}},
                tags={"brw/landing_files": ", ".join(ready)[:1000]},
            )
        ],
        cursor=cursor,
    )


@sensor(
    job=landing_refresh,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="New or changed files in <source>/kpi_measurements/ (or the KPI files sources.yml maps) → "
    "load them and rebuild what depends on them.",
)
def kpi_landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult | SkipReason:
    return _tick(context, warehouse, LANDING_SOURCE, LANDING_OP, "landing")


@sensor(
    job=checkin_refresh,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="New owner check-ins in <source>/benefit_checkins/ (written by the dashboard's check-in page) → "
    "load them and rebuild what depends on them.",
)
def checkin_landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult | SkipReason:
    return _tick(context, warehouse, SOURCES_BY_NAME["benefit_checkins"], CHECKIN_OP, "checkin")
