"""Volunteers (志愿者): a person with a unique mobile number, a home center and a ledger account.

Who sees whom: an admin everyone; staff the volunteers of their center; a supervisor those of the centers assigned to
them; a volunteer only themselves. A volunteer out of sight is reported as not existing (404), never as forbidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import changes_between, record
from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.centers.services import center_for_write
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import AlreadyExists, FieldErrors, NotFound, ValidationFailed, field_error
from timebank.ledger.accounts import name_volunteer_accounts, open_volunteer_accounts
from timebank.paging import Page, escape_like, paginate
from timebank.text import search_variants
from timebank.volunteers.models import Volunteer
from timebank.spreadsheets.reading import say
from timebank.volunteers.permissions import CHANGE_VOLUNTEER, REGISTER_VOLUNTEER
from timebank.volunteers.rules import normalize_birth_year, normalize_id_card_tail, normalize_name, normalize_phone

V = Volunteer.__table__
C = Center.__table__

EDITABLE = ("name", "phone", "home_center", "id_card_tail", "birth_year", "active")


class VolunteerNotFound(NotFound):
    message = _l("There is no volunteer number %(volunteer_id)s, or they are not yours to see.")


@dataclass(frozen=True)
class VolunteerView:
    id: int
    name: str
    phone: str
    home_center: str  # the center's code
    home_center_id: int
    home_center_name: str
    id_card_tail: str | None
    birth_year: int | None
    active: bool
    account_id: int
    created_at: datetime


def create_volunteer(db: Database, *, actor: Principal, name: str, phone: str, home_center: str,
                     id_card_tail: str | None = None, birth_year: int | None = None) -> VolunteerView:
    """Register a volunteer at ``home_center`` (a center code) and open their ledger account ``volunteer:<id>``."""
    REGISTER_VOLUNTEER.require(actor)
    problems = FieldErrors()
    name = problems.check("name", normalize_name, name)
    phone = problems.check("phone", normalize_phone, phone)
    id_card_tail = problems.check("id_card_tail", normalize_id_card_tail, id_card_tail)
    birth_year = problems.check("birth_year", normalize_birth_year, birth_year)
    problems.raise_if_any()

    def work(s: Session) -> VolunteerView:
        center = center_for_write(s, actor, home_center)
        _refuse_taken_phone(s, actor, phone)
        volunteer_id = insert_volunteer(s, name=name, phone=phone, center_id=center.id, id_card_tail=id_card_tail,
                                        birth_year=birth_year)
        record(s, actor=actor, action="volunteer.create", object_type="volunteer", object_id=volunteer_id,
               center_id=center.id, detail={"name": name, "phone": phone, "home_center": center.code})
        return _view(_row(s, volunteer_id))

    return db.transaction(work)


def list_volunteers(db: Database, *, actor: Principal, search: str | None = None, center: str | None = None,
                    active: bool | None = None, page: int = 1, per_page: int = 20) -> Page[VolunteerView]:
    """The volunteers ``actor`` may see, newest first; ``search`` matches a name or part of a phone number."""
    query = _visible(_with_center(), actor)
    if center:
        query = query.where(C.c.code == center.strip().upper())
    if active is not None:
        query = query.where(V.c.active.is_(active))
    if search and search.strip():
        term = search.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [V.c.name.ilike(f"%{escape_like(variant)}%", escape="\\") for variant in search_variants(term)]
        if digits and len(digits) == len(term.replace(" ", "").replace("-", "")):
            conditions.append(V.c.phone.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    query = query.order_by(V.c.id.desc())
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_view), readonly=True)


def get_volunteer(db: Database, *, actor: Principal, volunteer_id: int) -> VolunteerView:
    # One statement, built once: read in autocommit (one round trip), or inside the caller's unit of work.
    row = db.read_one(_BY_ID, {"volunteer_id": volunteer_id})
    if row is None or not may_see(actor, row.id, row.home_center_id):
        raise VolunteerNotFound(volunteer_id=volunteer_id)
    return _view(row)


def update_volunteer(db: Database, *, actor: Principal, volunteer_id: int, **changes) -> VolunteerView:
    """Change any of ``EDITABLE``; a field given as ``None`` clears it (only the optional ones may be cleared)."""
    CHANGE_VOLUNTEER.require(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(fields={field: [_l("This field is not expected.")] for field in sorted(unknown)})
    problems = FieldErrors()
    wanted = {}
    for field, rule in (("name", normalize_name), ("phone", normalize_phone),
                        ("id_card_tail", normalize_id_card_tail), ("birth_year", normalize_birth_year)):
        if field in changes:
            wanted[field] = problems.check(field, rule, changes[field])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            problems.add("active", _l("Please choose yes or no."))
        wanted["active"] = changes["active"]
    problems.raise_if_any()

    def work(s: Session) -> VolunteerView:
        row = _visible_row(s, actor, volunteer_id)
        values = dict(wanted)
        if "home_center" in changes:
            center = center_for_write(s, actor, changes["home_center"])
            values["home_center_id"] = center.id
        if "phone" in values and values["phone"] != row.phone:
            _refuse_taken_phone(s, actor, values["phone"])
        changed = changes_between(row, values)
        if changed:
            s.execute(update(V).where(V.c.id == volunteer_id).values({k: new for k, (_, new) in changed.items()}))
            action = "volunteer.update"
            if set(changed) == {"active"}:
                action = "volunteer.activate" if values["active"] else "volunteer.deactivate"
            record(s, actor=actor, action=action, object_type="volunteer", object_id=volunteer_id,
                   center_id=values.get("home_center_id", row.home_center_id), detail={"changed": changed})
        return _view(_row(s, volunteer_id))

    return db.transaction(work)


def set_volunteer_active(db: Database, *, actor: Principal, volunteer_id: int, active: bool) -> VolunteerView:
    return update_volunteer(db, actor=actor, volunteer_id=volunteer_id, active=active)


# ------------------------------------------------------------------------------ shared with the CSV import and users

def insert_volunteer(s: Session, *, name: str, phone: str, center_id: int, id_card_tail: str | None,
                     birth_year: int | None) -> int:
    """Insert an already validated volunteer and their account; returns the new id. No audit entry, no checks."""
    [account_id] = open_volunteer_accounts(s, center_ids=[center_id])
    volunteer_id = s.execute(insert(V).values(
        name=name, phone=phone, home_center_id=center_id, id_card_tail=id_card_tail, birth_year=birth_year,
        active=True, account_id=account_id, created_at=utcnow()).returning(V.c.id)).scalar_one()
    name_volunteer_accounts(s, {account_id: volunteer_id})
    return volunteer_id


def volunteer_names(s: Session, volunteer_ids) -> dict[int, str]:
    """``{id: name}``: for features that show a volunteer (receipts mask it before anyone sees it)."""
    ids = sorted({i for i in volunteer_ids if i is not None})
    if not ids:
        return {}
    return dict(s.execute(select(V.c.id, V.c.name).where(V.c.id.in_(ids))).all())


def volunteers_by_phone(s: Session, phones) -> dict[str, object]:
    """``{phone: row}`` of the volunteers registered with these phones (any center: the caller decides what it may
    see). Each row has ``id, name, phone, home_center_id, active, id_card_tail, birth_year, account_id``."""
    return _rows_where(V.c.phone, s, sorted({p for p in phones if p}), key="phone")


def volunteers_by_id(s: Session, volunteer_ids) -> dict[int, object]:
    """``{id: row}``, the rows as ``volunteers_by_phone``'s."""
    return _rows_where(V.c.id, s, sorted({int(i) for i in volunteer_ids if i is not None}), key="id")


