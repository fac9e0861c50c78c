"""SQL console: read-only ad-hoc SQL over the published warehouse, with a row and a time limit."""

from __future__ import annotations

import time

import streamlit as st

from dashboards import queries
from dashboards.views import common
from pipelines.sql import QueryTimeout, ReadOnlySqlError

EXAMPLE = """SELECT s.status, count(*) AS benefits, sum(s.cumulative_realized_value) AS realized
FROM marts.fct_benefit_status s
GROUP BY s.status
ORDER BY benefits DESC"""

ROW_LIMIT = 5_000
TIME_LIMIT_S = 10.0


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
        st.caption(f"At most {ROW_LIMIT:,} rows and {TIME_LIMIT_S:g} s. Statements that write are refused.")
        if st.button("Run", type="primary", key="sql_run"):
            started = time.monotonic()
            try:
                result = queries.console_query(sql, ROW_LIMIT, TIME_LIMIT_S)
            except ReadOnlySqlError as exc:
                st.error(f"Refused: {exc}")
                return
            except QueryTimeout as exc:
                st.error(str(exc))
                return
            except Exception as exc:  # a DuckDB error: unknown column, syntax ...
                st.error(f"Query failed: {exc}")
                return
            took = time.monotonic() - started
            note = f" (first {ROW_LIMIT:,} shown)" if result.truncated else ""
            st.success(f"{len(result.frame):,} rows in {took:.2f} s{note}")
            common.table(result.frame, "result", "query_result.csv")
