"""The statement guard (`check_read_only`, issue 11, item 6): one statement, and only a reading one.

SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, PIVOT, or EXPLAIN [ANALYZE] of one
of those (the statement inside an EXPLAIN is checked the same way: `EXPLAIN ANALYZE` runs it).
COPY, ATTACH, EXPORT, INSTALL/LOAD, SET/RESET, PRAGMA, CALL, CHECKPOINT ... are refused before
anything runs. It parses only; the read-only connection (pipelines.console.connection) is the
layer behind it.
"""

from __future__ import annotations

import re

import duckdb

from pipelines.console.errors import ReadOnlySqlError

READING_KEYWORDS = frozenset({
    "select", "with", "from", "values", "table", "describe", "desc", "show", "summarize",
    "pivot", "unpivot", "pivot_wider", "pivot_longer", "(",
})
ALLOWED_TEXT = "SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT, and EXPLAIN [ANALYZE] of those"
EXPLAIN_MODIFIERS = frozenset({"analyze", "analyse", "verbose"})
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)


def sql_tokens(sql: str) -> list[tuple[int, str]]:
    """(offset, text) of every token, comments and whitespace left out."""
    found = duckdb.tokenize(sql)
    out = []
    for i, (start, _kind) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(sql)
        out.append((start, _COMMENT.sub(" ", sql[start:end]).strip()))
    return out


def _statements(conn: duckdb.DuckDBPyConnection, sql: str) -> list:
    try:
        return conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlySqlError(f"SQL does not parse: {str(exc).splitlines()[0]}") from exc


def _refuse(name: str, inside_explain: bool) -> ReadOnlySqlError:
    where = " (inside EXPLAIN, which would run it)" if inside_explain else ""
    return ReadOnlySqlError(
        f"the warehouse is read-only here: {name} statements are refused{where} (allowed: {ALLOWED_TEXT})"
    )


def _explained_candidates(sql: str, tokens: list[tuple[int, str]]) -> list[str]:
    """Where the statement inside `EXPLAIN [ANALYZE] [(options)] statement` may start.

    A parenthesised group after EXPLAIN is either options or a parenthesised query: both readings
    are returned, and the caller requires every reading that parses to be a reading statement."""
    out, i = [], 1
    while i < len(tokens):
        start, text = tokens[i]
        if text.lower() in EXPLAIN_MODIFIERS:
            i += 1
            continue
        if text.startswith("("):
            out.append(sql[start:])
            depth, j = 0, i
            while j < len(tokens):
                depth += tokens[j][1].count("(") - tokens[j][1].count(")")
                j += 1
                if depth <= 0:
                    break
            i = j
            continue
        out.append(sql[start:])
        break
    return out


def _check_statement(conn: duckdb.DuckDBPyConnection, sql: str, kind, inside_explain: bool, depth: int) -> None:
    tokens = sql_tokens(sql)
    first = tokens[0][1].lower() if tokens else ""
    word = re.match(r"[a-z_]+", first)
    name = word.group(0).upper() if word and word.group(0) != "with" else kind.name
    if not name.isalpha():
        name = "this kind of"
    if kind == duckdb.StatementType.SELECT and (first in READING_KEYWORDS or first.startswith("(")):
        return
    if kind != duckdb.StatementType.EXPLAIN or first != "explain" or depth > 3:
        raise _refuse(name, inside_explain)
    readings = []
    for candidate in _explained_candidates(sql, tokens):
        try:
            statements = conn.extract_statements(candidate)
        except duckdb.Error:
            continue  # not where the statement starts
        if len(statements) == 1:
            readings.append((candidate, statements[0].type))
    if not readings:
        raise ReadOnlySqlError("the statement inside EXPLAIN cannot be read, so it is refused")
    for candidate, inner_kind in readings:
        _check_statement(conn, candidate, inner_kind, True, depth + 1)


def check_read_only(sql: str, conn: duckdb.DuckDBPyConnection | None = None) -> None:
    """Raise ReadOnlySqlError unless `sql` is exactly one reading statement (see the module doc).
    Parses only: nothing runs."""
    owned = conn is None
    parser = duckdb.connect() if owned else conn
    try:
        statements = _statements(parser, sql)
        if not statements:
            raise ReadOnlySqlError("no SQL statement given")
        if len(statements) > 1:
            raise ReadOnlySqlError("one statement at a time, please")
        _check_statement(parser, sql, statements[0].type, False, 0)
    finally:
        if owned:
            parser.close()