def _rows_where(column, s: Session, values: list, *, key: str) -> dict:
    found = {}
    for start in range(0, len(values), 500):  # a bounded IN list per statement
        for row in s.execute(select(V.c.id, V.c.name, V.c.phone, V.c.home_center_id, V.c.active, V.c.id_card_tail,
                                    V.c.birth_year, V.c.account_id).where(column.in_(values[start:start + 500]))):
            found[getattr(row, key)] = row
    return found


def lock_volunteers(s: Session, volunteer_ids) -> dict[int, object]:
    """``{id: row}`` of the volunteers, their rows locked until the caller's unit of work ends (in id order, so two
    callers never wait on each other crosswise): a feature that must check and write one volunteer's time at once
    (no two overlapping records) takes this lock first. Each row has ``id, name, home_center_id, active,
    account_id``."""
    ids = sorted({int(i) for i in volunteer_ids})
    if not ids:
        return {}
    rows = s.execute(select(V.c.id, V.c.name, V.c.home_center_id, V.c.active, V.c.account_id)
                     .where(V.c.id.in_(ids)).order_by(V.c.id).with_for_update()).all()
    return {row.id: row for row in rows}


def may_see(actor: Principal, volunteer_id: int, home_center_id: int) -> bool:
    if actor.role == "volunteer":
        return actor.volunteer_id is not None and volunteer_id == actor.volunteer_id
    return actor.can_see_center(home_center_id)


def _visible(query, actor: Principal):
    if actor.role == "volunteer":
        return query.where(V.c.id == (actor.volunteer_id if actor.volunteer_id is not None else -1))
    visible = actor.visible_center_ids()
    if visible is not None:
        query = query.where(V.c.home_center_id.in_(visible or [-1]))
    return query


def _visible_row(s: Session, actor: Principal, volunteer_id: int):
    row = _row(s, volunteer_id)
    if row is None or not may_see(actor, row.id, row.home_center_id):
        raise VolunteerNotFound(volunteer_id=volunteer_id)
    return row


PHONE_UNAVAILABLE = _l("The phone number %(phone)s cannot be registered here; ask the city admin.")


def _refuse_taken_phone(s: Session, actor: Principal, phone: str) -> None:
    """A phone registered where ``actor`` cannot see is "cannot be registered here", never "registered at another
    center": staff must not learn other centers' numbers (the import says the same)."""
    known = s.execute(select(V.c.id, V.c.home_center_id).where(V.c.phone == phone)).first()
    if known is None:
        return
    if may_see(actor, known.id, known.home_center_id):
        raise field_error("phone", _l("The phone number %(phone)s is already registered.", phone=phone),
                          AlreadyExists)
    raise field_error("phone", say(PHONE_UNAVAILABLE, phone=phone), AlreadyExists)


def _row(s: Session, volunteer_id: int):
    return s.execute(_with_center().where(V.c.id == volunteer_id)).first()


def _view(row) -> VolunteerView:
    return VolunteerView(id=row.id, name=row.name, phone=row.phone, home_center=row.home_center,
                         home_center_id=row.home_center_id, home_center_name=row.home_center_name,
                         id_card_tail=row.id_card_tail, birth_year=row.birth_year,
                         active=row.active, account_id=row.account_id, created_at=row.created_at)


def _with_center():
    """Volunteers with their home center's code and name, for views."""
    return select(V, C.c.code.label("home_center"), C.c.name.label("home_center_name")).join(
        C, C.c.id == V.c.home_center_id)


_BY_ID = _with_center().where(V.c.id == bindparam("volunteer_id"))
