"""`brw sql` and the read-only query helper: reads work, anything that writes is refused."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.load import connect, load_source
from pipelines.load.contract import SOURCES
from pipelines.console import (
    Limits,
    QueryTimeout,
    ReadOnlySqlError,
    check_read_only,
    execute_read_only,
    open_read_only,
    run_query,
)


@pytest.fixture
def small_warehouse(tiny_source, warehouse_path):
    conn = connect(warehouse_path)
    for source in SOURCES:
        load_source(conn, source, tiny_source, "run-1")
    conn.close()
    return warehouse_path


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM raw.projects",
        "INSERT INTO raw.projects (project_id) VALUES ('X')",
        "UPDATE raw.projects SET stage = 'closed'",
        "DROP TABLE raw.projects",
        "CREATE TABLE t AS SELECT 1",
        "COPY raw.projects TO '/tmp/brw-leak.csv'",
        "ATTACH '/tmp/brw-other.duckdb' AS other",
        "SELECT 1; DELETE FROM raw.projects",
    ],
)
def test_writing_statements_are_refused_before_running(small_warehouse, statement):
    with pytest.raises(ReadOnlySqlError):
        run_query(small_warehouse, statement)
    assert run_query(small_warehouse, "SELECT count(*) AS n FROM raw.projects").frame["n"].tolist() == [2]


def test_limit_and_truncation(small_warehouse):
    result = run_query(small_warehouse, "SELECT * FROM range(10)", limit=3)
    assert len(result.frame) == 3 and result.truncated
    result = run_query(small_warehouse, "SELECT * FROM range(3)", limit=3)
    assert len(result.frame) == 3 and not result.truncated


def test_time_limit_stops_a_long_query(small_warehouse):
    with pytest.raises(QueryTimeout):
        run_query(small_warehouse, "SELECT count(*) FROM range(1000000000) a, range(1000) b", timeout_s=0.5)


def test_cli_refuses_delete_with_a_clear_message(small_warehouse, capsys):
    code = main(["sql", "DELETE FROM raw.projects", "--warehouse", str(small_warehouse)])
    assert code != 0
    err = capsys.readouterr().err
    assert "read-only" in err and "DELETE" in err


def test_cli_formats(small_warehouse, capsys):
    query = "SELECT project_id, budget_at_completion FROM raw.projects ORDER BY project_id"
    assert main(["sql", query, "--warehouse", str(small_warehouse), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"project_id": "P1", "budget_at_completion": 1000000.0},
        {"project_id": "P2", "budget_at_completion": 500000.0},
    ]
    assert main(["sql", query, "--warehouse", str(small_warehouse), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["project_id,budget_at_completion", "P1,1000000.0", "P2,500000.0"]
    assert main(["sql", query, "--warehouse", str(small_warehouse)]) == 0
    out = capsys.readouterr().out
    assert "P1" in out and "(2 rows)" in out


def test_cli_on_a_missing_warehouse(tmp_path, capsys):
    assert main(["sql", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "run `brw run` first" in capsys.readouterr().err


# --------------------------------------------------------------------------- issue 11, item 6:
# EXPLAIN runs what it explains, so the statement inside is checked; connections are locked.

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR", "plain"]


@pytest.fixture
def tiny_db(tmp_path):
    """A small DuckDB file made directly (fast): a table with formula-leading text cells."""
    path = tmp_path / "tiny.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA marts")
    conn.execute("CREATE TABLE marts.notes (id INTEGER, note VARCHAR, amount DOUBLE)")
    rows = [(i, text, -1.5 * i) for i, text in enumerate(FORMULAS)]
    conn.executemany("INSERT INTO marts.notes VALUES (?, ?, ?)", rows)
    conn.close()
    return path


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "  -- a comment\n/* another */ SELECT 1;",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "FROM marts.notes",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "VALUES (1), (2)",
        "DESCRIBE marts.notes",
        "SHOW TABLES",
        "SUMMARIZE marts.notes",
        "EXPLAIN SELECT 1",
        "explain analyze select count(*) from marts.notes",
        "EXPLAIN ANALYSE SELECT 1",
        "EXPLAIN (FORMAT json) SELECT 1",
        "EXPLAIN (SELECT 1) UNION SELECT 2",
        "/* c */ EXPLAIN ANALYZE WITH a AS (SELECT 1) SELECT * FROM a",
    ],
)
def test_reading_statements_pass_the_guard_and_run(tiny_db, statement):
    check_read_only(statement)
    conn = open_read_only(tiny_db, Limits())
    try:
        assert execute_read_only(conn, statement, Limits(max_rows=10)).frame is not None
    finally:
        conn.close()


REFUSED = [
    "EXPLAIN ANALYZE SET memory_limit='1MB'",
    "EXPLAIN SET memory_limit='1MB'",
    "explain analyse set threads = 1",
    "EXPLAIN ANALYZE RESET memory_limit",
    "EXPLAIN ANALYZE COPY (SELECT 42) TO '{out}'",
    "EXPLAIN COPY (SELECT 42) TO '{out}'",
    "EXPLAIN (FORMAT json) COPY (SELECT 42) TO '{out}'",
    "EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 42) TO '{out}'",
    "/* look */ EXPLAIN ANALYZE COPY (SELECT 42) TO '{out}'",
    "-- look\nEXPLAIN /* ( */ ANALYZE COPY (SELECT 42) TO '{out}'",
    "EXPLAIN ANALYZE EXPORT DATABASE '{dir}'",
    "EXPLAIN ANALYZE PRAGMA memory_limit='1MB'",
    "EXPLAIN ANALYZE CALL enable_profiling()",
    "EXPLAIN ANALYZE CHECKPOINT",
    "COPY (SELECT 42) TO '{out}'",
    "/* hidden */ COPY (SELECT 42) TO '{out}'",
    "SET memory_limit='1MB'",
    "RESET memory_limit",
    "SET VARIABLE x = 1",
    "SET schema = 'marts'",
    "USE marts",
    "PRAGMA memory_limit='1MB'",
    "PRAGMA enable_profiling",
    "PRAGMA version",
    "CALL enable_profiling()",
    "CALL pragma_version()",
    "ATTACH '{dir}/other.duckdb' AS other",
    "DETACH tiny",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "VACUUM",
    "EXPORT DATABASE '{dir}'",
    "PREPARE p AS SELECT 1",
    "CREATE TEMP TABLE t AS SELECT 1",
    "SELECT 1; SELECT 2",
    "",
]


@pytest.mark.parametrize("template", REFUSED)
def test_changing_statements_are_refused_before_anything_runs(tiny_db, tmp_path, template):
    """Even on a connection with file access ON (as `brw sql --trusted` opens it), the guard alone
    stops each of these: no file written, no setting changed."""
    out, export = tmp_path / "x.csv", tmp_path / "export"
    statement = template.format(out=out, dir=export)
    with pytest.raises(ReadOnlySqlError):
        check_read_only(statement)
    conn = open_read_only(tiny_db, Limits(external_access=True, threads=2))
    try:
        before = conn.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
        with pytest.raises(ReadOnlySqlError):
            execute_read_only(conn, statement, Limits(max_rows=10))
        after = conn.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
        assert after == before
        assert execute_read_only(conn, "SELECT count(*) AS n FROM marts.notes").frame["n"].tolist() == [len(FORMULAS)]
    finally:
        conn.close()
    assert not out.exists() and not export.exists() and not (export / "other.duckdb").exists()


def test_refusal_names_the_statement_inside_explain():
    with pytest.raises(ReadOnlySqlError, match=r"read-only here: SET statements are refused \(inside EXPLAIN"):
        check_read_only("EXPLAIN ANALYZE SET memory_limit='1MB'")
    with pytest.raises(ReadOnlySqlError, match="read-only here: COPY statements"):
        check_read_only("/* x */ EXPLAIN (FORMAT json) COPY (SELECT 42) TO 'x.csv'")


SLIPPED_THROUGH = [
    "EXPLAIN ANALYZE SET memory_limit='1MB'",
    "SET memory_limit='1MB'",
    "RESET memory_limit",
    "SET threads = 1",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "PRAGMA memory_limit='1MB'",
    "SELECT getenv('HOME')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "COPY (SELECT 42) TO '{out}'",
    "EXPLAIN ANALYZE COPY (SELECT 42) TO '{out}'",
    "ATTACH '{out}.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
]


@pytest.mark.parametrize("template", SLIPPED_THROUGH)
def test_ad_hoc_connection_is_locked_even_without_the_guard(tiny_db, tmp_path, template):
    """Defence in depth: executed directly (as if the guard had missed it) on the connection
    `brw sql` and the console use, each of these fails and changes nothing."""
    out = tmp_path / "x.csv"
    conn = open_read_only(tiny_db, Limits(max_rows=10, threads=2, external_access=False), duckdb_memory=500_000_000)
    try:
        with pytest.raises(duckdb.Error):
            conn.execute(template.format(out=out)).fetchall()
        settings = conn.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('enable_external_access'), current_setting('lock_configuration')"
        ).fetchone()
        assert settings == ("476.8 MiB", 2, False, True)
        assert conn.execute("SELECT 42").fetchone() == (42,)
    finally:
        conn.close()
    assert not out.exists() and not Path(f"{out}.duckdb").exists()


@pytest.fixture
def dashboard_connection(tiny_db):
    """A cursor of the dashboard's Catalog (the page connection) for a full-access principal."""
    from dashboards import access, queries

    catalog = queries.Catalog(tiny_db)
    conn = catalog.cursor(access.LOCAL_PRINCIPAL)
    yield conn
    conn.close()
    catalog.conn.close()


