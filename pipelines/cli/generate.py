"""`brw generate`: write a synthetic source directory (SPEC section 2)."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.demo import generate_source_dir

    kwargs = {}
    if args.end:
        kwargs["end"] = date.fromisoformat(args.end)
    started = time.monotonic()
    counts = generate_source_dir(
        Path(args.out),
        projects=args.projects,
        years=args.years,
        seed=args.seed,
        measurement_format=args.format,
        stories=not args.no_stories,
        progress=lambda msg: print(f"  {msg}", flush=True),
        **kwargs,
    )
    for name, n in counts.items():
        print(f"  {name:<28}{n:>12,}")
    print(f"wrote {args.out} in {time.monotonic() - started:.1f} s")
    return 0
