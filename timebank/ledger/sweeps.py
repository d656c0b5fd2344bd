"""Batch sweeps the scheduled jobs run: holds whose time ran out, lots past their date. Each item is its own
idempotent posting, so a sweep is safe to run twice at once and to resume after a crash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from timebank.clock import utcnow
from timebank.db import Database
from timebank.ledger import errors
from timebank.ledger.models import Lot, Transfer
from timebank.ledger.postings import Cause, expire_lot, void_hold

T = Transfer.__table__
L = Lot.__table__

def void_timed_out_holds(db: Database, *, cause: Cause, now: datetime | None = None, batch: int = 500) -> int:
    """Resolve every hold whose time has run out as a ``timeout``. Safe to run twice at once."""
    at = now or utcnow()
    done = 0
    while True:
        resolution = T.alias("resolution")
        due = db.transaction(lambda s: s.execute(
            select(T.c.id).select_from(T.outerjoin(resolution, resolution.c.pending_id == T.c.id))
            .where(T.c.kind == "pending", T.c.timeout_at <= at, resolution.c.id.is_(None))
            .order_by(T.c.id).limit(batch)
        ).scalars().all(), readonly=True)
        for hold_id in due:
            try:
                void_hold(db, hold_id=hold_id, key=f"timeout:{hold_id}", cause=cause, now=at, timed_out=True)
                done += 1
            except errors.HoldNotPending:
                pass  # posted or voided meanwhile
        if len(due) < batch:
            return done


def expire_due_lots(db: Database, *, cause: Cause, now: datetime | None = None, batch: int = 500) -> int:
    """Expire every lot past its date; returns how many lots gave up credits. Safe to run twice at once."""
    at = now or utcnow()
    expired = 0
    after = 0
    while True:
        due = db.transaction(lambda s: s.execute(
            select(L.c.id).where(L.c.expires_at <= at, L.c.expired_at.is_(None), L.c.id > after)
            .order_by(L.c.id).limit(batch)
        ).scalars().all(), readonly=True)
        for lot_id in due:
            if expire_lot(db, lot_id=lot_id, cause=cause, now=at) is not None:
                expired += 1
        if len(due) < batch:
            return expired
        after = due[-1]
