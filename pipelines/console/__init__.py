"""Read-only ad-hoc SQL over the warehouse (`brw sql`, the dashboard's SQL console) and the dbt docs
site (`brw docs`). Dagster-free.

Layers, each enough on its own for what it guards (issue 11, items 6 and 7):

1. the statement guard (`statements.check_read_only`): one reading statement, nothing else runs;
2. the connection (`connection.open_read_only`): read-only, no files or URLs, settings locked;
3. the cost bounds (`limits.Limits`, one set for the console and `brw sql`): rows, result bytes,
   seconds, and memory, a capped query running in a worker process (`worker`) killed at its cap.

`catalog` makes the warehouse explain itself: `SHOW TABLES` lists every schema's tables with their
descriptions, `DESCRIBE` shows column descriptions, unqualified names find the marts first.
`query.run_query` puts it together; `commands` holds the `brw sql` / `brw docs` commands and
`docs_site` builds and serves the dbt docs site offline.
"""

from pipelines.console.catalog import TABLES_SQL, WAREHOUSE_SCHEMAS
from pipelines.console.connection import execute_read_only, fetch_bounded, open_read_only
from pipelines.console.errors import QueryFailed, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError
from pipelines.console.limits import CLI_LIMITS, CONSOLE_LIMITS, Limits, QueryResult, human_size, parse_size
from pipelines.console.query import run_query
from pipelines.console.statements import check_read_only

__all__ = [
    "CLI_LIMITS", "CONSOLE_LIMITS", "TABLES_SQL", "WAREHOUSE_SCHEMAS", "Limits", "QueryFailed",
    "QueryMemoryLimit", "QueryResult", "QueryTimeout", "ReadOnlySqlError", "check_read_only",
    "execute_read_only", "fetch_bounded", "human_size", "open_read_only", "parse_size", "run_query",
]
