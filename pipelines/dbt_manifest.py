"""Prepare the dbt manifest that dagster-dbt needs before the definitions load.

`make` and the pytest session call `ensure_manifest()`; so does `brw run`, so a model edited
since the last parse is never built from a stale manifest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

_SKIP_DIRS = {"target", "logs", "dbt_packages"}


def project_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """The dbt project's own files (models, macros, tests, yml), sorted; never target/ (a folder
    per dbt run) or logs/."""
    found = []
    for root, dirs, files in os.walk(project_dir):
        if Path(root) == project_dir:
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        found += [Path(root) / name for name in files if name.endswith((".sql", ".yml", ".yaml", ".csv", ".md"))]
    return sorted(found)


def _newest_source_mtime(project_dir: Path) -> float:
    return max((path.stat().st_mtime for path in project_files(project_dir)), default=0.0)


def manifest_is_current(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir)


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR, force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    if force or not manifest_is_current(project_dir):
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")
    return project_dir / "target" / "manifest.json"


if __name__ == "__main__":
    print(ensure_manifest(force="--force" in sys.argv))
