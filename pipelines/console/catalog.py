"""What the warehouse holds, for someone typing SQL: every schema's tables with their descriptions.

DuckDB's own `SHOW TABLES` lists the current schema only, and the warehouse keeps nothing in
`main` (dbt writes marts, intermediate, staging, snapshots; the loader raw and audit), so it
printed an empty frame. Here, on the read-only connection:

- `search_path` is set to the warehouse's schemas, marts first (`WAREHOUSE_SCHEMAS`), so
  `SELECT * FROM fct_benefit_status` finds marts.fct_benefit_status;
- `SHOW TABLES` [FROM|IN schema] is answered by `TABLES_SQL`: schema, table and description (the
  first sentence of the comment dbt's persist_docs writes; all of it is in duckdb_tables()) of
  every table and view, marts first;
- `DESCRIBE [schema.]table` gets a `description` column: the column comments.

Every other statement, `SHOW ALL TABLES` included (DuckDB's listing with column names and types),
runs as written. The rewritten statements are built here from names found in the catalog and are
themselves checked by the statement guard before they run.
"""

from __future__ import annotations

import duckdb

from pipelines.console.statements import sql_tokens

# The warehouse's schemas in the order a reader wants them: published layers first, then how they
# were built, then what was loaded and the pipeline's own records. Others follow alphabetically.
WAREHOUSE_SCHEMAS = ("marts", "reporting", "intermediate", "staging", "snapshots", "raw", "audit")
HIDDEN_SCHEMAS = ("information_schema", "pg_catalog")
DBT_WORK_SUFFIXES = ("__dbt_tmp", "__dbt_backup")  # left behind by an interrupted dbt run
SUMMARY_CHARS = 120  # the longest description SHOW TABLES prints (its first sentence, cut here)

_RELATIONS = """
    SELECT schema_name, table_name, comment FROM duckdb_tables()
    WHERE database_name = current_database() AND NOT internal AND NOT temporary
    UNION ALL
    SELECT schema_name, view_name, comment FROM duckdb_views()
    WHERE database_name = current_database() AND NOT internal AND NOT temporary
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schema_rank() -> str:
    order = ", ".join(_literal(name) for name in WAREHOUSE_SCHEMAS)
    return f"coalesce(list_position([{order}], schema_name), {len(WAREHOUSE_SCHEMAS) + 1})"


def _summary(text: str) -> str:
    """SQL for the first sentence of `text` ('' for none), cut at SUMMARY_CHARS: a listing's line."""
    sentence = f"trim(coalesce(nullif(regexp_extract({text}, '^\\s*(.*?[.!?])(\\s|$)', 1), ''), {text}, ''))"
    return (f"CASE WHEN length({sentence}) > {SUMMARY_CHARS} "
            f"THEN left({sentence}, {SUMMARY_CHARS - 1}) || '…' ELSE {sentence} END")


def tables_sql(schema: str | None = None) -> str:
    """The listing `SHOW TABLES` answers with: schema, table, description; one schema if given."""
    hidden = ", ".join(_literal(name) for name in HIDDEN_SCHEMAS)
    work = " AND ".join(f"NOT ends_with(table_name, {_literal(suffix)})" for suffix in DBT_WORK_SUFFIXES)
    only = f" AND lower(schema_name) = lower({_literal(schema)})" if schema is not None else ""
    return (
        f'SELECT schema_name AS "schema", table_name AS "table", {_summary("comment")} AS description '
        f"FROM ({_RELATIONS}) WHERE schema_name NOT IN ({hidden}) AND {work}{only} "
        f"ORDER BY {_schema_rank()}, schema_name, table_name"
    )


TABLES_SQL = tables_sql()


def search_path(conn: duckdb.DuckDBPyConnection) -> str:
    """The warehouse's schemas that exist in `conn`'s database, marts first, as `search_path` text
    ('' when it has none of them: a scratch database keeps DuckDB's default)."""
    present = {row[0] for row in conn.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal"
    ).fetchall()}
    return ",".join(name for name in WAREHOUSE_SCHEMAS if name in present)


def _unquote(token: str) -> str | None:
    """The identifier a token spells (quoted or not), None when it is not an identifier."""
    if len(token) >= 2 and token[0] == token[-1] == '"':
        return token[1:-1].replace('""', '"')
    if token and (token[0].isalpha() or token[0] == "_") and all(c.isalnum() or c in "_$" for c in token):
        return token
    return None


def _dotted_name(tokens: list[str]) -> list[str] | None:
    """['schema', 'table'] from the tokens of `schema . table` (one or two parts), else None."""
    if len(tokens) not in (1, 3) or (len(tokens) == 3 and tokens[1] != "."):
        return None
    parts = [_unquote(token) for token in tokens[::2]]
    return None if None in parts else parts


def _resolve(conn: duckdb.DuckDBPyConnection, parts: list[str]) -> tuple[str, str] | None:
    """(schema, table) of the table or view `parts` names, looked up the way the search path
    would (marts first), None when the catalog has no such relation."""
    table = parts[-1]
    schema = parts[0] if len(parts) == 2 else None
    row = conn.execute(
        f"SELECT schema_name, table_name FROM ({_RELATIONS}) WHERE lower(table_name) = lower(?) "
        f"AND (? IS NULL OR lower(schema_name) = lower(?)) ORDER BY {_schema_rank()}, schema_name LIMIT 1",
        [table, schema, schema],
    ).fetchone()
    return (row[0], row[1]) if row else None


def describe_sql(schema: str, table: str) -> str:
    """DESCRIBE of `schema.table` with each column's comment as `description`."""
    return (
        "SELECT d.*, coalesce(c.comment, '') AS description "
        f"FROM (DESCRIBE {_identifier(schema)}.{_identifier(table)}) d LEFT JOIN duckdb_columns() c "
        f"ON c.database_name = current_database() AND c.schema_name = {_literal(schema)} "
        f"AND c.table_name = {_literal(table)} AND c.column_name = d.column_name "
        "ORDER BY c.column_index NULLS LAST"
    )


def rewrite_catalog_statement(conn: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`sql` itself, or for `SHOW TABLES [FROM|IN schema]` and `DESCRIBE [schema.]table` the
    statement that answers it with schemas and descriptions (see the module doc)."""
    words = [text for _start, text in sql_tokens(sql) if text]
    if words and words[-1] == ";":
        words.pop()
    lowered = [word.lower() for word in words]
    if lowered[:2] == ["show", "tables"]:
        if len(words) == 2:
            return TABLES_SQL
        schema = _dotted_name(words[3:]) if lowered[2] in ("from", "in") else None
        return tables_sql(schema[-1]) if schema and len(schema) == 1 else sql
    if lowered[:1] in (["describe"], ["desc"]):
        parts = _dotted_name(words[1:])
        found = _resolve(conn, parts) if parts else None
        return describe_sql(*found) if found else sql
    return sql
