"""What the scheduled jobs sweep: holds whose time ran out, lots past their date.

Each function runs in the caller's unit of work. ``due_holds``/``due_lots`` find a batch; ``time_out_hold`` and
``postings.expire_lot`` resolve one item. ``timebank.ledger.standalone`` runs whole sweeps with each item in its own
transaction, so a sweep is safe to run twice at once and to resume after a crash.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.ledger.models import Lot, Transfer
from timebank.ledger.postings import Cause, Posted, void_hold

T = Transfer.__table__
L = Lot.__table__


def timeout_key(hold_id: int) -> str:
    """One key per hold: two sweeps timing out the same hold make one transfer."""
    return f"timeout:{hold_id}"


def due_holds(s: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Pending holds whose time has run out and that nothing resolved yet, oldest first."""
    resolution = T.alias("resolution")
    return list(s.execute(
        select(T.c.id).select_from(T.outerjoin(resolution, resolution.c.pending_id == T.c.id))
        .where(T.c.kind == "pending", T.c.timeout_at <= now, resolution.c.id.is_(None))
        .order_by(T.c.id).limit(limit)
    ).scalars().all())


def due_lots(s: Session, *, now: datetime, after: int = 0, limit: int = 500) -> list[int]:
    """Lots past their date and not yet expired, with ids above ``after``, in id order."""
    return list(s.execute(
        select(L.c.id).where(L.c.expires_at <= now, L.c.expired_at.is_(None), L.c.id > after)
        .order_by(L.c.id).limit(limit)
    ).scalars().all())


def time_out_hold(s: Session, *, hold_id: int, cause: Cause, now: datetime | None = None) -> Posted:
    """Release a hold whose time ran out, as a ``timeout`` under the hold's own key. ``HoldNotPending`` when it was
    posted or voided meanwhile."""
    return void_hold(s, hold_id=hold_id, key=timeout_key(hold_id), cause=cause, now=now, timed_out=True)
