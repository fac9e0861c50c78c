"""`brw dashboard`: serve the Streamlit portfolio board (it reads the warehouse's read copy)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from pipelines.settings import REPO_ROOT, Settings


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = Settings.resolve(warehouse=args.warehouse)
    settings.export()
    app = REPO_ROOT / "dashboards" / "app.py"
    # Streamlit through pipelines.processes, which ends the process promptly once Streamlit stops
    cmd = [
        sys.executable, "-m", "pipelines.processes", "streamlit", "run", str(app),
        "--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    from pipelines.read_copy import read_copy_path

    print(f"brw dashboard: http://{args.address}:{args.port} (reads {read_copy_path(settings.warehouse)})", flush=True)
    if os.name != "posix":
        return subprocess.call(cmd)
    # Become the server: signals (Ctrl-C, SIGTERM, a killed terminal) reach Streamlit itself, and
    # no child is left serving when `brw dashboard` is killed.
    os.execv(sys.executable, cmd)
