"""Users: the people who sign in, each with one role (SPEC §1).

``admin`` sees the whole city; ``staff`` work at one center; a ``supervisor`` reviews the centers assigned to them;
a ``volunteer`` user is linked to one volunteer profile. Only admins manage users. A user's ``auth_epoch`` is bumped
whenever what they may do changes (role, centers, deactivation, password reset): every older session and token ends.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth import passwords
from timebank.auth.access import ROLES, Principal
from timebank.auth.models import SupervisorCenter, User
from timebank.centers.services import center_codes, center_for_write
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, ValidationFailed, field_error
from timebank.paging import Page, escape_like, paginate
from timebank.users.errors import LastAdmin, NotAVolunteerLogin, OwnAccount, UserNotFound
from timebank.users.permissions import MANAGE_USERS, MANAGE_VOLUNTEER_LOGINS
from timebank.users.rules import LOCALES, normalize_display_name, normalize_username, one_time_password
from timebank.volunteers.models import Volunteer
from timebank.volunteers.services import get_volunteer

U = User.__table__
SC = SupervisorCenter.__table__
V = Volunteer.__table__

EDITABLE = ("display_name", "role", "center", "supervised_centers", "volunteer_id", "active", "locale")
_SCOPE_FIELDS = ("role", "center_id", "volunteer_id", "active", "supervised_centers")


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    center: str | None  # staff: the center's code
    center_id: int | None
    supervised_centers: tuple[str, ...]  # supervisor: the codes of the centers they review
    volunteer_id: int | None
    display_name: str
    active: bool
    must_change_password: bool
    locale: str | None
    created_at: datetime
    # Set only by the call that generated it (create without a password, reset): shown once, never stored.
    one_time_password: str | None = field(default=None, repr=False)


def create_user(db: Database, *, actor: Principal, username: str, password: str | None, role: str,
                center: str | None = None, volunteer_id: int | None = None, supervised_centers=(),
                display_name: str = "", must_change_password: bool = False) -> UserView:
    """Create a user. Without ``password`` a one-time password is generated, returned once in the view's
    ``one_time_password``, and must be changed at first sign-in."""
    MANAGE_USERS.require(actor)
    return _create_user(db, actor=actor, username=username, password=password, role=role, center=center,
                        volunteer_id=volunteer_id, supervised_centers=supervised_centers,
                        display_name=display_name, must_change_password=must_change_password)


def create_volunteer_login(db: Database, *, actor: Principal, volunteer_id: int,
                           username: str | None = None) -> UserView:
    """Give a volunteer a sign-in (username: their phone, unless given) with a one-time password shown once.

    Admins may do it for any volunteer, center staff for their own center's volunteers (another center's volunteer
    is "not found" to them, as everywhere)."""
    _require_login_manager(actor)
    volunteer = get_volunteer(db, actor=actor, volunteer_id=volunteer_id)
    return _create_user(db, actor=actor, username=username or volunteer.phone, password=None, role="volunteer",
                        volunteer_id=volunteer.id, display_name=volunteer.name)


def volunteer_login(db: Database, *, actor: Principal, volunteer_id: int) -> UserView | None:
    """The sign-in of a volunteer the actor may see, or ``None`` when they have none yet."""
    _require_login_manager(actor)
    get_volunteer(db, actor=actor, volunteer_id=volunteer_id)  # "not found" outside the actor's centers

    def work(s: Session) -> UserView | None:
        user_id = s.execute(select(U.c.id).where(U.c.volunteer_id == volunteer_id)).scalar()
        return None if user_id is None else _load(s, user_id)

    return db.transaction(work, readonly=True)


def _create_user(db: Database, *, actor: Principal, username: str, password: str | None, role: str,
                 center: str | None = None, volunteer_id: int | None = None, supervised_centers=(),
                 display_name: str = "", must_change_password: bool = False) -> UserView:
    problems = FieldErrors()
    username = problems.check("username", normalize_username, username)
    display_name = problems.check("display_name", normalize_display_name, display_name)
    generated = None
    if password is None:
        password = generated = one_time_password()
        must_change_password = True
    else:
        for message in _password_problems(password, username):
            problems.add("password", message)
    if role not in ROLES:
        problems.add("role", _one_of(ROLES))
    problems.raise_if_any()
    password_hash = _hash(password)  # slow on purpose: before the transaction, not while holding its locks

    def work(s: Session) -> UserView:
        if s.execute(select(U.c.id).where(U.c.username == username)).first() is not None:
            raise field_error("username", _l("The username %(username)s is taken.", username=username),
                              AlreadyExists)
        scope = _scope_for(s, actor, role, center, volunteer_id, supervised_centers)
        user_id = s.execute(insert(U).values(
            username=username, password_hash=password_hash, role=role, center_id=scope["center_id"],
            volunteer_id=scope["volunteer_id"], display_name=display_name, active=True,
            must_change_password=bool(must_change_password), auth_epoch=0, created_at=utcnow(),
        ).returning(U.c.id)).scalar_one()
        _assign_centers(s, user_id, scope["supervised_center_ids"])
        record(s, actor=actor, action="user.create", object_type="user", object_id=user_id,
               center_id=scope["center_id"],
               detail={"username": username, "role": role, "center": center,
                       "supervised_centers": sorted(scope["supervised_codes"]), "volunteer_id": volunteer_id})
        return _load(s, user_id, one_time_password=generated)

    return db.transaction(work)


def list_users(db: Database, *, actor: Principal, search: str | None = None, role: str | None = None,
               active: bool | None = None, page: int = 1, per_page: int = 20) -> Page[UserView]:
    MANAGE_USERS.require(actor)
    query = select(U)
    if role:
        query = query.where(U.c.role == role)
    if active is not None:
        query = query.where(U.c.active.is_(active))
    if search and search.strip():
        pattern = f"%{escape_like(search.strip())}%"
        query = query.where(or_(U.c.username.ilike(pattern, escape="\\"),
                                U.c.display_name.ilike(pattern, escape="\\")))
    query = query.order_by(U.c.username)

    def work(s: Session) -> Page[UserView]:
        rows = paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row)
        return Page(items=tuple(_views(s, rows.items)), total=rows.total, page=rows.page, per_page=rows.per_page,
                    pages=rows.pages)

    return db.transaction(work, readonly=True)


def get_user(db: Database, *, actor: Principal, user_id: int) -> UserView:
    """An admin may read any user; everyone may read themselves."""
    def work(s: Session) -> UserView:
        if not actor.sees_everything and actor.user_id != user_id:
            raise UserNotFound(user_id=user_id)
        return _load(s, user_id)

    return db.transaction(work, readonly=True)


def names_of(s: Session, user_ids) -> dict[int, str]:
    """``{id: the name people know them by}`` (their display name, else their username), in the caller's unit of
    work: what a record's page shows for who entered and who decided it."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = s.execute(select(U.c.id, U.c.display_name, U.c.username).where(U.c.id.in_(ids)))
    return {row.id: row.display_name or row.username for row in rows}