def test_explain_analyze_set_cannot_break_the_dashboards_shared_connection(dashboard_connection, tmp_path):
    """The issue's case: EXPLAIN ANALYZE SET memory_limit='1MB' on the dashboard's connection made
    every page of every session fail. Now the setting is locked and the next query still works."""
    conn = dashboard_connection
    for statement in ("EXPLAIN ANALYZE SET memory_limit='1MB'", "SET memory_limit='1MB'", "SET threads = 1",
                      f"COPY (SELECT 42) TO '{tmp_path / 'x.csv'}'", "SELECT * FROM read_csv('/etc/passwd')",
                      "SELECT * FROM glob('/*')", "SELECT * FROM read_text('/etc/passwd')"):
        with pytest.raises(duckdb.Error):
            conn.execute(statement).fetchall()
    assert conn.execute("SELECT current_setting('memory_limit'), current_setting('lock_configuration')").fetchone() \
        == ("1.8 GiB", True)
    assert conn.execute("SELECT count(*) FROM marts.notes").fetchone() == (len(FORMULAS),)
    assert not (tmp_path / "x.csv").exists()


# --------------------------------------------------------------------------- `brw sql` exit codes and flags


def test_cli_explain_analyze_copy_exits_2_and_writes_nothing(tiny_db, tmp_path, capsys):
    out = tmp_path / "x.csv"
    for extra in ([], ["--trusted"]):
        code = main(["sql", f"EXPLAIN ANALYZE COPY (SELECT 42) TO '{out}'", "--warehouse", str(tiny_db), *extra])
        assert code == 2
        err = capsys.readouterr().err
        assert err.startswith("error: the warehouse is read-only here: COPY") and err.count("\n") == 1
        assert not out.exists()
    assert main(["sql", "EXPLAIN ANALYZE SET memory_limit='1MB'", "--warehouse", str(tiny_db)]) == 2
    assert "SET statements are refused" in capsys.readouterr().err


