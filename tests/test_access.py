"""Who sees what (issue 15): the access file, the roles, and row-level access enforced in the
query layer — on every page, chart and CSV download of the dashboard (AppTest, signed in through
Streamlit's auth with a seeded user), on the hand-worked portfolio of tests/data/portfolio.

Projects: PA (portfolio Operations) holds BA1–BA5, PB (Digital) holds BB1–BB6; the owners are in
tests/data/portfolio/benefits.csv (Ann Archer owns BA1 and BA3). One benefit of the register is
invalid (quarantined), so the board holds 10.
"""

from __future__ import annotations

import re
import textwrap

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import access
from dashboards.access import AccessFileError, Principal
from tests.conftest import APP, fetch_all, open_page

ACCESS_YML = """\
grants:
  - email: chair@example.org
    role: board
  - group: pmo-analysts
    role: analyst
  - email: it@example.org
    role: admin
  - email: lead@example.org
    role: portfolio_lead
    portfolios: [Digital]
  - email: ann@example.org
    role: benefit_owner
    benefit_owner: Ann Archer
"""
USERS = {  # the OIDC claims of each test user (st.user)
    "board": {"email": "chair@example.org", "name": "Chair"},
    "analyst": {"email": "analyst@example.org", "name": "Ana Lyst", "groups": ["staff", "pmo-analysts"]},
    "admin": {"email": "it@example.org", "name": "IT"},
    "portfolio_lead": {"email": "lead@example.org", "name": "Lead"},
    "benefit_owner": {"email": "ann@example.org", "name": "Ann Archer"},
}
# The role × page table the dashboard enforces (the closing note repeats it).
PAGES = ("overview", "benefit", "after-closure", "delivery-health", "data-quality", "sql", "check-in", "access-log")
ROLE_PAGES = {
    "board": {"overview", "benefit", "after-closure", "delivery-health", "data-quality"},
    "analyst": {"overview", "benefit", "after-closure", "delivery-health", "data-quality", "sql"},
    "admin": {"overview", "benefit", "after-closure", "delivery-health", "data-quality", "sql", "access-log"},
    "portfolio_lead": {"overview", "benefit", "after-closure", "delivery-health"},
    "benefit_owner": {"overview", "benefit", "after-closure", "delivery-health", "check-in"},
}
BENEFIT_ID = re.compile(rb"B[AB][1-6](?![0-9])")  # no \\b before: a protobuf length byte may be a word character
AUTH_SECRETS = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "brw", "client_secret": "s", "server_metadata_url": "http://127.0.0.1:1/.well-known"}


# --------------------------------------------------------------------------- the access file


def policy_from(tmp_path, text: str) -> access.AccessPolicy:
    path = tmp_path / "access.yml"
    path.write_text(textwrap.dedent(text))
    return access.load_policy(path)


def test_grants_combine_by_email_and_group(tmp_path):
    policy = policy_from(tmp_path, ACCESS_YML + """\
  - group: digital-leads
    role: portfolio_lead
    portfolios: [Operations]
  - email: ANN@example.org
    role: benefit_owner
    benefit_owner: [Bob Baker]
""")
    ann = access.resolve({"email": "Ann@Example.org", "groups": "digital-leads, staff"}, policy)
    assert ann.roles == {"benefit_owner", "portfolio_lead"}
    assert ann.owner_names == ("Ann Archer", "Bob Baker") and ann.portfolios == ("Operations",)
    assert not ann.full_access and ann.pages == ROLE_PAGES["benefit_owner"] | ROLE_PAGES["portfolio_lead"]
    analyst = access.resolve(USERS["analyst"], policy)
    assert analyst.roles == {"analyst"} and analyst.full_access and analyst.scope_key == "all"
    assert access.resolve({"email": "stranger@example.org", "groups": ["staff"]}, policy) is None
    assert access.resolve({"sub": "no-email"}, policy) is None
    # an address the provider has not verified proves nothing
    assert access.resolve({"email": "chair@example.org", "email_verified": False}, policy) is None


def test_same_grants_share_a_scope_and_different_grants_do_not():
    a = Principal("a@x", "A", frozenset({"benefit_owner"}), owner_names=("Ann Archer",))
    b = Principal("b@x", "B", frozenset({"benefit_owner"}), owner_names=("ann archer",))
    c = Principal("c@x", "C", frozenset({"benefit_owner"}), owner_names=("Bob Baker",))
    assert a.scope_key == b.scope_key != c.scope_key != "all"


