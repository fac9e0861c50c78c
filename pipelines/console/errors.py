"""What ad-hoc SQL raises: a refused statement, a query stopped at a limit, a query DuckDB failed."""

from __future__ import annotations


class ReadOnlySqlError(ValueError):
    """The statement would write or change state; nothing was run."""


class QueryTimeout(RuntimeError):
    """The query ran into its time limit and was stopped."""


class QueryMemoryLimit(RuntimeError):
    """The query needed more memory than its cap and was stopped."""


class QueryFailed(RuntimeError):
    """DuckDB refused or failed the query (unknown column, syntax, file access off ...)."""
