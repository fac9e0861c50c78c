"""`brw`: run the pipeline, query the warehouse, generate sources, serve the dashboard (SPEC 8).

One module per command: `run` (and the run `summaries`), `sources`, `generate`, `dashboard`;
`brw sql` and `brw docs` are `pipelines.console.commands`.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from pipelines.settings import SettingsError


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help="DuckDB warehouse file (env BRW_WAREHOUSE; default warehouse/brw.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    from pipelines.console.commands import add_docs_arguments, add_sql_arguments

    parser = argparse.ArgumentParser(prog="brw", description="Benefits Realization Warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest the sources and build the warehouse through Dagster")
    run.add_argument("--source", help="source directory (env BRW_SOURCE_DIR; default seeds/)")
    _add_warehouse(run)
    run.add_argument("--as-of", help="as-of date YYYY-MM-DD (env BRW_AS_OF; default today)")
    run.add_argument("--mapping", help="a sources.yml mapping your own exports (env BRW_MAPPING; "
                                       "default <source>/sources.yml when present)")
    run.add_argument("--all", action="store_true",
                     help="rebuild everything, not only what changed since the last run")
    run.add_argument("--engine", choices=("duckdb", "spark"),
                     help="what dbt builds the models on (env BRW_ENGINE; default duckdb): spark builds the same "
                          "models on a local Apache Spark and loads its tables back (README \"Running on Spark\")")

    sources = sub.add_parser("sources", help="check or start the mapping of your own exports (sources.yml)")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    check = sources_sub.add_parser("check", help="dry run: what each table would load and reject; writes nothing")
    check.add_argument("--source", help="source directory (env BRW_SOURCE_DIR; default seeds/)")
    check.add_argument("--mapping", help="the mapping file (env BRW_MAPPING; default <source>/sources.yml)")
    check.add_argument("--as-of", help="as-of date YYYY-MM-DD for the plausible-date window (default today)")
    init = sources_sub.add_parser("init", help="write a starter sources.yml from the headers of the files in DIR")
    init.add_argument("dir", help="the directory holding your exports")
    init.add_argument("--force", action="store_true", help="overwrite an existing sources.yml")

    sql = sub.add_parser("sql", help="read-only SQL against the warehouse")
    add_sql_arguments(sql)
    docs = sub.add_parser("docs", help="the dbt docs site of the warehouse, offline")
    add_docs_arguments(docs)

    gen = sub.add_parser("generate", help="write a synthetic source directory (SPEC section 2)")
    gen.add_argument("--out", required=True, help="directory to write")
    gen.add_argument("--projects", type=int, default=30)
    gen.add_argument("--years", type=int, default=7)
    gen.add_argument("--seed", type=int, default=2026)
    gen.add_argument("--end", help="last day of data, YYYY-MM-DD (default 2026-11-20)")
    gen.add_argument("--format", choices=["auto", "csv", "parquet"], default="auto", help="KPI measurement files")
    gen.add_argument("--no-stories", action="store_true", help="leave out the planted demo stories")

    dash = sub.add_parser("dashboard", help="serve the Streamlit portfolio board")
    _add_warehouse(dash)
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--address", help="interface to serve on (default 127.0.0.1; another address, e.g. "
                                        "0.0.0.0 for the network, needs sign-in configured)")
    dash.add_argument("--secrets", help="Streamlit secrets file whose [auth] section configures OIDC sign-in "
                                        "(env BRW_DASHBOARD_SECRETS; default .streamlit/secrets.toml of the repo "
                                        "when present; without [auth], or given as '': local single-user mode)")
    dash.add_argument("--access", help="access file granting roles to signed-in users (env BRW_ACCESS; "
                                       "default access.yml beside the warehouse)")
    return parser


# subcommand -> the module of its `cmd_<subcommand>(args) -> exit code`, imported when it runs
COMMANDS = {
    "run": "pipelines.cli.run",
    "sources": "pipelines.cli.sources",
    "sql": "pipelines.console.commands",
    "docs": "pipelines.console.commands",
    "generate": "pipelines.cli.generate",
    "dashboard": "pipelines.cli.dashboard",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        command = getattr(import_module(COMMANDS[args.command]), f"cmd_{args.command}")
        return command(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside the places that report it themselves (brw run does)
        print(f"\nbrw {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `brw sql ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
