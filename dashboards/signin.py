"""Sign-in configuration of the dashboard: the `[auth]` section of its secrets file, and whether
an address is this machine only. No Streamlit here: `brw dashboard` checks the same rules before it
starts the server (pipelines/cli/dashboard.py), and dashboards/app.py again on every run.

Sign-in is Streamlit's own OIDC login (`st.login()`, Authlib), configured with the default
provider's keys directly under `[auth]` (see .streamlit/secrets.toml.example). Without `[auth]` the
dashboard runs in local single-user mode and serves 127.0.0.1 only.
"""

from __future__ import annotations

import ipaddress
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

EXAMPLE_FILE = ".streamlit/secrets.toml.example"
README_SECTION = 'README, "Sign-in and roles"'
MIN_COOKIE_SECRET = 32  # characters; `python -c "import secrets; print(secrets.token_hex(32))"` gives 64

# What each key of [auth] is, for the message that says it is missing. No value is ever printed.
AUTH_KEYS = {
    "redirect_uri": "this dashboard's address followed by /oauth2callback (e.g. "
                    "https://pmo-board.example.org/oauth2callback), registered with the identity provider",
    "cookie_secret": f"a random string of at least {MIN_COOKIE_SECRET} characters that signs the sign-in cookie "
                     "(python -c \"import secrets; print(secrets.token_hex(32))\")",
    "client_id": "the client id the identity provider issued for this dashboard",
    "client_secret": "the client secret the identity provider issued for this dashboard",
    "server_metadata_url": "the provider's discovery document, "
                           "https://<issuer>/.well-known/openid-configuration",
}
OPTIONAL_AUTH_KEYS = {"client_kwargs", "expose_tokens"}


class SignInConfigError(ValueError):
    """The secrets file or its [auth] section cannot be used; the message names the file and the key."""


def is_loopback(address: str | None) -> bool:
    """True for an address that only this machine reaches: localhost, 127.0.0.0/8, ::1.
    An empty address is not: Streamlit then listens on every interface."""
    if not address:
        return False
    address = address.strip().strip("[]")
    if address.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _absolute_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def auth_problems(auth: Mapping[str, Any]) -> list[str]:
    """What is wrong with an [auth] section, one sentence per key (empty: usable)."""
    problems = []
    for key, what in AUTH_KEYS.items():
        value = auth.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"[auth] lacks {key}: {what}")
        elif not isinstance(value, str):
            problems.append(f"[auth] {key} must be a string: {what}")
    redirect = auth.get("redirect_uri")
    if isinstance(redirect, str) and redirect.strip():
        if not _absolute_url(redirect.replace("{port}", "8501")):
            problems.append("[auth] redirect_uri must be an absolute http(s) URL: " + AUTH_KEYS["redirect_uri"])
        elif not urlparse(redirect).path.endswith("/oauth2callback"):
            problems.append("[auth] redirect_uri must end with /oauth2callback (the path Streamlit answers "
                            "the identity provider on)")
    metadata = auth.get("server_metadata_url")
    if isinstance(metadata, str) and metadata.strip() and not _absolute_url(metadata):
        problems.append("[auth] server_metadata_url must be an absolute http(s) URL: " + AUTH_KEYS["server_metadata_url"])
    secret = auth.get("cookie_secret")
    if isinstance(secret, str) and secret.strip() and len(secret) < MIN_COOKIE_SECRET:
        problems.append(f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET} characters: "
                        + AUTH_KEYS["cookie_secret"])
    named = sorted(k for k, v in auth.items() if isinstance(v, Mapping) and k not in OPTIONAL_AUTH_KEYS)
    if named:
        problems.append(f"[auth.{named[0]}]: named providers are not supported; put client_id, client_secret "
                        "and server_metadata_url directly under [auth]")
    return problems


def read_auth(path: Path, *, required: bool) -> dict[str, Any] | None:
    """The [auth] section of a secrets file, checked; None when the file has none and `required`
    is false (local single-user mode). Raises SignInConfigError naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SignInConfigError(f"{path}: no such secrets file") from None
    except OSError as exc:
        raise SignInConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SignInConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:  # the message gives line and column, not the text
        raise SignInConfigError(f"{path}: not valid TOML ({exc})") from None
    auth = data.get("auth")
    if auth is None:
        if required:
            raise SignInConfigError(f"{path}: no [auth] section, so there is nothing to sign in with. Add one "
                                    f"(see {EXAMPLE_FILE}), or leave the secrets file out for local single-user mode")
        return None
    if not isinstance(auth, dict):
        raise SignInConfigError(f"{path}: auth must be a table ([auth]), not a {type(auth).__name__}")
    problems = auth_problems(auth)
    if problems:
        raise SignInConfigError(f"{path}: " + "; ".join(problems))
    return auth


# The access file as last read, per path: re-read when its modification time or size changes, so
# an admin's edit applies on each user's next page view without a restart.
_policies: dict[str, tuple[tuple[int, int], Any]] = {}
_policies_lock = threading.Lock()


def access_policy(path: Path):
    """dashboards.access.load_policy(path), cached until the file changes (AccessFileError as it raises)."""
    from dashboards import access

    try:
        stat = path.stat()
    except OSError:
        return access.load_policy(path)  # raises AccessFileError naming the file
    version = (stat.st_mtime_ns, stat.st_size)
    with _policies_lock:
        cached = _policies.get(str(path))
    if cached is not None and cached[0] == version:
        return cached[1]
    policy = access.load_policy(path)
    with _policies_lock:
        _policies[str(path)] = (version, policy)
    return policy
