"""A checked import file waiting for its importer's confirmation (the import pages' second step).

The file stays on the server and the page's form carries only a random id, so a confirmation cannot carry anything
but the file that was checked. Each kind of import (``volunteers``, ``service_records``) has its own: a person has
at most one file of each kind waiting, one kind's id never opens another's file, and an unconfirmed file is dropped
after ``PENDING_FOR``. The caller's unit of work takes the file and drops it in one go: a confirmation is used once.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Column, ForeignKey, Index, LargeBinary, String, delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from timebank.auth.access import Forbidden, Principal
from timebank.db import UTCDateTime
from timebank.errors import NotFound
from timebank.spreadsheets.reading import say

PENDING_FOR = timedelta(minutes=30)
PENDING_GONE = _l("This check has expired or was already used. Choose the file and check it again.")
ID_MAX = 64


class PendingImport(SQLModel, table=True):
    """The uploaded bytes of a checked file, under ``<kind>.<random>``; one per person and kind."""

    __tablename__ = "pending_import"
    __table_args__ = (Index("ix_pending_import_expires", "expires_at"),)

    id: str = Field(sa_column=Column(String(ID_MAX), primary_key=True))  # the kind and a random, unguessable part
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the uploaded bytes, at most 5 MB
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


P = PendingImport.__table__


def hold_file(s: Session, *, actor: Principal, kind: str, data: bytes, now: datetime) -> str:
    """Keep ``data`` until its importer confirms it, replacing their earlier file of this kind; returns its id."""
    if actor.user_id is None:
        raise Forbidden()  # only a signed-in person confirms an import
    pending_id = f"{kind}.{secrets.token_urlsafe(32)}"
    s.execute(delete(P).where(((P.c.user_id == actor.user_id) & P.c.id.startswith(f"{kind}.", autoescape=True))
                              | (P.c.expires_at < now)))
    s.execute(insert(P).values(id=pending_id, user_id=actor.user_id, data=data, created_at=now,
                               expires_at=now + PENDING_FOR))
    return pending_id


def take_file(s: Session, *, actor: Principal, kind: str, pending_id: str, now: datetime) -> bytes:
    """The held file, dropped in the caller's unit of work. Another person's, another kind's, an expired or an unknown
    id is "not found" (``fields.file``: the page shows it by the file input)."""
    row = None
    if actor.user_id is not None and pending_id.startswith(f"{kind}.") and len(pending_id) <= ID_MAX:
        row = s.execute(select(P.c.data).where(P.c.id == pending_id, P.c.user_id == actor.user_id,
                                               P.c.expires_at >= now)).first()
    if row is None:
        message = say(PENDING_GONE)
        raise NotFound(message, fields={"file": [message]})
    s.execute(delete(P).where(P.c.id == pending_id))
    return bytes(row.data)
