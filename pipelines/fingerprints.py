"""Fingerprints of what shapes the warehouse and the reports: the sources, the code, the dbt project.

Every run records the fingerprints of what it built (pipelines.build_record); `brw run` compares
them with the current ones (pipelines.plan).

- A source: its file's bytes (a mapped table: its mapping and its input files), the ingestion
  code, and the fingerprints of the sources its references are checked against (a changed
  `benefits.csv` changes what `benefit_plan.csv` quarantines). A landing folder (KPI
  measurements, owner check-ins): only how it is read; which files were loaded, with their size and mtime, is in `audit.loaded_files`
  (`unloaded_files`).
- The code: every file of the pipelines package (modules, templates, the stylesheet) belongs to
  the part whose outputs it shapes (CODE_PARTS), to none (NOT_OUTPUT_CODE: how runs start, the
  CLI's printout, the console, the demo generator), or else to all of them (e.g. the resources).
- The dbt project: its own files (dbt itself says which models changed: pipelines.plan), and its
  vars apart, which dbt does not compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from pipelines.load.contract import SOURCES, Source
from pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT, links_out_allowed

PIPELINES_DIR = REPO_ROOT / "pipelines"
LANDING_SOURCES = tuple(s for s in SOURCES if s.landing_folder)  # KPI measurements, owner check-ins
LANDING_SOURCE = LANDING_SOURCES[0]  # the KPI landing folder (kpi_measurements)

# What a change of a file of pipelines/ rebuilds, by its path there (a folder ends with "/"):
CODE_PARTS: dict[str, tuple[str, ...]] = {
    "load": ("load/", "mapping/", "defs/ingest/assets.py", "defs/ingest/checks.py"),  # every source
    "transform": ("defs/transform/",),  # every dbt model
    "reports": ("board/", "defs/reports/assets.py", "formatting.py", "vocabulary.py", "safe_csv.py"),  # the reports
    "publish": ("read_copy.py", "defs/publish/"),  # the read copy
}
# Files that shape no table and no report: when and how runs start, what the CLI prints, the SQL
# console, the demo generator, this bookkeeping. Any other file counts for every part.
NOT_OUTPUT_CODE = (
    "__init__.py", "cli/", "console/", "demo/", "progress.py", "failures.py", "processes.py", "dbt_child",
    "dbt_manifest.py", "plan.py", "fingerprints.py", "build_record.py", "definitions.py", "defs/__init__.py",
    "defs/metadata.py", "defs/jobs.py", "defs/schedules.py", "defs/ingest/__init__.py", "defs/ingest/jobs.py",
    "defs/ingest/sensors.py", "defs/reports/__init__.py", "defs/reports/jobs.py", "defs/reports/schedules.py",
)


def hash_parts(parts: Iterable) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(rel.startswith(p) if p.endswith("/") else rel == p for p in patterns)


def code_part(rel: str) -> str | None:
    """The part a file of pipelines/ belongs to ("shared": every part; None: no output)."""
    if _matches(rel, NOT_OUTPUT_CODE):
        return None
    return next((part for part, patterns in CODE_PARTS.items() if _matches(rel, patterns)), "shared")


def code_files(root: Path = PIPELINES_DIR) -> list[Path]:
    """Every file of the package: modules, templates, stylesheets, the dbt wrapper (not caches)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def code_fingerprints(root: Path = PIPELINES_DIR) -> dict[str, str]:
    """{part: fingerprint of its files and the shared ones} for every part of CODE_PARTS."""
    files: dict[str, list[Path]] = {part: [] for part in (*CODE_PARTS, "shared")}
    for path in code_files(root):
        part = code_part(path.relative_to(root).as_posix())
        if part is not None:
            files[part].append(path)
    return {
        part: hash_parts(x for f in sorted(files[part] + files["shared"])
                         for x in (f.relative_to(root).as_posix(), f.read_bytes()))
        for part in CODE_PARTS
    }


def dbt_project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    from pipelines.dbt_manifest import project_files

    return hash_parts(x for f in project_files(project_dir) for x in (str(f.relative_to(project_dir)), f.read_bytes()))


def dbt_vars_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """The `vars` of dbt_project.yml (the thresholds, the status vocabulary): dbt's state:modified
    does not compare them, and any model may read one."""
    import json

    import yaml

    project = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text()) or {}
    return hash_parts([json.dumps(project.get("vars") or {}, sort_keys=True, default=str)])


def _content(source_dir: Path, source: Source, mapping) -> list:
    """What a source's rows are read from (the landing folder: only how; its files are tracked one by one)."""
    table_map = mapping.table(source.name) if mapping is not None else None
    if table_map is not None:  # a mapped table: its mapping and its input files
        from pipelines.mapping import input_files

        if table_map.absent:
            return ["absent"]
        if source.landing_folder:
            return ["mapped landing", mapping.table_digest(source.name)]
        files = input_files(source_dir, source.name, table_map)
        return [mapping.table_digest(source.name), *(x for f in files for x in (f.name, f.read_bytes()))]
    if source.landing_folder:
        return ["landing folder"]
    path = Path(source_dir) / source.path
    return [path.read_bytes()] if path.is_file() else ["missing"]


def source_fingerprints(source_dir: Path, mapping=None, load_code: str | None = None) -> dict[str, tuple[str, str]]:
    """{source: (fingerprint of its content, fingerprint of its content, the ingestion code and the
    sources it references)}: a source is loaded again when the second one changed."""
    load_code = load_code or code_fingerprints()["load"]
    by_name = {s.name: s for s in SOURCES}
    out: dict[str, tuple[str, str]] = {}

    def fingerprint(name: str) -> str:
        if name not in out:
            source = by_name[name]
            content = hash_parts(_content(Path(source_dir), source, mapping))
            upstream = [f"{u}={fingerprint(u)}" for u in source.upstream]
            out[name] = (content, hash_parts([load_code, *upstream, content]))
        return out[name][1]

    for source in SOURCES:
        fingerprint(source.name)
    return out


def landing_signatures_by_path(source_dir: Path, mapping=None, source: Source = LANDING_SOURCE) -> dict[str, list[int]]:
    """{path in the source directory: [size, mtime_ns]} of the landing files of `source` (the KPI
    landing folder unless given) that can be loaded (contract folder or mapped input; a link out
    of the source directory is never loaded)."""
    from pipelines.load import landing_signatures

    source_dir = Path(source_dir)
    table_map = mapping.table(source.name) if mapping is not None else None
    if table_map is not None:
        from pipelines.mapping import input_signatures

        current = {} if table_map.absent else input_signatures(source_dir, source.name, table_map)
    else:
        folder = source_dir / source.path
        current = {f"{source.path}/{name}": sig for name, sig in landing_signatures(folder).items()}
    if links_out_allowed():
        return current
    inside = source_dir.resolve()
    return {rel: sig for rel, sig in current.items() if (source_dir / rel).resolve().is_relative_to(inside)}


def unloaded_files(current: dict[str, list[int]], loaded: dict[str, tuple[int, int]]) -> list[str]:
    """The files of `current` whose size or mtime differs from when they were loaded (or never were).

    `loaded`: {label: (size, mtime_ns)} from audit.loaded_files; a workbook's label names its sheet
    (`kpi/2026.xlsx#KPIs`)."""
    by_path = dict(loaded)
    for label, sig in loaded.items():
        if "#" in label:
            by_path.setdefault(label.rsplit("#", 1)[0], sig)
    return sorted(rel for rel, sig in current.items() if tuple(by_path.get(rel) or ()) != tuple(sig))
