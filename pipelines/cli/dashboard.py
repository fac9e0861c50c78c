"""`brw dashboard`: serve the Streamlit portfolio board (it reads the warehouse's read copy).

With a secrets file holding `[auth]` (`--secrets`, BRW_DASHBOARD_SECRETS, else the repo's
`.streamlit/secrets.toml` when it exists) users sign in with OIDC and see what access.yml grants
them (`--access`, BRW_ACCESS, else access.yml beside the warehouse). Without `[auth]` it is in local
single-user mode: it serves this machine only, and any other `--address` is refused (exit 2).
The [auth] section is checked before Streamlit starts; no secret value is ever printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from dashboards.signin import EXAMPLE_FILE, README_SECTION, SignInConfigError, is_loopback, read_auth
from pipelines.settings import REPO_ROOT, Settings

SECRETS_ENV = "BRW_DASHBOARD_SECRETS"
DEFAULT_SECRETS = REPO_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_ADDRESS = "127.0.0.1"


def secrets_file(flag: str | None) -> tuple[Path | None, bool]:
    """The secrets file to serve with and whether it was asked for (flag, else environment), in
    which case it must exist and hold [auth]; the repo's default file is used only when present.
    An empty value asks for none: local single-user mode whatever the default file holds."""
    explicit = flag if flag is not None else os.environ.get(SECRETS_ENV)
    if explicit is not None:
        return (Path(explicit).expanduser().resolve(), True) if explicit.strip() else (None, False)
    return (DEFAULT_SECRETS, False) if DEFAULT_SECRETS.is_file() else (None, False)


def _refusal(address: str) -> str:
    return (f"brw dashboard --address {address}: no sign-in is configured, so the dashboard serves this machine "
            f"only (local single-user mode: whoever reaches the port would see every benefit and the SQL "
            f"console). To serve it on the network, configure sign-in: copy {EXAMPLE_FILE} to "
            f".streamlit/secrets.toml (or pass --secrets FILE), fill in your identity provider's [auth] "
            f"settings and grant roles in access.yml ({README_SECTION}). Or serve on 127.0.0.1.")


def _access_warning(path: Path) -> str | None:
    """Why no signed-in user would get in with this access file, or None."""
    from dashboards.access import AccessFileError, load_policy

    try:
        policy = load_policy(path)
    except AccessFileError as exc:
        return f"{exc}. Every signed-in user sees \"No access\" until it is fixed"
    if not policy.grants:
        return f"{path}: grants nobody a role. Every signed-in user sees \"No access\" until it does"
    return None


def _redirect_warning(redirect_uri: str, port: int) -> str | None:
    """A redirect_uri on this machine whose port is not the one served: the login would come back
    to nothing (behind a proxy on another host the ports legitimately differ)."""
    parsed = urlparse(redirect_uri.replace("{port}", str(port)))
    if is_loopback(parsed.hostname) and parsed.port not in (None, port):
        return (f"[auth] redirect_uri is on port {parsed.port} but the dashboard serves port {port}: the "
                "identity provider will send users back to the wrong address")
    return None


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = Settings.resolve(warehouse=args.warehouse)
    secrets, required = secrets_file(args.secrets)
    try:
        auth = read_auth(secrets, required=required) if secrets is not None else None
    except SignInConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    address = args.address or DEFAULT_ADDRESS
    if auth is None and not is_loopback(address):
        print(f"error: {_refusal(address)}", file=sys.stderr)
        return 2

    settings.export()
    if args.access:
        os.environ["BRW_ACCESS"] = str(Path(args.access).expanduser().resolve())
    app = REPO_ROOT / "dashboards" / "app.py"
    # Streamlit through pipelines.processes, which ends the process promptly once Streamlit stops
    cmd = [
        sys.executable, "-m", "pipelines.processes", "streamlit", "run", str(app),
        "--server.port", str(args.port), "--server.address", address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Always one explicit secrets file: Streamlit would otherwise also read ~/.streamlit/ and the
        # working directory's, and could sign users in where this command announced local mode.
        "--secrets.files", str(secrets) if secrets is not None else os.devnull,
    ]
    from pipelines.read_copy import read_copy_path

    if auth is None:
        mode = "local single-user mode: no sign-in, this machine only"
    else:
        from dashboards.access import access_file_path

        access = access_file_path()
        provider = urlparse(str(auth["server_metadata_url"])).netloc
        mode = f"sign-in with {provider} ({secrets}), roles from {access}"
        for warning in (_access_warning(access), _redirect_warning(str(auth["redirect_uri"]), args.port)):
            if warning:
                print(f"warning: {warning}", file=sys.stderr, flush=True)
    print(f"brw dashboard: http://{address}:{args.port} (reads {read_copy_path(settings.warehouse)}; {mode})",
          flush=True)
    if os.name != "posix":
        return subprocess.call(cmd)
    # Become the server: signals (Ctrl-C, SIGTERM, a killed terminal) reach Streamlit itself, and
    # no child is left serving when `brw dashboard` is killed.
    os.execv(sys.executable, cmd)
