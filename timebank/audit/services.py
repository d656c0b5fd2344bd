"""The audit log: ``record`` inside the transaction of every state change; ``list_entries`` for admins.

``record`` takes the caller's session and never commits: the entry exists exactly when the change it describes does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from timebank.audit.models import AuditEntry
from timebank.audit.permissions import READ_AUDIT_LOG
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.paging import Page, paginate

E = AuditEntry.__table__


@dataclass(frozen=True)
class AuditEntryView:
    id: int
    at: datetime
    actor_user_id: int | None
    actor_name: str
    actor_role: str
    center_id: int | None
    action: str
    object_type: str
    object_id: str
    detail: dict


def changes_between(row, wanted: dict) -> dict[str, list]:
    """``{field: [old, new]}`` for each wanted value that differs from ``row``: an update's audit detail."""
    return {k: [row._mapping[k], v] for k, v in wanted.items() if row._mapping[k] != v}


def record(session: Session, *, actor: Principal, action: str, object_type: str, object_id,
           center_id: int | None = None, detail: dict | None = None) -> None:
    """Write one entry in ``session``'s transaction: who (``actor``) did ``action`` to which object, where, when."""
    session.execute(insert(E).values(_entry(actor, action, object_type, object_id, center_id, detail)))


def record_many(session: Session, *, actor: Principal, action: str, object_type: str,
                objects: list[tuple[object, int | None, dict | None]]) -> None:
    """Write one entry per ``(object_id, center_id, detail)`` in a single statement (bulk imports)."""
    if objects:
        session.execute(insert(E), [_entry(actor, action, object_type, object_id, center_id, detail)
                                    for object_id, center_id, detail in objects])


def list_entries(db: Database, *, actor: Principal, action: str | None = None, actor_user_id: int | None = None,
                 center_id: int | None = None, object_type: str | None = None, object_id: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 page: int = 1, per_page: int = 50) -> Page[AuditEntryView]:
    """The newest entries first, filtered. Admins only: the log names people of every center."""
    READ_AUDIT_LOG.require(actor)
    query = select(E)
    if action:
        query = query.where(E.c.action == action)
    if actor_user_id is not None:
        query = query.where(E.c.actor_user_id == actor_user_id)
    if center_id is not None:
        query = query.where(E.c.center_id == center_id)
    if object_type:
        query = query.where(E.c.object_type == object_type)
    if object_id is not None:
        query = query.where(E.c.object_id == str(object_id))
    if since is not None:
        query = query.where(E.c.at >= since)
    if until is not None:
        query = query.where(E.c.at < until)
    query = query.order_by(E.c.at.desc(), E.c.id.desc())
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=_view), readonly=True)


def _entry(actor: Principal, action: str, object_type: str, object_id, center_id, detail) -> dict:
    return dict(at=utcnow(), actor_user_id=actor.user_id, actor_name=actor.username[:60], actor_role=actor.role,
                center_id=center_id, action=action, object_type=object_type, object_id=str(object_id),
                detail=detail or {})


def _view(row) -> AuditEntryView:
    return AuditEntryView(id=row.id, at=row.at, actor_user_id=row.actor_user_id, actor_name=row.actor_name,
                          actor_role=row.actor_role, center_id=row.center_id, action=row.action,
                          object_type=row.object_type, object_id=row.object_id, detail=row.detail or {})