def test_cli_csv_escapes_formula_cells(tiny_db, capsys):
    query = "SELECT id, note, amount FROM marts.notes ORDER BY id"
    assert main(["sql", query, "--warehouse", str(tiny_db), "--format", "csv"]) == 0
    import csv
    import io

    rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert rows[0] == ["id", "note", "amount"]
    assert [r[1] for r in rows[1:]] == ["'" + text if text != "plain" else text for text in FORMULAS]
    assert [r[2] for r in rows[1:]] == [str(-1.5 * i) for i in range(len(FORMULAS))]  # numbers stay numbers


def test_cli_errors_are_one_line_with_exit_1(tiny_db, capsys):
    assert main(["sql", "SELECT nope FROM marts.notes", "--warehouse", str(tiny_db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Binder Error") and err.count("\n") == 1
    assert main(["sql", "SELECT * FROM read_csv('/etc/passwd')", "--warehouse", str(tiny_db)]) == 1
    err = capsys.readouterr().err
    assert "file system operations are disabled" in err and err.count("\n") == 1


def test_cli_trusted_reads_local_files_but_stays_read_only(tiny_db, tmp_path, capsys):
    local = tmp_path / "local.csv"
    local.write_text("a,b\n1,x\n2,y\n")
    query = f"SELECT count(*) AS n FROM read_csv('{local}')"
    assert main(["sql", query, "--warehouse", str(tiny_db)]) == 1  # external access off by default
    capsys.readouterr()
    assert main(["sql", query, "--warehouse", str(tiny_db), "--trusted", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 2}]
    assert main(["sql", "DELETE FROM marts.notes", "--warehouse", str(tiny_db), "--trusted"]) == 2
    assert main(["sql", "SET memory_limit='1MB'", "--warehouse", str(tiny_db), "--trusted"]) == 2


def test_cli_limit_flags(tiny_db, capsys):
    wide = "SELECT repeat('x', 1000) AS s FROM range(5000)"
    assert main(["sql", wide, "--warehouse", str(tiny_db), "--format", "csv", "--max-bytes", "100kB"]) == 0
    captured = capsys.readouterr()
    assert 90 <= len(captured.out.splitlines()) - 1 < 100
    assert captured.err.startswith("note: first ") and "100 kB size cap" in captured.err
    assert "--max-bytes" in captured.err
    code = main(["sql", "SELECT count(*) FROM range(1000000000000)", "--warehouse", str(tiny_db), "--timeout", "0.5"])
    assert code == 1
    err = capsys.readouterr().err
    assert "0.5 s time limit" in err and "--timeout" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main(["sql", "SELECT 1", "--warehouse", str(tiny_db), "--memory-limit", "lots"])
    assert exc.value.code == 2
    assert main(["sql", "SELECT 42 AS n", "--warehouse", str(tiny_db), "--memory-limit", "0", "--timeout", "0",
                 "--max-bytes", "0", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 42}]


# --------------------------------------------------------------------------- issue 13: the warehouse explains itself


@pytest.fixture
def layered_db(tmp_path):
    """A warehouse-shaped file: tables in several schemas, nothing in main, some described."""
    path = tmp_path / "layered.duckdb"
    conn = duckdb.connect(str(path))
    for schema in ("audit", "raw", "staging", "marts", "scratch"):
        conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute("CREATE TABLE raw.projects (project_id VARCHAR)")
    conn.execute("CREATE TABLE audit.load_audit (run_id VARCHAR)")
    conn.execute("CREATE TABLE staging.stg_projects (project_id VARCHAR)")
    conn.execute("CREATE TABLE staging.dim_project (project_id VARCHAR, stage VARCHAR)")  # same name as a mart
    conn.execute("CREATE TABLE marts.dim_project (project_id VARCHAR, project_name VARCHAR, budget DOUBLE)")
    conn.execute("INSERT INTO marts.dim_project VALUES ('P1', 'Alpha', 10), ('P2', 'Beta', 20)")
    conn.execute("CREATE TABLE marts.dim_project__dbt_tmp (project_id VARCHAR)")  # an interrupted dbt run's
    conn.execute("CREATE VIEW scratch.v_projects AS SELECT 1 AS one")
    conn.execute("COMMENT ON TABLE marts.dim_project IS 'One row per project. Built from the register, e.g. P1.'")
    conn.execute("COMMENT ON COLUMN marts.dim_project.project_name IS 'The name the board knows it by.'")
    conn.execute("COMMENT ON TABLE raw.projects IS 'As loaded.'")
    conn.close()
    return path


def test_show_tables_lists_every_schema_with_descriptions(layered_db, capsys):
    """DuckDB's SHOW TABLES lists `main` only, which the warehouse leaves empty: the issue's
    empty frame. Now: every schema's tables and views, marts first, with their descriptions."""
    frame = run_query(layered_db, "SHOW TABLES").frame
    assert frame.columns.tolist() == ["schema", "table", "description"]
    assert frame.values.tolist() == [
        ["marts", "dim_project", "One row per project."],
        ["staging", "dim_project", ""],
        ["staging", "stg_projects", ""],
        ["raw", "projects", "As loaded."],
        ["audit", "load_audit", ""],
        ["scratch", "v_projects", ""],
    ]
    assert run_query(layered_db, "/* which? */ show tables from STAGING ;").frame["table"].tolist() == [
        "dim_project", "stg_projects"]
    assert main(["sql", "SHOW TABLES", "--warehouse", str(layered_db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["schema", "table", "description"] and lines[-1] == "(6 rows)"
    assert lines[1].split() == ["marts", "dim_project", "One", "row", "per", "project."]  # text reads from the left
    long = "A description of many words. " * 10
    with duckdb.connect(str(layered_db)) as conn:
        conn.execute(f"COMMENT ON TABLE marts.dim_project IS '{long}'")
    listed = run_query(layered_db, "SHOW TABLES FROM marts").frame["description"].tolist()
    assert listed == ["A description of many words."]  # the first sentence: a line of a listing
    with duckdb.connect(str(layered_db)) as conn:
        conn.execute(f"COMMENT ON TABLE marts.dim_project IS '{long.replace('.', ',')}'")
    listed = run_query(layered_db, "SHOW TABLES FROM marts").frame["description"].tolist()
    assert len(listed[0]) == 120 and listed[0].endswith("…")
    # DuckDB's own listing (column names and types) is still there under its own name
    native = run_query(layered_db, "SHOW ALL TABLES").frame
    assert {"database", "schema", "name", "column_names"} <= set(native.columns) and len(native) == 7


def test_unqualified_names_find_the_marts_first(layered_db):
    result = run_query(layered_db, "SELECT project_name FROM dim_project ORDER BY 1")
    assert result.frame["project_name"].tolist() == ["Alpha", "Beta"]
    assert run_query(layered_db, "SELECT count(*) AS n FROM stg_projects").frame["n"].tolist() == [0]


def test_describe_shows_column_descriptions(layered_db):
    for statement in ("DESCRIBE dim_project", "describe marts.\"dim_project\";", "DESC MARTS.DIM_PROJECT"):
        frame = run_query(layered_db, statement).frame
        assert frame["column_name"].tolist() == ["project_id", "project_name", "budget"], statement
        assert frame["column_type"].tolist() == ["VARCHAR", "VARCHAR", "DOUBLE"]
        assert frame["description"].tolist() == ["", "The name the board knows it by.", ""]
    staging = run_query(layered_db, "DESCRIBE staging.dim_project").frame
    assert staging["column_name"].tolist() == ["project_id", "stage"]
    query = run_query(layered_db, "DESCRIBE SELECT 1 AS one").frame  # not a table: DuckDB's own answer
    assert query["column_name"].tolist() == ["one"] and "description" not in query.columns
    with pytest.raises(Exception, match="nope"):
        run_query(layered_db, "DESCRIBE marts.nope")


def test_the_search_path_is_set_and_the_guard_keeps_it(layered_db):
    """A session setting (lock_configuration does not cover it, and needs not: it only resolves
    names); the guard refuses SET, so a query cannot change it."""
    conn = open_read_only(layered_db, Limits())
    try:
        assert conn.execute("SELECT current_setting('search_path')").fetchone() == ("marts,staging,raw,audit",)
        with pytest.raises(ReadOnlySqlError):
            execute_read_only(conn, "SET search_path = 'raw'")
    finally:
        conn.close()


def test_a_scratch_database_keeps_duckdbs_default_path(tiny_db, tmp_path):
    path = tmp_path / "scratch.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE t AS SELECT 1 AS i")
    conn.close()
    assert run_query(path, "SHOW TABLES").frame.values.tolist() == [["main", "t", ""]]
    assert run_query(path, "SELECT i FROM t").frame["i"].tolist() == [1]