@pytest.mark.parametrize(("text", "message"), [
    ("grants:\n  - email: a@x\n    role: boss\n", "grants.0.role: Input should be 'board'"),
    ("grants:\n  - email: a@x\n    role: portfolio_lead\n", "grants.0: Value error, a portfolio_lead needs portfolios"),
    ("grants:\n  - email: a@x\n    role: benefit_owner\n", "grants.0: Value error, a benefit_owner needs benefit_owner"),
    ("grants:\n  - email: a@x\n    group: g\n    role: board\n", "grants.0: Value error, give exactly one of email or group"),
    ("grants:\n  - email: a@x\n    role: board\n    portfolio: [X]\n", "grants.0.portfolio: Extra inputs are not permitted"),
    ("grants:\n  - email: not-an-address\n    role: board\n", "grants.0.email: Value error, 'not-an-address' is not an email"),
    ("grants: [\n", "line 2 is not valid YAML"),
])
def test_a_bad_access_file_names_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(AccessFileError) as err:
        policy_from(tmp_path, text)
    assert str(err.value).startswith(f"{tmp_path / 'access.yml'}:") and message in str(err.value)


def test_no_access_file_grants_nobody(tmp_path):
    with pytest.raises(AccessFileError, match="no access file, so nobody is granted access"):
        access.load_policy(tmp_path / "access.yml")


# --------------------------------------------------------------------------- the scoped catalogs

ALL = {"BA1", "BA2", "BA3", "BA4", "BA5", "BB1", "BB2", "BB3", "BB4", "BB5", "BB6"}


def valid_benefits(warehouse) -> set[str]:
    return {row[0] for row in fetch_all(warehouse, "SELECT benefit_id FROM marts.dim_benefit")}


def allowed(warehouse, role: str) -> set[str]:
    """The benefit ids a role may see, worked out from the register, not from the scoping code."""
    valid = valid_benefits(warehouse)
    return {"portfolio_lead": {"BB1", "BB2", "BB3", "BB4", "BB5", "BB6"} & valid,
            "benefit_owner": {"BA1", "BA3"} & valid}.get(role, valid)


@pytest.fixture
def published(portfolio_warehouse, monkeypatch, tmp_path):
    from dashboards import queries

    monkeypatch.setenv("BRW_WAREHOUSE", str(portfolio_warehouse))
    (tmp_path / "access.yml").write_text(ACCESS_YML)
    monkeypatch.setenv("BRW_ACCESS", str(tmp_path / "access.yml"))
    monkeypatch.setenv("BRW_ACCESS_LOG", str(tmp_path / "access_log"))
    queries.reset()
    yield access.load_policy()
    queries.reset()


def test_the_hand_worked_portfolio_has_the_benefits_this_file_assumes(published, portfolio_warehouse):
    valid = valid_benefits(portfolio_warehouse)
    assert len(valid) == 10 and valid < ALL
    assert {"BA1", "BA3"} <= valid  # Ann Archer's


@pytest.mark.parametrize("role", list(USERS))
def test_every_public_relation_holds_only_the_rows_of_the_scope(published, portfolio_warehouse, role):
    """Every relation of marts and reporting, read as the role: benefit rows of its benefits only,
    project rows of its projects only, no other benefit named in a list column; raw, staging,
    audit and the rest absent for scoped roles."""
    from dashboards import queries

    principal = access.resolve(USERS[role], published)
    relations = fetch_all(portfolio_warehouse, """SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_schema IN ('marts', 'reporting') ORDER BY 1, 2""")
    mine, seen = allowed(portfolio_warehouse, role), set()
    invalid = ALL - valid_benefits(portfolio_warehouse)  # in fct_invalid_benefits, for full access only
    extra = invalid if principal.full_access else set()
    projects = {"portfolio_lead": {"PB"}, "benefit_owner": {"PA"}}.get(role, {"PA", "PB"})
    for schema, table in relations:
        frame = queries.read(f"SELECT * FROM {schema}.{table}", principal=principal)
        text = frame.to_csv(index=False).encode()
        named = {m.decode() for m in BENEFIT_ID.findall(text)}
        assert named <= mine | extra, (schema, table)
        if "project_id" in frame:
            assert set(frame["project_id"].dropna()) <= projects, (schema, table)
        seen |= named
    assert seen - extra == mine  # every benefit of the scope is visible somewhere
    for hidden in ("audit.load_audit", "raw.benefits", "staging.stg_benefits", "intermediate.int_kpi_monthly"):
        if principal.full_access:
            queries.read(f"SELECT count(*) FROM {hidden}", principal=principal)
        else:
            with pytest.raises(duckdb.CatalogException):
                queries.read(f"SELECT count(*) FROM {hidden}", principal=principal)


def test_a_scoped_reader_cannot_see_settings_change_or_files(published, tmp_path):
    from dashboards import queries

    owner = access.resolve(USERS["benefit_owner"], published)
    for statement in ("SET threads = 1", f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                      "SELECT * FROM read_csv('/etc/passwd')"):
        with pytest.raises(duckdb.Error):
            queries.read(statement, principal=owner)
    assert not (tmp_path / "x.csv").exists()


# --------------------------------------------------------------------------- every page, as each role


