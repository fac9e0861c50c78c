"""SQL console: read-only ad-hoc SQL over the published warehouse, within stated limits (rows,
result size, seconds, memory: pipelines.sql.CONSOLE_LIMITS). Each query runs in its own worker
process (dashboards.queries.console_query), so one heavy query costs no other session anything."""

from __future__ import annotations

import time

import streamlit as st

from dashboards import queries
from dashboards.views import common
from pipelines.sql import CONSOLE_LIMITS, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError, human_size

EXAMPLE = """SELECT s.status, count(*) AS benefits, sum(s.cumulative_realized_value) AS realized
FROM marts.fct_benefit_status s
GROUP BY s.status
ORDER BY benefits DESC"""

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
        columns = queries.query(
            """SELECT table_schema || '.' || table_name AS relation, column_name, data_type
            FROM information_schema.columns WHERE table_schema IN ('marts', 'audit', 'snapshots')
            ORDER BY table_schema, table_name, ordinal_position"""
        )
        for relation, part in columns.groupby("relation", sort=True):
            with st.expander(relation):
                st.dataframe(part[["column_name", "data_type"]], hide_index=True, width="stretch")
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
            common.table(result.frame, "result", "query_result.csv")
