"""`brw sources check` / `brw sources init`: check or start the mapping of your own exports."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pipelines.settings import Settings


def cmd_sources(args: argparse.Namespace) -> int:
    from pipelines.mapping import MappingError, mapping_for

    if args.sources_command == "init":
        from pipelines.mapping import write_starter

        folder = Path(args.dir).expanduser().resolve()
        if not folder.is_dir():
            print(f"error: {folder} is not a directory", file=sys.stderr)
            return 2
        try:
            path, report = write_starter(folder, force=args.force)
        except FileExistsError:
            print(f"error: {folder / 'sources.yml'} exists; --force overwrites it", file=sys.stderr)
            return 2
        for line in report:
            print(line)
        print(f"wrote {path}: fill in the TODOs, then `brw sources check --source {folder}`")
        return 0

    from pipelines.mapping import check_sources, format_report

    settings = Settings.resolve(args.source, None, args.as_of, args.mapping)
    if not settings.source_dir.is_dir():
        print(f"error: source directory {settings.source_dir} does not exist", file=sys.stderr)
        return 2
    try:
        mapping = mapping_for(settings.source_dir, settings.mapping)
    except MappingError as exc:
        print(f"error: the mapping cannot be used:\n{exc}", file=sys.stderr)
        return 2
    print(f"brw sources check: {settings.source_dir} (nothing is written)", flush=True)
    reports, error = check_sources(settings.source_dir, mapping, settings.as_of or date.today(),
                                   progress=lambda m: print(m, file=sys.stderr, flush=True))
    if error:
        print(f"error: the mapping cannot be used; nothing was loaded:\n{error}", file=sys.stderr)
        return 2
    for line in format_report(reports, mapping.path if mapping else None):
        print(line)
    return 1 if any(r.error for r in reports) else 0
