"""The `brw sql` and `brw docs` commands: their arguments and what they do (SPEC 8).

`add_sql_arguments` / `add_docs_arguments` fill an argparse sub-parser; `cmd_sql` / `cmd_docs`
take the parsed namespace and return the process exit code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from pipelines.settings import Settings


def add_sql_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `brw sql`: the statement, the warehouse, output format and limits."""
    parser.add_argument("query", help="one SELECT / WITH / DESCRIBE / SHOW statement")
    parser.add_argument("--warehouse", help="DuckDB warehouse file (env BRW_WAREHOUSE; default warehouse/brw.duckdb)")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--limit", type=int, default=None, help="at most this many rows")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop the query after S seconds (default 60; 0 = no limit)")
    parser.add_argument("--memory-limit", type=_size, default=None, metavar="SIZE",
                        help="memory the query may use, e.g. 4GB (default 2GB; 0 = no limit)")
    parser.add_argument("--max-bytes", type=_size, default=None, metavar="SIZE",
                        help="stop reading the result at this size, e.g. 1GB (default 256MB; 0 = no limit)")
    parser.add_argument("--trusted", action="store_true",
                        help="a trusted local analyst: files and URLs readable (read_csv, read_parquet ...), "
                             "no time or memory limit unless given; still read-only, writing statements still refused")


def _size(value: str) -> int:
    from pipelines.console.limits import parse_size

    try:
        return parse_size(value) or 0  # 0: no limit (None: the flag was not given)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _fail(exc: BaseException, hint: str = "") -> None:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    print(f"error: {lines[0] if lines else type(exc).__name__}{hint}", file=sys.stderr)


def cmd_sql(args: argparse.Namespace) -> int:
    """Exit 0 with the result, 2 when the statement is refused (nothing ran), 1 for any other
    error (missing warehouse, DuckDB error, time or memory limit); errors are one line on stderr."""
    from pipelines.console import CLI_LIMITS, QueryMemoryLimit, QueryTimeout, ReadOnlySqlError, run_query

    limits = CLI_LIMITS
    if args.trusted:
        limits = dataclasses.replace(limits, external_access=True, timeout_s=None, memory_limit=None, threads=None)
    changes = {"max_rows": args.limit}
    if args.timeout is not None:
        changes["timeout_s"] = args.timeout or None
    if args.memory_limit is not None:
        changes["memory_limit"] = args.memory_limit or None
    if args.max_bytes is not None:
        changes["max_bytes"] = args.max_bytes or None
    limits = dataclasses.replace(limits, **changes)

    settings = Settings.resolve(warehouse=args.warehouse)
    try:
        result = run_query(settings.warehouse, args.query, limits)
    except ReadOnlySqlError as exc:
        _fail(exc)
        return 2
    except QueryTimeout as exc:
        _fail(exc, " (--timeout S changes it)")
        return 1
    except QueryMemoryLimit as exc:
        _fail(exc, " (--memory-limit SIZE changes it)")
        return 1
    except Exception as exc:  # missing warehouse, DuckDB errors: unknown table, bad column ...
        _fail(exc)
        return 1
    frame = result.frame
    if result.truncated:
        hint = " (--max-bytes SIZE changes it)" if result.truncated_by == "bytes" else ""
        print(f"note: {result.note()}{hint}", file=sys.stderr)
    if args.format == "csv":
        _frame_to_csv(frame, sys.stdout)  # formula-leading text cells escaped (issue 11, item 8)
    elif args.format == "json":
        print(json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2))
    else:
        print(frame_as_text(frame) if len(frame.columns) else "(no columns)")
        print(f"({len(frame)} row{'s' if len(frame) != 1 else ''}{', more not shown' if result.truncated else ''})")
    return 0


def frame_as_text(frame) -> str:
    """The frame as a text table, text columns left-aligned (a description reads from its start),
    numbers right-aligned."""
    formatters = {}
    for name in frame.columns:
        if frame[name].dtype == object:
            width = max([len(str(name))] + [len(str(value)) for value in frame[name]])
            formatters[name] = lambda value, width=width: f"{value!s:<{width}}"
    text = frame.to_string(index=False, formatters=formatters, justify="left")
    return "\n".join(line.rstrip() for line in text.splitlines())


def _frame_to_csv(frame, out) -> None:
    from pipelines.safe_csv import frame_to_csv

    frame_to_csv(frame, out)


def add_docs_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `brw docs`: which warehouse to document and where to serve the site."""
    parser.add_argument("--warehouse", help="DuckDB warehouse file (env BRW_WAREHOUSE; default warehouse/brw.duckdb)")
    parser.add_argument("--address", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8580, help="port to serve on (default 8580)")
    parser.add_argument("--output", metavar="DIR", default=None,
                        help="write the site here (default: <warehouse stem>-docs/ beside the warehouse file)")
    parser.add_argument("--no-serve", action="store_true", help="only write the site and print its path")


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs site of the warehouse (offline, from its read copy) and serve it on
    --address:--port, or with --no-serve only write it and print the path of its index.html;
    exit 1 with one line on stderr when there is no warehouse, dbt fails or the port is taken."""
    from pipelines.console.docs_site import DocsSiteError, generate_docs_site, serve_docs_site

    settings = Settings.resolve(warehouse=args.warehouse)
    started = time.monotonic()
    try:
        site = generate_docs_site(settings.warehouse, output_dir=args.output)
    except DocsSiteError as exc:
        _fail(exc)
        return 1
    print(f"dbt docs generated in {time.monotonic() - started:.1f} s: {site}", file=sys.stderr)
    if args.no_serve:
        print(site / "index.html")
        return 0
    return serve_docs_site(site, address=args.address, port=args.port)
