"""The dbt docs site of the warehouse, generated and served offline (`brw docs`).

`generate_docs_site` runs `dbt docs generate --static` against the published read copy
(`<warehouse>.read.duckdb`; the warehouse file itself when none was published) opened
read-only, with a profile, target and log directory of its own in a temporary directory: neither
the warehouse nor anything under dbt_project/ changes, and a pipeline writing the warehouse is not
blocked. The site directory receives dbt's static page as index.html (manifest and catalog built
in: it opens from disk, needs no server and loads nothing from the internet; usage statistics
are off, so its tracker never loads) and manifest.json / catalog.json beside it.

`serve_docs_site` serves that directory with Python's http.server until interrupted.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.dbt_manifest import dbt_executable
from pipelines.read_copy import read_copy_path
from pipelines.settings import DBT_PROJECT_DIR

PROFILE_NAME = "brw"  # dbt_project.yml's `profile`
SITE_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}
_DBT_ENV_OVERRIDES = ("DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROJECT_DIR")


class DocsSiteError(RuntimeError):
    """The docs site could not be generated (no warehouse, dbt failed) or served (port taken)."""


def documented_database(warehouse: str | Path) -> Path:
    """The file the docs are generated from: the published read copy, else the warehouse."""
    warehouse = Path(warehouse)
    read_copy = read_copy_path(warehouse)
    if read_copy.exists():
        return read_copy
    if warehouse.exists():
        return warehouse
    raise DocsSiteError(f"no warehouse at {warehouse}: run `brw run` first")


def default_site_dir(warehouse: str | Path) -> Path:
    """Where `brw docs` writes the site unless told: `<stem>-docs/` beside the warehouse file."""
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}-docs")


def _profile_yaml(database: Path) -> str:
    path = str(database.resolve()).replace("'", "''")
    return (
        f"{PROFILE_NAME}:\n  target: docs\n  outputs:\n    docs:\n      type: duckdb\n"
        f"      path: '{path}'\n      threads: 1\n"
        "      config_options:\n        access_mode: READ_ONLY\n"
    )


def generate_docs_site(
    warehouse: str | Path, output_dir: str | Path | None = None, project_dir: Path = DBT_PROJECT_DIR
) -> Path:
    """Generate the docs site of `warehouse` into `output_dir` (default `default_site_dir`) and
    return that directory (index.html, manifest.json, catalog.json)."""
    database = documented_database(warehouse)
    site = Path(output_dir) if output_dir is not None else default_site_dir(warehouse)
    with tempfile.TemporaryDirectory(prefix="brw-docs-") as scratch:
        work = Path(scratch)
        (work / "profiles.yml").write_text(_profile_yaml(database), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if key not in _DBT_ENV_OVERRIDES}
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # the page then never loads its tracker
        command = [
            dbt_executable(), "docs", "generate", "--static", "--no-partial-parse", "--quiet",
            "--project-dir", str(project_dir), "--profiles-dir", str(work),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        ]
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        target = work / "target"
        if done.returncode != 0 or not (target / "static_index.html").exists():
            lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            raise DocsSiteError("dbt docs generate failed: " + (" | ".join(lines[-4:]) or f"exit {done.returncode}"))
        site.mkdir(parents=True, exist_ok=True)
        for name, published in SITE_FILES.items():
            shutil.copyfile(target / name, site / published)
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


def docs_server(site: Path, address: str, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the files of `site`, bound (OSError when the port is taken), not yet serving."""
    return http.server.ThreadingHTTPServer((address, port), functools.partial(_QuietHandler, directory=str(site)))


def serve_docs_site(site: Path, address: str = "127.0.0.1", port: int = 8580) -> int:
    """Serve `site` on http://address:port/ until Ctrl-C; 1 with one line on stderr when the
    port cannot be opened."""
    try:
        server = docs_server(site, address, port)
    except OSError as exc:
        print(f"error: cannot serve on {address}:{port}: {exc.strerror or exc} (--port N changes it)",
              file=sys.stderr)
        return 1
    host = f"[{address}]" if ":" in address else address
    print(f"dbt docs at http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
