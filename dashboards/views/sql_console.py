"""SQL console: read-only ad-hoc SQL over the published warehouse, within stated limits (rows,
result size, seconds, memory: pipelines.console.CONSOLE_LIMITS). Each query runs in its own worker
process (dashboards.queries.console_query), so one heavy query costs no other session anything."""

from __future__ import annotations

import time

import streamlit as st

from dashboards import queries
from dashboards.views import common
from pipelines.console import CONSOLE_LIMITS, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError, human_size

# Money is summed in the reporting currency (the _reporting columns), never across currencies as
# they are; a benefit without a rate is counted, not silently left out of the sum as a zero.
EXAMPLE = """SELECT s.status, any_value(s.reporting_currency) AS currency, count(*) AS benefits,
       sum(s.cumulative_realized_value_reporting) AS realized,
       count(*) FILTER (WHERE s.fx_rate_missing) AS benefits_without_rate
FROM marts.fct_benefit_status s
GROUP BY s.status
ORDER BY benefits DESC"""

PUBLIC_SCHEMAS = ("marts", "reporting", "snapshots", "audit")  # in the schema pane, in this order
_SCHEMA_LIST = ", ".join(f"'{name}'" for name in PUBLIC_SCHEMAS)
# every column of the public schemas with its description and its table's (dbt persist_docs)
SCHEMA_PANE_SQL = f"""SELECT c.schema_name || '.' || c.table_name AS relation,
    coalesce(t.comment, v.comment, '') AS relation_description,
    c.column_name, c.data_type, coalesce(c.comment, '') AS description
FROM duckdb_columns() c
LEFT JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
LEFT JOIN duckdb_views() v ON v.database_name = c.database_name AND v.schema_name = c.schema_name
    AND v.view_name = c.table_name
WHERE c.database_name = current_database() AND c.schema_name IN ({_SCHEMA_LIST})
ORDER BY list_position([{_SCHEMA_LIST}], c.schema_name), c.table_name, c.column_index"""

LIMITS = CONSOLE_LIMITS
ROW_LIMIT = LIMITS.max_rows
TIME_LIMIT_S = LIMITS.timeout_s


def limits_caption() -> str:
    return (
        f"Read-only, one statement. Limits per query: at most {LIMITS.max_rows:,} rows and "
        f"{human_size(LIMITS.max_bytes)} of results, {LIMITS.timeout_s:g} s, {human_size(LIMITS.memory_limit)} "
        "of memory; no files or URLs. Statements that write or change settings are refused."
    )


def render() -> None:
    st.title("SQL console")
    if not common.warehouse_ready():
        return
    left, right = st.columns([3, 1])
    with right:
        st.subheader("Public schema")
        columns = queries.query(SCHEMA_PANE_SQL)
        for relation, part in columns.groupby("relation", sort=False):
            with st.expander(relation):
                if part["relation_description"].iloc[0]:
                    st.caption(part["relation_description"].iloc[0])
                st.dataframe(part[["column_name", "data_type", "description"]], hide_index=True, width="stretch",
                             column_config={"column_name": "Column", "data_type": "Type", "description": "Meaning"})
    with left:
        sql = st.text_area("Read-only SQL (one statement)", EXAMPLE, height=180, key="sql_text")
        st.caption(limits_caption())
        if st.button("Run", type="primary", key="sql_run"):
            started = time.monotonic()
            try:
                result = queries.console_query(sql, LIMITS)
            except ReadOnlySqlError as exc:
                st.error(f"Refused: {exc}")
                return
            except QueryTimeout as exc:
                st.error(f"Stopped: {exc}. Aggregate, filter or add a LIMIT to ask for less.")
                return
            except QueryMemoryLimit as exc:
                st.error(f"Stopped: {exc}. Select fewer or narrower columns, or aggregate first.")
                return
            except queries.ConsoleBusy as exc:
                st.warning(str(exc))
                return
            except Exception as exc:  # a DuckDB error: unknown column, syntax ...
                st.error(f"Query failed: {exc}")
                return
            took = time.monotonic() - started
            st.success(f"{len(result.frame):,} rows in {took:.2f} s")
            if result.truncated:
                st.warning(f"Result cut: {result.note()}. Aggregate, filter or add a LIMIT to see the rest.")
            # the query's own column names (a query is written against them); dates without 00:00:00
            common.table(result.frame, "result", "query_result.csv", headings=False)
