"""Who is asking, and what each role may reach.

Who may do what is declared once per action, as a ``Permission`` in the feature's ``permissions.py``::

    CREATE_CENTER = Permission("create_center", roles=("admin",))

and read by both sides: the API view and the page view declare it with ``@allow(CREATE_CENTER)`` (each blueprint
enforces it in one ``before_request``), the service checks it with ``CREATE_CENTER.require(actor)`` (jobs and the CLI
call services directly). Object-level scope (which centers) stays with the services, through
``Principal.visible_center_ids()``.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l

from timebank.errors import DomainError

ROLES = ("admin", "staff", "supervisor", "volunteer")


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    message = _l("Please sign in first.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = _l("Your role may not do this.")


class PasswordChangeRequired(DomainError):
    code = "password_change_required"
    status = 403
    message = _l("Please change your one-time password first.")


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


# The permissions services checked in this context, when someone is listening (the route sweep is).
_checked: ContextVar[list | None] = ContextVar("timebank_permissions_checked", default=None)


@dataclass(frozen=True)
class Permission:
    """One action and the roles that may take it. The system (CLI, jobs) may take every action."""

    name: str
    roles: frozenset[str]

    def __init__(self, name: str, roles):
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        if not roles:
            raise ValueError("name at least one role")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "roles", frozenset(roles))

    def allows(self, actor: "Principal | None") -> bool:
        return actor is not None and (actor.role == "system" or actor.role in self.roles)

    def require(self, actor: "Principal | None") -> None:
        """What a service says first: ``Forbidden`` unless ``actor``'s role may take this action."""
        checked = _checked.get()
        if checked is not None:
            checked.append(self)
        if not self.allows(actor):
            raise Forbidden(permission=self.name)


@contextmanager
def permissions_checked():
    """Collect the permissions the services check inside the block (a test asks what a request's service checked)."""
    found: list[Permission] = []
    token = _checked.set(found)
    try:
        yield found
    finally:
        _checked.reset(token)


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    public: bool = False
    allow_pending_password: bool = False  # reachable while a one-time password must still be changed
    permission: Permission | None = None  # the action this view serves, when it declares one

    def permits(self, principal: Principal | None) -> bool:
        if self.public:
            return True
        if principal is None:
            return False
        return principal.role == "system" or principal.role in self.roles


def allow(*roles, public: bool = False, allow_pending_password: bool = False):
    """Declare who may reach a view: the action it serves, ``@allow(CREATE_CENTER)`` (the roles of that permission),
    or roles, ``@allow("admin", "staff")``, ``@allow(*ROLES)``, or ``@allow(public=True)``."""
    permission = None
    if len(roles) == 1 and isinstance(roles[0], Permission):
        permission = roles[0]
        roles = tuple(permission.roles)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    if not roles and not public:
        raise ValueError("name at least one role, or public=True")
    policy = Policy(frozenset(roles), public=public, allow_pending_password=allow_pending_password or public,
                    permission=permission)

    def decorate(view):
        view._timebank_policy = policy
        return view

    return decorate


def policy_of(view) -> Policy | None:
    return getattr(view, "_timebank_policy", None)


def check(policy: Policy | None, principal: Principal | None) -> None:
    """Raise what a request that breaks ``policy`` gets. A view without a policy is refused to everyone: fail closed."""
    if policy is None:
        raise Forbidden(reason="this view declares no access policy")
    if policy.public:
        return
    if principal is None:
        raise Unauthorized()
    # A role the view never admits is refused first: changing the password would not let it in (the first view that
    # only a supervisor may reach showed an admin with a one-time password the password form instead of "forbidden").
    if not policy.permits(principal):
        raise Forbidden()
    if principal.must_change_password and not policy.allow_pending_password:
        raise PasswordChangeRequired()