@pytest.fixture
def downloads(monkeypatch):
    """Every CSV the pages offer for download (dashboards.views.common.download's bytes)."""
    from dashboards.views import common

    written: list[bytes] = []
    original = common.frame_to_csv_bytes

    def recording(frame):
        data = original(frame)
        written.append(data)
        return data

    monkeypatch.setattr(common, "frame_to_csv_bytes", recording)
    return written


def signed_in(user: dict | None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    return at


def element_bytes(at: AppTest) -> bytes:
    """Everything the run drew, serialized: table cells, texts, metrics, chart specs, options."""
    out: list[bytes] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            out.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return b"\n".join(out)


def registered(at: AppTest) -> set[str]:
    return {info.get("url_pathname") for info in at._registered_pages.values()} - {"home", "", None}


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_sees_its_pages_and_only_its_benefits_on_every_page_and_download(
        published, portfolio_warehouse, downloads, role):
    at = signed_in(USERS[role]).run()
    assert not at.exception
    assert registered(at) == ROLE_PAGES[role]
    mine = allowed(portfolio_warehouse, role)
    seen: set[str] = set()
    for page in sorted(ROLE_PAGES[role]):
        downloads.clear()
        open_page(at, page)
        assert not at.exception, (role, page, at.exception)
        shown = {m.decode() for m in BENEFIT_ID.findall(element_bytes(at))}
        in_csv = {m.decode() for data in downloads for m in BENEFIT_ID.findall(data)}
        if page != "data-quality":  # the quarantined benefit is named there, for full-access roles only
            assert shown <= mine and in_csv <= mine, (role, page, shown - mine, in_csv - mine)
        seen |= shown | in_csv
    # every benefit of the role is reachable (the benefit page lists them), and no other but the
    # quarantined one, which the data-quality page of the full-access roles names
    full = access.resolve(USERS[role], published).full_access
    assert mine <= seen <= mine | ((ALL - valid_benefits(portfolio_warehouse)) if full else set())


def test_a_user_unknown_to_the_access_file_sees_no_access_and_no_data(published, downloads):
    at = signed_in({"email": "stranger@example.org", "name": "Stranger"}).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["No access"]
    assert "stranger@example.org" in at.error[0].value
    assert registered(at) == set() and not BENEFIT_ID.findall(element_bytes(at)) and not downloads
    assert not at.sidebar.multiselect  # no filters: they would list portfolios and owners


def test_before_sign_in_only_the_sign_in_page_is_drawn(published):
    at = signed_in(None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert registered(at) == set() and not BENEFIT_ID.findall(element_bytes(at))


def test_an_invalid_access_file_refuses_everyone_and_says_why(published, tmp_path, monkeypatch):
    (tmp_path / "access.yml").write_text("grants:\n  - email: chair@example.org\n    role: chairman\n")
    at = signed_in(USERS["board"]).run()
    assert [t.value for t in at.title] == ["No access"]
    assert "grants.0.role" in at.error[0].value and registered(at) == set()


def test_sign_ins_page_views_and_refusals_are_on_the_audit_trail(published, tmp_path):
    from dashboards import audit

    at = signed_in(USERS["benefit_owner"]).run()
    open_page(at, "benefit")
    signed_in({"email": "stranger@example.org"}).run()
    events = audit.read_events()
    rows = list(zip(events["kind"], events["email"], events["page"].fillna("")))
    assert ("sign_in", "ann@example.org", "") in rows
    assert ("page_view", "ann@example.org", "overview") in rows
    assert ("page_view", "ann@example.org", "benefit") in rows
    assert ("denied", "stranger@example.org", "") in rows
    assert events.loc[events["kind"] == "sign_in", "roles"].tolist() == ["Benefit owner"]


def test_the_console_refuses_a_role_without_sql_even_when_called_directly(published):
    from dashboards import audit, queries

    with access.acting_as(access.resolve(USERS["board"], published)), pytest.raises(PermissionError):
        queries.console_query("SELECT 1")
    with access.acting_as(access.resolve(USERS["analyst"], published)):
        assert queries.console_query("SELECT 42 AS answer").frame["answer"].tolist() == [42]
    events = audit.read_events(kinds=("sql_query", "denied"))
    assert list(zip(events["kind"], events["email"])) == [("sql_query", "analyst@example.org"),
                                                          ("denied", "chair@example.org")]
    assert '"outcome": "ok"' in events["detail"].iloc[0] and "SELECT 42 AS answer" in events["detail"].iloc[0]


def test_one_sign_in_is_recorded_once_however_many_tabs_it_opens(published):
    """Two browser sessions of one ID token (a reload, a second tab) are one sign-in; a new token
    (signing in again) is another."""
    from dashboards import audit

    for iat in (1796136503, 1796136503, 1796140000):
        signed_in({**USERS["admin"], "iat": iat}).run()
    events = audit.read_events(kinds=("sign_in",))
    assert sorted(events["detail"]) == ['{"id_token_issued_at": "2026-12-01T14:48:23+00:00"}',
                                        '{"id_token_issued_at": "2026-12-01T15:46:40+00:00"}']
