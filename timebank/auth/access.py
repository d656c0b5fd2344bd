"""Who is asking, and what each role may reach. Authorization is declared on every view with ``@allow``, and
each blueprint enforces it in one ``before_request``; object-level scope (which centers) is the services' job,
through ``Principal.visible_center_ids()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from timebank.errors import DomainError

ROLES = ("admin", "staff", "supervisor", "volunteer")


class Unauthorized(DomainError):
    """Sign in first."""

    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    """Your role may not do this."""

    code = "forbidden"
    status = 403


class PasswordChangeRequired(DomainError):
    """Change your one-time password first."""

    code = "password_change_required"
    status = 403


@dataclass(frozen=True)
class Principal:
    """The signed-in person (or the system, for CLI commands and jobs). Implements Flask-Login's user protocol."""

    user_id: int | None
    username: str
    role: str  # admin | staff | supervisor | volunteer | system
    center_id: int | None = None
    supervised_center_ids: frozenset[int] = field(default_factory=frozenset)
    volunteer_id: int | None = None
    auth_epoch: int = 0
    must_change_password: bool = False
    locale: str | None = None
    display_name: str = ""
    # A page session's key (what its signed cookie carries; the database keeps only its hash). Never compared.
    session_key: str | None = field(default=None, repr=False, compare=False)

    # Flask-Login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        """What the session cookie carries: the key of this principal's server-side session row. Signing out deletes
        the row and a password change deletes all of them, so a copied cookie stops working."""
        return self.session_key

    def with_session_key(self, key: str) -> "Principal":
        return replace(self, session_key=key)

    @classmethod
    def system(cls, name: str = "system") -> "Principal":
        return cls(user_id=None, username=name, role="system")

    @property
    def sees_everything(self) -> bool:
        return self.role in ("admin", "system")

    def visible_center_ids(self) -> frozenset[int] | None:
        """The centers whose data this principal may see; ``None`` means all of them."""
        if self.sees_everything:
            return None
        if self.role == "staff":
            return frozenset({self.center_id}) if self.center_id is not None else frozenset()
        if self.role == "supervisor":
            return self.supervised_center_ids
        return frozenset()  # a volunteer sees only themselves, never a center's lists

    def can_see_center(self, center_id: int | None) -> bool:
        visible = self.visible_center_ids()
        return visible is None or center_id in visible


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    public: bool = False
    allow_pending_password: bool = False  # reachable while a one-time password must still be changed

    def permits(self, principal: Principal | None) -> bool:
        if self.public:
            return True
        if principal is None:
            return False
        return principal.role == "system" or principal.role in self.roles


def allow(*roles: str, public: bool = False, allow_pending_password: bool = False):
    """Declare who may reach a view: ``@allow("admin", "staff")``, ``@allow(public=True)``, ``@allow(*ROLES)``."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    if not roles and not public:
        raise ValueError("name at least one role, or public=True")
    policy = Policy(frozenset(roles), public=public, allow_pending_password=allow_pending_password or public)

    def decorate(view):
        view._timebank_policy = policy
        return view

    return decorate


def policy_of(view) -> Policy | None:
    return getattr(view, "_timebank_policy", None)


def check(policy: Policy | None, principal: Principal | None) -> None:
    """Raise what a request that breaks ``policy`` gets. A view without a policy is refused to everyone: fail closed."""
    if policy is None:
        raise Forbidden("this view declares no access policy")
    if policy.public:
        return
    if principal is None:
        raise Unauthorized()
    if principal.must_change_password and not policy.allow_pending_password:
        raise PasswordChangeRequired()
    if not policy.permits(principal):
        raise Forbidden()
