"""Who may see what on the dashboard: roles, the access file, and the signed-in principal.

The access file (`access.yml` beside the warehouse, or `BRW_ACCESS`) grants roles to users by
email or by OIDC group; all grants that match a user combine. Roles:

- `board`: every row, every page but the SQL console;
- `portfolio_lead`: the benefits and projects of their portfolios;
- `benefit_owner`: their benefits (by the owner's name in the benefits register) and the
  projects those belong to; they can record check-ins for them;
- `analyst`: every row and the SQL console;
- `admin`: everything, including the access log.

What a role may see is enforced in the query layer (dashboards.queries: scoped catalogs), not
in widgets; this module only says who the user is and which rows and pages they are granted.
Without sign-in configured the dashboard runs in local single-user mode (LOCAL_PRINCIPAL): it
serves 127.0.0.1 only, and its one user sees what an analyst sees.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

ROLES = ("board", "portfolio_lead", "benefit_owner", "analyst", "admin")
Role = Literal["board", "portfolio_lead", "benefit_owner", "analyst", "admin"]

# Pages by key (the url path of each page). The keys are the contract with dashboards/app.py.
PAGE_KEYS = (
    "overview", "benefit", "after-closure", "delivery-health", "data-quality", "sql", "check-in", "access-log",
)
_BOARD_PAGES = frozenset({"overview", "benefit", "after-closure", "delivery-health"})
PAGES_BY_ROLE: dict[str, frozenset[str]] = {
    "board": _BOARD_PAGES | {"data-quality"},
    "portfolio_lead": _BOARD_PAGES,
    "benefit_owner": _BOARD_PAGES | {"check-in"},
    "analyst": _BOARD_PAGES | {"data-quality", "sql"},
    "admin": _BOARD_PAGES | {"data-quality", "sql", "access-log"},
}
FULL_ACCESS_ROLES = frozenset({"board", "analyst", "admin"})  # every row of every relation
ROLE_LABELS = {
    "board": "Board", "portfolio_lead": "Portfolio lead", "benefit_owner": "Benefit owner",
    "analyst": "Analyst", "admin": "Admin",
}


class AccessFileError(ValueError):
    """The access file is missing, unreadable or invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user as the dashboard sees them: roles and the rows those grant."""

    email: str
    name: str
    roles: frozenset[str]
    portfolios: tuple[str, ...] = ()
    owner_names: tuple[str, ...] = ()
    local: bool = False
    groups: tuple[str, ...] = field(default=(), compare=False)

    @property
    def full_access(self) -> bool:
        return self.local or bool(self.roles & FULL_ACCESS_ROLES)

    @property
    def scope_key(self) -> str:
        """"all" for full access; else a stable short hash of the granted portfolios and owners
        (two users with the same grants share a scope, its views and its cached results)."""
        if self.full_access:
            return "all"
        text = "\x1f".join(["p", *sorted(self.portfolios), "o", *sorted(n.casefold() for n in self.owner_names)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def sees_whole_portfolios(self) -> bool:
        """Every benefit of each portfolio they see (full access, or portfolio grants only): the
        portfolio roll-ups (reporting.rpt_portfolio_*) are theirs; else sum their benefits."""
        return self.full_access or not self.owner_names

    @property
    def pages(self) -> frozenset[str]:
        if self.local:
            return PAGES_BY_ROLE["analyst"]
        return frozenset().union(*(PAGES_BY_ROLE[r] for r in self.roles)) if self.roles else frozenset()

    def can(self, page_key: str) -> bool:
        return page_key in self.pages

    @property
    def can_check_in(self) -> bool:
        return "benefit_owner" in self.roles and bool(self.owner_names)

    @property
    def role_labels(self) -> str:
        if self.local:
            return "local single user"
        return ", ".join(ROLE_LABELS[r] for r in ROLES if r in self.roles)


LOCAL_PRINCIPAL = Principal(email="", name="local user", roles=frozenset({"analyst"}), local=True)


class Grant(BaseModel):
    """One line of the access file: who (an email or a group) gets which role, and for the
    scoped roles which rows."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = None
    group: str | None = None
    role: Role
    portfolios: list[str] = []
    benefit_owner: str | list[str] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value.strip().casefold() if value else value

    @model_validator(mode="after")
    def _who_and_scope(self) -> Grant:
        if bool(self.email) == bool(self.group):
            raise ValueError("give exactly one of email or group")
        if self.role == "portfolio_lead" and not self.portfolios:
            raise ValueError("a portfolio_lead needs portfolios: [..]")
        if self.role == "benefit_owner" and not self.owner_names:
            raise ValueError("a benefit_owner needs benefit_owner: <the owner's name in benefits.csv>")
        if self.role not in ("portfolio_lead",) and self.portfolios:
            raise ValueError(f"portfolios only apply to the portfolio_lead role, not {self.role}")
        if self.role != "benefit_owner" and self.benefit_owner:
            raise ValueError(f"benefit_owner only applies to the benefit_owner role, not {self.role}")
        return self

    @property
    def owner_names(self) -> tuple[str, ...]:
        names = [self.benefit_owner] if isinstance(self.benefit_owner, str) else (self.benefit_owner or [])
        return tuple(n.strip() for n in names if n and n.strip())


class AccessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups_claim: str = "groups"
    grants: list[Grant] = []

    def grants_for(self, email: str, groups: tuple[str, ...]) -> list[Grant]:
        email = email.strip().casefold()
        wanted = {g.casefold() for g in groups}
        return [g for g in self.grants
                if (g.email and email and g.email == email) or (g.group and g.group.casefold() in wanted)]


def access_file_path() -> Path:
    """BRW_ACCESS, else access.yml beside the warehouse (BRW_WAREHOUSE)."""
    explicit = os.environ.get("BRW_ACCESS")
    if explicit:
        return Path(explicit)
    from pipelines.settings import DEFAULT_WAREHOUSE

    return Path(os.environ.get("BRW_WAREHOUSE") or DEFAULT_WAREHOUSE).parent / "access.yml"


def load_policy(path: str | Path | None = None) -> AccessPolicy:
    path = Path(path) if path is not None else access_file_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessFileError(f"{path}: no access file, so nobody is granted access (see README, 'Sign-in and roles')") from None
    except OSError as exc:
        raise AccessFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise AccessFileError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    try:
        return AccessPolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise AccessFileError(f"{path}: {key}: {first['msg']}") from None


def _claim_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in re.split(r"[,\s]+", value) if v)
    if isinstance(value, (list, tuple, set)):
        return tuple(str(v) for v in value if v is not None and str(v))
    return (str(value),)


def resolve(user: Mapping[str, Any], policy: AccessPolicy) -> Principal | None:
    """The principal of a signed-in user (the claims of st.user), or None: no grant matches, so
    the user sees the no-access page. The email claim (else a `sub` that is an email) identifies
    the user; the policy's groups claim lists their groups."""
    email = str(user.get("email") or "").strip()
    if not email and "@" in str(user.get("sub") or ""):
        email = str(user["sub"]).strip()
    if user.get("email_verified") is False:  # an unverified address proves nothing
        email = ""
    groups = _claim_list(user.get(policy.groups_claim))
    grants = policy.grants_for(email, groups)
    if not grants:
        return None
    roles = frozenset(g.role for g in grants)
    portfolios = tuple(sorted({p for g in grants for p in g.portfolios}))
    owners = tuple(sorted({n for g in grants for n in g.owner_names}))
    name = str(user.get("name") or email or user.get("sub") or "")
    return Principal(email=email, name=name, roles=roles, portfolios=portfolios, owner_names=owners,
                     groups=groups)


# The principal of code running outside a Streamlit session (benchmarks, tests): acting_as().
_acting: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("brw_principal", default=None)


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    token = _acting.set(principal)
    try:
        yield principal
    finally:
        _acting.reset(token)


class NoPrincipal(RuntimeError):
    """A dashboard query ran in a session that has no principal yet (a bug: the app's gate sets
    one before any page runs)."""


def current() -> Principal:
    """Who the running code acts for: acting_as(), else the Streamlit session's principal (set by
    app.py's gate). Outside any Streamlit session (scripts, the CLI) code reads everything."""
    acting = _acting.get()
    if acting is not None:
        return acting
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover
        return LOCAL_PRINCIPAL
    if get_script_run_ctx(suppress_warning=True) is None:
        return LOCAL_PRINCIPAL
    import streamlit as st

    principal = st.session_state.get("principal")
    if principal is None:
        raise NoPrincipal("no principal in this session: the sign-in gate must run before any query")
    return principal
