"""Sign-in configuration without a browser: `brw dashboard` refuses the network without sign-in and
checks the [auth] section before it starts Streamlit (never printing a secret); the app's gate in
AppTest: the local single-user banner, no data when served beyond this machine without sign-in,
the sign-in page, a sign-in configuration that cannot work. (The OIDC login itself:
tests/test_auth_browser.py; every role on every page: tests/test_access.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from dashboards.signin import auth_problems, is_loopback
from pipelines.cli import dashboard as dashboard_cli
from pipelines.cli import main
from tests.conftest import APP

SECRET = "s3cr3t-client-value-never-printed"
COOKIE = "c00kie-" + "x" * 40
VALID = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": COOKIE,
    "client_id": "brw-dashboard",
    "client_secret": SECRET,
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def toml(auth: dict | None) -> str:
    if auth is None:
        return 'other = "x"\n'
    return "[auth]\n" + "".join(f'{key} = "{value}"\n' for key, value in auth.items())


class Exec(Exception):
    """os.execv was called: the command Streamlit would have been started with."""

    def __init__(self, argv):
        super().__init__(argv)
        self.argv = argv


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """`brw dashboard ARGS` up to the point it would exec Streamlit: (exit code or the Streamlit
    argv, stderr+stdout). No developer secrets file, no BRW_* settings from outside."""
    monkeypatch.setattr(dashboard_cli, "DEFAULT_SECRETS", tmp_path / "no-repo-secrets.toml")
    for name in ("BRW_DASHBOARD_SECRETS", "BRW_ACCESS", "BRW_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)

    def fake_exec(path, argv):
        raise Exec(argv)

    monkeypatch.setattr(os, "execv", fake_exec)
    monkeypatch.setattr(os, "name", "posix")

    def run(*args: str, capsys=None):
        try:
            code = main(["dashboard", "--warehouse", str(tmp_path / "wh" / "brw.duckdb"), *args])
        except Exec as exc:
            return exc.argv
        return code

    return run


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::", "pmo-board.example.org"])
def test_a_network_address_without_sign_in_is_refused_with_how_to_configure_it(cli, capsys, address):
    assert cli("--address", address) == 2
    err = capsys.readouterr().err
    assert f"--address {address}: no sign-in is configured" in err
    assert ".streamlit/secrets.toml.example" in err and 'README, "Sign-in and roles"' in err


@pytest.mark.parametrize("address", [None, "127.0.0.1", "localhost", "::1"])
def test_without_sign_in_it_serves_this_machine_in_local_mode(cli, capsys, address):
    argv = cli(*(["--address", address] if address else []))
    assert option(argv, "--server.address") == (address or "127.0.0.1")
    # one explicit, empty secrets file: ~/.streamlit/secrets.toml cannot turn sign-in on behind its back
    assert option(argv, "--secrets.files") == os.devnull
    assert "local single-user mode" in capsys.readouterr().out


def test_with_sign_in_it_serves_the_network_with_the_secrets_and_access_files(cli, capsys, tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml(VALID))
    access = tmp_path / "access.yml"
    access.write_text("grants:\n  - email: chair@example.org\n    role: board\n")
    monkeypatch.setenv("BRW_DASHBOARD_SECRETS", str(secrets))
    argv = cli("--address", "0.0.0.0", "--access", str(access))
    assert option(argv, "--server.address") == "0.0.0.0"
    assert option(argv, "--secrets.files") == str(secrets.resolve())
    assert os.environ["BRW_ACCESS"] == str(access.resolve())
    out, err = capsys.readouterr()
    assert "sign-in with login.example.org" in out and str(access.resolve()) in out
    assert not err  # the access file grants someone: no warning
    assert SECRET not in out + err and COOKIE not in out + err


def test_the_repo_secrets_file_is_the_default_and_without_auth_means_local_mode(cli, tmp_path, monkeypatch):
    default = tmp_path / "repo-secrets.toml"
    monkeypatch.setattr(dashboard_cli, "DEFAULT_SECRETS", default)
    default.write_text(toml(None))
    assert option(cli(), "--secrets.files") == str(default)  # no [auth]: local mode, still this file
    assert cli("--address", "0.0.0.0") == 2
    default.write_text(toml(VALID))
    assert option(cli("--address", "0.0.0.0"), "--secrets.files") == str(default)


def test_an_empty_secrets_value_means_local_mode_whatever_the_default_file_holds(cli, tmp_path, monkeypatch):
    default = tmp_path / "repo-secrets.toml"
    default.write_text(toml(VALID))
    monkeypatch.setattr(dashboard_cli, "DEFAULT_SECRETS", default)
    assert option(cli("--secrets", ""), "--secrets.files") == os.devnull
    assert cli("--secrets", "", "--address", "0.0.0.0") == 2
    monkeypatch.setenv("BRW_DASHBOARD_SECRETS", "")
    assert option(cli(), "--secrets.files") == os.devnull
    monkeypatch.setenv("BRW_DASHBOARD_SECRETS", str(tmp_path / "elsewhere.toml"))
    assert option(cli("--secrets", str(default)), "--secrets.files") == str(default)  # the flag wins


def test_a_missing_access_file_is_a_warning_not_a_refusal(cli, capsys, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml(VALID))
    argv = cli("--secrets", str(secrets), "--access", str(tmp_path / "none.yml"))
    assert isinstance(argv, list)
    err = capsys.readouterr().err
    assert "none.yml" in err and 'Every signed-in user sees "No access"' in err


def test_a_redirect_uri_on_another_local_port_is_warned_about(cli, capsys, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml(VALID))
    cli("--secrets", str(secrets), "--port", "8600")
    assert "redirect_uri is on port 8501 but the dashboard serves port 8600" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "expected"), [
    ({"cookie_secret": None}, "[auth] lacks cookie_secret: a random string of at least 32 characters"),
    ({"client_id": ""}, "[auth] lacks client_id: the client id the identity provider issued"),
    ({"server_metadata_url": None}, "[auth] lacks server_metadata_url: the provider's discovery document"),
    ({"redirect_uri": None}, "[auth] lacks redirect_uri: this dashboard's address followed by /oauth2callback"),
    ({"redirect_uri": "http://127.0.0.1:8501/callback"}, "[auth] redirect_uri must end with /oauth2callback"),
    ({"redirect_uri": "pmo-board/oauth2callback"}, "[auth] redirect_uri must be an absolute http(s) URL"),
    ({"server_metadata_url": "login.example.org"}, "[auth] server_metadata_url must be an absolute http(s) URL"),
    ({"cookie_secret": "short"}, "[auth] cookie_secret is shorter than 32 characters"),
])
def test_an_unusable_auth_section_is_refused_naming_the_file_and_the_key(cli, capsys, tmp_path, change, expected):
    auth = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml(auth))
    assert cli("--secrets", str(secrets), "--address", "0.0.0.0") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {secrets.resolve()}: ")
    assert expected in err
    assert SECRET not in err and COOKIE not in err and "short" not in err.replace("shorter", "")


@pytest.mark.parametrize(("text", "expected"), [
    (None, "no such secrets file"),
    ('[auth\nredirect_uri = "x"\n', "not valid TOML"),
    ('other = "x"\n', "no [auth] section, so there is nothing to sign in with"),
    ('auth = "yes"\n', "auth must be a table ([auth])"),
    (toml(VALID) + "[auth.google]\nclient_id = \"x\"\n", "[auth.google]: named providers are not supported"),
])
def test_a_secrets_file_asked_for_must_hold_a_usable_auth_section(cli, capsys, tmp_path, text, expected):
    secrets = tmp_path / "secrets.toml"
    if text is not None:
        secrets.write_text(text)
    assert cli("--secrets", str(secrets)) == 2
    err = capsys.readouterr().err
    assert str(secrets.resolve()) in err and expected in err


def test_no_secret_value_is_in_any_message():
    problems = auth_problems({**VALID, "cookie_secret": "tooShortSecretValue", "redirect_uri": SECRET})
    assert problems and not any("tooShortSecretValue" in p or SECRET in p for p in problems)


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("", False), (None, False), ("10.0.0.5", False), ("example.org", False),
])
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


# --- the app's gate (AppTest) ---------------------------------------------------------------------

@pytest.fixture
def empty_warehouse(tmp_path, monkeypatch) -> Path:
    """No warehouse published: the pages say so; nothing here needs data."""
    monkeypatch.setenv("BRW_WAREHOUSE", str(tmp_path / "wh" / "brw.duckdb"))
    monkeypatch.setenv("BRW_ACCESS_LOG", str(tmp_path / "access_log"))
    monkeypatch.delenv("BRW_ACCESS", raising=False)
    return tmp_path


def registered(at: AppTest) -> set[str]:
    return {info.get("url_pathname") for info in at._registered_pages.values()} - {"home", "", None}


def test_local_mode_says_so_on_every_page(empty_warehouse):
    from tests.conftest import open_page

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert registered(at) == {"overview", "benefit", "after-closure", "delivery-health", "data-quality", "sql"}
    for key in sorted(registered(at)):
        open_page(at, key)
        assert not at.exception, key
        banner = [c.value for c in at.main.caption if "Local single-user mode" in c.value]
        assert len(banner) == 1 and "served on this machine only" in banner[0], key
    assert not at.sidebar.button  # no Sign out: nobody signed in


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20"])
def test_local_mode_served_on_the_network_shows_no_data(empty_warehouse, address):
    at = AppTest.from_file(str(APP), default_timeout=60)
    with patch_config_options({"server.address": address}):
        at.run()
    assert not at.exception
    assert registered(at) == set()  # no page at all
    assert f"served on `{address}`" in at.error[0].value and "shows no data" in at.error[0].value
    assert not at.sidebar.multiselect and not at.caption  # no filters, no as-of line, no banner


def test_with_sign_in_configured_a_visitor_gets_only_the_sign_in_page(empty_warehouse):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = VALID
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Benefits Realization Warehouse"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert registered(at) == set() and not at.sidebar.multiselect
    assert not [c for c in at.caption if "Local single-user mode" in c.value]


def test_a_sign_in_configuration_that_cannot_work_shows_no_data(empty_warehouse):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = {**VALID, "cookie_secret": "short"}
    at.user = {"is_logged_in": True, "email": "chair@example.org"}
    at.run()
    assert not at.exception
    assert registered(at) == set() and not at.button
    assert "cookie" in " ".join(m.value for m in at.markdown) and "short" not in " ".join(
        m.value for m in at.markdown).replace("shorter", "")


def test_a_signed_in_user_is_named_in_the_sidebar_with_roles_and_sign_out(empty_warehouse, tmp_path, monkeypatch):
    access = tmp_path / "access.yml"
    access.write_text("grants:\n  - email: dan@example.org\n    role: benefit_owner\n    benefit_owner: Dan Doyle\n")
    monkeypatch.setenv("BRW_ACCESS", str(access))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = VALID
    at.user = {"is_logged_in": True, "email": "dan@example.org", "name": "Dan Doyle"}
    at.run()
    assert not at.exception
    assert registered(at) == {"overview", "benefit", "after-closure", "delivery-health", "check-in"}
    sidebar = " ".join(e.value for e in [*at.sidebar.markdown, *at.sidebar.caption])
    assert "Dan Doyle" in sidebar and "Benefit owner" in sidebar
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at.sidebar.button[0].click().run()
    assert at.user == {"is_logged_in": False}  # st.logout() ran


@pytest.mark.parametrize(("user", "url", "title"), [
    ({"is_logged_in": True, "email": "dan@example.org", "name": "Dan Doyle"}, "http://127.0.0.1:8501/sql",
     "SQL console"),
    (None, "http://localhost:8501/board/access-log?x=1", "Access log"),  # local mode, under a baseUrlPath
])
def test_the_url_of_a_page_the_roles_do_not_allow_names_it_and_is_recorded(empty_warehouse, tmp_path, monkeypatch,
                                                                          user, url, title):
    from dashboards import audit

    access = tmp_path / "access.yml"
    access.write_text("grants:\n  - email: dan@example.org\n    role: benefit_owner\n    benefit_owner: Dan Doyle\n")
    monkeypatch.setenv("BRW_ACCESS", str(access))
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.secrets["auth"] = VALID
        at.user = user
    at.context = {"url": url}  # Streamlit runs the default page for a URL that is not registered
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == [title]
    assert "This page is not available to your role" in at.warning[0].value
    assert not at.text_area and not at.dataframe  # nothing of the page itself
    key = url.split("?")[0].rsplit("/", 1)[-1]
    events = audit.read_events()
    assert list(events.loc[events["kind"] == "denied", "page"]) == [key]