def update_user(db: Database, *, actor: Principal, user_id: int, **changes) -> UserView:
    """Change any of ``EDITABLE``. The result must still be a consistent user of its role (staff have a center …)."""
    MANAGE_USERS.require(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(fields={name: [_l("This field is not expected.")] for name in sorted(unknown)})
    problems = FieldErrors()
    if "display_name" in changes:
        changes["display_name"] = problems.check("display_name", normalize_display_name, changes["display_name"])
    if "role" in changes and changes["role"] not in ROLES:
        problems.add("role", _one_of(ROLES))
    if "active" in changes and not isinstance(changes["active"], bool):
        problems.add("active", _l("Please choose yes or no."))
    if changes.get("locale") not in (None, *LOCALES):
        problems.add("locale", _one_of(LOCALES))
    problems.raise_if_any()

    def work(s: Session) -> UserView:
        row = _row(s, user_id)
        before = _load(s, user_id)
        role = changes.get("role", row.role)
        if {"role", "center", "supervised_centers", "volunteer_id"} & set(changes):
            scope = _scope_for(
                s, actor, role,
                changes["center"] if "center" in changes else (before.center if role == "staff" else None),
                changes["volunteer_id"] if "volunteer_id" in changes else (
                    row.volunteer_id if role == "volunteer" else None),
                changes["supervised_centers"] if "supervised_centers" in changes else (
                    before.supervised_centers if role == "supervisor" else ()),
                user_id=user_id,
            )
        else:
            scope = {"center_id": row.center_id, "volunteer_id": row.volunteer_id,
                     "supervised_center_ids": None, "supervised_codes": set(before.supervised_centers)}
        values = {"role": role, "center_id": scope["center_id"], "volunteer_id": scope["volunteer_id"]}
        for name in ("display_name", "active", "locale"):
            if name in changes:
                values[name] = changes[name]
        active = values.get("active", row.active)
        if row.role == "admin" and row.active and not (role == "admin" and active):
            _refuse_losing_last_admin(s, user_id)
        if row.active and not active and actor.user_id == user_id:
            raise OwnAccount()  # signed out at once, they could not undo it from the pages
        changed = changes_between(row, values)
        if scope["supervised_center_ids"] is not None and set(scope["supervised_codes"]) != set(
                before.supervised_centers):
            changed["supervised_centers"] = [sorted(before.supervised_centers), sorted(scope["supervised_codes"])]
            s.execute(delete(SC).where(SC.c.user_id == user_id))
            _assign_centers(s, user_id, scope["supervised_center_ids"])
        if changed:
            if set(changed) & set(_SCOPE_FIELDS):
                values["auth_epoch"] = row.auth_epoch + 1
            s.execute(update(U).where(U.c.id == user_id).values(values))
            action = "user.update"
            if set(changed) == {"active"}:
                action = "user.activate" if active else "user.deactivate"
            record(s, actor=actor, action=action, object_type="user", object_id=user_id,
                   center_id=values["center_id"], detail={"changed": changed})
        return _load(s, user_id)

    return db.transaction(work)


def set_user_active(db: Database, *, actor: Principal, user_id: int, active: bool) -> UserView:
    return update_user(db, actor=actor, user_id=user_id, active=active)


def set_own_language(db: Database, *, actor: Principal, language: str) -> None:
    """A signed-in person keeps their language on their user row, so it follows them to another device."""
    if actor.user_id is None:
        raise ValidationFailed(_l("Only a signed-in person has a language of their own."))
    if language not in LOCALES:
        raise ValidationFailed(fields={"language": [_one_of(LOCALES)]})

    def work(s: Session) -> None:
        s.execute(update(User).where(User.id == actor.user_id).values(locale=language))

    db.transaction(work)


def reset_password(db: Database, *, actor: Principal, user_id: int) -> UserView:
    """Give a user a new one-time password (returned once) and end all their sessions and tokens.

    Admins reset anyone's; center staff only the sign-ins of their own center's volunteers."""
    _require_login_manager(actor)
    password = one_time_password()
    password_hash = _hash(password)

    def work(s: Session) -> UserView:
        row = _row(s, user_id)
        if not actor.sees_everything:
            _require_own_volunteer_login(s, actor, row)
        s.execute(update(U).where(U.c.id == user_id).values(
            password_hash=password_hash, must_change_password=True, auth_epoch=row.auth_epoch + 1))
        record(s, actor=actor, action="user.reset_password", object_type="user", object_id=user_id,
               center_id=row.center_id)
        return _load(s, user_id, one_time_password=password)

    return db.transaction(work)


def ensure_first_admin(db: Database) -> str | None:
    """If the city has no admin yet, create user ``admin`` with a one-time password and return that password."""
    password = one_time_password()
    password_hash = _hash(password)
    actor = Principal.system("init")

    def work(s: Session) -> str | None:
        if s.execute(select(U.c.id).where(U.c.role == "admin").limit(1)).first() is not None:
            return None
        if s.execute(select(U.c.id).where(U.c.username == "admin")).first() is not None:
            raise AlreadyExists("there is no admin, but the username 'admin' belongs to another user; "
                                "create one with `timebank users create NAME --role admin`")
        user_id = s.execute(insert(U).values(
            username="admin", password_hash=password_hash, role="admin", display_name="", active=True,
            must_change_password=True, auth_epoch=0, created_at=utcnow()).returning(U.c.id)).scalar_one()
        record(s, actor=actor, action="user.create", object_type="user", object_id=user_id,
               detail={"username": "admin", "role": "admin", "first_admin": True})
        return password

    return db.transaction(work)


# --------------------------------------------------------------------------------------------------------- internals

def _scope_for(s: Session, actor: Principal, role: str, center, volunteer_id, supervised_centers, *,
               user_id: int | None = None) -> dict:
    """Check that the fields a role needs are there and the others are not; resolve codes to ids."""
    problems = FieldErrors()
    scope = {"center_id": None, "volunteer_id": None, "supervised_center_ids": [], "supervised_codes": set()}
    if role == "staff":
        if not center:
            problems.add("center", _l("Staff need a center."))
        else:
            scope["center_id"] = _or_collect(problems, lambda: center_for_write(s, actor, center, "center").id)
    elif center:
        problems.add("center", _l("Only staff have a center: leave it empty for this role."))
    if role == "supervisor":
        for code in supervised_centers or ():
            row = _or_collect(problems, lambda code=code: center_for_write(s, actor, code, "supervised_centers"))
            if row is not None and row.code not in scope["supervised_codes"]:
                scope["supervised_codes"].add(row.code)
                scope["supervised_center_ids"].append(row.id)
    elif supervised_centers:
        problems.add("supervised_centers", _l("Only supervisors supervise centers: choose none for this role."))
    if role == "volunteer":
        if volunteer_id is None:
            problems.add("volunteer_id", _l("A volunteer's sign-in needs the volunteer number."))
        elif s.execute(select(V.c.id).where(V.c.id == volunteer_id)).first() is None:
            problems.add("volunteer_id", _l("There is no volunteer number %(id)s.", id=volunteer_id))
        else:
            holder = s.execute(select(U.c.id).where(U.c.volunteer_id == volunteer_id)).scalar()
            if holder is not None and holder != user_id:
                problems.add("volunteer_id", _l("This volunteer already has a sign-in."))
            scope["volunteer_id"] = volunteer_id
    elif volunteer_id is not None:
        problems.add("volunteer_id", _l("Only a volunteer's sign-in has a volunteer number: leave it empty for this "
                                        "role."))
    problems.raise_if_any()
    return scope


def _or_collect(problems: FieldErrors, lookup):
    try:
        return lookup()
    except ValidationFailed as error:
        for name, messages in error.fields.items():
            for message in messages:
                problems.add(name, message)
        return None


def _assign_centers(s: Session, user_id: int, center_ids) -> None:
    if center_ids:
        s.execute(insert(SC), [{"user_id": user_id, "center_id": center_id} for center_id in center_ids])


def _require_login_manager(actor: Principal) -> None:
    """Admins manage every sign-in; center staff their own center's volunteers' (checked per user)."""
    MANAGE_VOLUNTEER_LOGINS.require(actor)


def _require_own_volunteer_login(s: Session, actor: Principal, row) -> None:
    if row.role != "volunteer" or row.volunteer_id is None:
        raise NotAVolunteerLogin()
    home = s.execute(select(V.c.home_center_id).where(V.c.id == row.volunteer_id)).scalar()
    if not actor.can_see_center(home):
        raise UserNotFound(user_id=row.id)


def _refuse_losing_last_admin(s: Session, user_id: int) -> None:
    others = s.execute(select(func.count()).select_from(U).where(
        U.c.role == "admin", U.c.active.is_(True), U.c.id != user_id)).scalar_one()
    if others == 0:
        raise LastAdmin()


def _password_problems(password, username: str | None) -> list:
    if not isinstance(password, str):
        return [_l("This field is required.")]
    return passwords.check_password_policy(password, username=username)


def _one_of(choices) -> object:
    return _l("Please choose one of: %(choices)s.", choices=", ".join(choices))


def _hash(password: str) -> str:
    return passwords.hash_password(password)


def _row(s: Session, user_id: int):
    row = s.execute(select(U).where(U.c.id == user_id)).first()
    if row is None:
        raise UserNotFound(user_id=user_id)
    return row


def _load(s: Session, user_id: int, *, one_time_password: str | None = None) -> UserView:
    [view] = _views(s, [_row(s, user_id)], one_time_password=one_time_password)
    return view


def _views(s: Session, rows, *, one_time_password: str | None = None) -> list[UserView]:
    ids = [row.id for row in rows]
    supervised: dict[int, list[int]] = {}
    if ids:
        for user_id, center_id in s.execute(select(SC.c.user_id, SC.c.center_id).where(SC.c.user_id.in_(ids))):
            supervised.setdefault(user_id, []).append(center_id)
    codes = center_codes(s, [row.center_id for row in rows] + [c for cs in supervised.values() for c in cs])
    return [UserView(
        id=row.id, username=row.username, role=row.role, center=codes.get(row.center_id), center_id=row.center_id,
        supervised_centers=tuple(sorted(codes[c] for c in supervised.get(row.id, []))),
        volunteer_id=row.volunteer_id, display_name=row.display_name, active=row.active,
        must_change_password=row.must_change_password, locale=row.locale, created_at=row.created_at,
        one_time_password=one_time_password,
    ) for row in rows]
