"""`brw docs`: the dbt docs site, generated from the warehouse's read copy without touching the
repo or the warehouse, self-contained (no server or internet needed), and served locally."""

from __future__ import annotations

import json
import threading
import urllib.request

import duckdb
import pytest

from pipelines.console.commands import add_docs_arguments, cmd_docs
from pipelines.console.docs_site import docs_server, generate_docs_site, serve_docs_site
from pipelines.settings import DBT_PROJECT_DIR

MART = "model.brw.fct_benefit_status"


@pytest.fixture
def small_warehouse(tmp_path):
    """One mart, as dbt built it (the catalog describes what the file holds)."""
    path = tmp_path / "brw.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("""CREATE SCHEMA marts;
            CREATE TABLE marts.fct_benefit_status (benefit_id VARCHAR, project_id VARCHAR, status VARCHAR);
            INSERT INTO marts.fct_benefit_status VALUES ('B1', 'P1', 'on_track')""")
    return path


def _docs_outputs_in_the_repo() -> dict:
    """What `dbt docs generate` run in the project would write there (nothing else writes these)."""
    found = [*DBT_PROJECT_DIR.glob("target/*catalog*.json"), *DBT_PROJECT_DIR.glob("target/*index.html"),
             *DBT_PROJECT_DIR.glob(".user.yml")]
    return {str(path): path.stat().st_mtime_ns for path in found}


def test_docs_site_describes_the_marts_and_changes_nothing(small_warehouse, tmp_path):
    before_project, before_db = _docs_outputs_in_the_repo(), small_warehouse.stat().st_mtime_ns
    site = generate_docs_site(small_warehouse, tmp_path / "site")
    assert sorted(p.name for p in site.iterdir()) == ["catalog.json", "index.html", "manifest.json"]

    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    mart = manifest["nodes"][MART]
    assert mart["schema"] == "marts" and mart["description"].strip()
    assert mart["columns"]["status"]["description"].strip()
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False  # the page loads no tracker

    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    table = catalog["nodes"][MART]
    assert table["metadata"]["schema"] == "marts"
    assert list(table["columns"]) == ["benefit_id", "project_id", "status"]

    page = (site / "index.html").read_text(encoding="utf-8")
    assert mart["description"].strip()[:40] in page  # manifest built in: opens from disk
    assert '<script src="http' not in page and '<link rel="stylesheet" href="http' not in page
    assert _docs_outputs_in_the_repo() == before_project
    assert small_warehouse.stat().st_mtime_ns == before_db and not list(small_warehouse.parent.glob("*.wal"))


def test_docs_command_on_a_missing_warehouse(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    add_docs_arguments(parser)
    assert cmd_docs(parser.parse_args(["--warehouse", str(tmp_path / "none.duckdb"), "--no-serve"])) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no warehouse at") and err.count("\n") == 1


def test_the_site_is_served_and_a_taken_port_is_one_line(tmp_path, capsys):
    (tmp_path / "index.html").write_text("<html>docs</html>", encoding="utf-8")
    server = docs_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.read() == b"<html>docs</html>"
        assert serve_docs_site(tmp_path, "127.0.0.1", port) == 1  # taken: by the server above
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot serve on 127.0.0.1:{port}") and err.count("\n") == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_docs_read_the_published_copy_when_there_is_one(small_warehouse):
    from pipelines.console.docs_site import documented_database

    assert documented_database(small_warehouse) == small_warehouse  # nothing published yet
    copy = small_warehouse.with_name("brw.read.duckdb")
    copy.write_bytes(small_warehouse.read_bytes())
    assert documented_database(small_warehouse) == copy  # never the file a running pipeline writes
