"""What the scheduled jobs sweep: holds whose time ran out, lots past their date.

Each function runs in the caller's unit of work. ``due_holds`` finds a batch of holds and ``time_out_hold`` resolves
one; ``expire_due_batch`` expires the next batch of lots due, set-based (``postings.expire_lots``), in one unit of
work. ``timebank.ledger.standalone`` runs whole sweeps, a hold or a batch of lots per transaction, so a sweep is safe
to run twice at once and to resume after a crash.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from timebank.ledger.models import Lot, Transfer
from timebank.ledger.postings import Cause, ExpiringLot, Posted, expire_lots, expiring_lots, void_hold

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


# Soonest first along the index of live lots (ix_lot_due, partial on expired_at IS NULL): a run reads what is due,
# never the lots expired before it.
_DUE_LOTS = (expiring_lots()
             .where(L.c.expired_at.is_(None), L.c.expires_at <= bindparam("now", type_=L.c.expires_at.type))
             .order_by(L.c.expires_at, L.c.id).limit(bindparam("limit")))


def due_lots(s: Session, *, now: datetime, limit: int = 5000) -> list[ExpiringLot]:
    """Up to ``limit`` lots past their date and not yet expired, soonest first, with the accounts expiring them
    changes."""
    return [ExpiringLot(*row) for row in s.execute(_DUE_LOTS, {"now": now, "limit": limit}).all()]


def expire_due_batch(s: Session, *, cause: Cause, now: datetime, limit: int = 5000) -> tuple[int, int]:
    """Expire the next ``limit`` lots due at ``now``, in the caller's unit of work: (how many gave up credits, how
    many were taken). Every lot taken leaves the due ones (expired here, or by a concurrent run that got there first),
    so the next batch never sees it again."""
    due = due_lots(s, now=now, limit=limit)
    return expire_lots(s, lots=due, cause=cause, now=now), len(due)


def time_out_hold(s: Session, *, hold_id: int, cause: Cause, now: datetime | None = None) -> Posted:
    """Release a hold whose time ran out, as a ``timeout`` under the hold's own key. ``HoldNotPending`` when it was
    posted or voided meanwhile."""
    return void_hold(s, hold_id=hold_id, key=timeout_key(hold_id), cause=cause, now=now, timed_out=True)
