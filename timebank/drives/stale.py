"""Voiding the reservations nobody picked up (SPEC §3.4, §6 ``void-stale-holds``): once a drive's ``pickup_until``
has passed, each held reservation gives its stock back, its hold times out (the credits return to the very lots they
came from) and it is ``voided``. Its voucher is not revoked: it expired at ``pickup_until`` and verifies as
``expired``.

Each reservation is voided in a transaction of its own, under its row lock, so the sweep is safe to run twice at
once and to resume after a crash; the hold times out under the ledger's own timeout key, so a ledger sweep that
timed the hold out first is replayed, not repeated.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import stock
from timebank.drives.booking import cause, drive_row, lock_reservation, quantities_of
from timebank.drives.models import Drive, Reservation
from timebank.drives.permissions import VOID_STALE_RESERVATIONS
from timebank.ledger.rules import format_credits
from timebank.ledger.sweeps import time_out_hold

R = Reservation.__table__
D = Drive.__table__

BATCH = 500
_STALE = (select(R.c.id).join(D, D.c.id == R.c.drive_id)
          .where(R.c.status == "held", D.c.pickup_until <= bindparam("now"), R.c.id > bindparam("after"))
          .order_by(R.c.id).limit(bindparam("limit")))


def void_stale_reservations(db: Database, *, now: datetime | None = None,
                            actor: Principal | None = None, batch: int = BATCH) -> int:
    """Void every held reservation whose drive's pickup time is over; the number voided by this run."""
    actor = actor or Principal.system("void-stale-holds")
    VOID_STALE_RESERVATIONS.require(actor)
    now = now or utcnow()
    voided, after = 0, 0
    while True:
        ids = db.transaction(lambda s, after=after: list(s.execute(_STALE, {"now": now, "after": after,
                                                                            "limit": batch}).scalars()),
                             readonly=True)
        for reservation_id in ids:
            if db.transaction(lambda s, rid=reservation_id: _void_one(s, actor, rid, now)):
                voided += 1
        if len(ids) < batch:
            return voided
        after = ids[-1]


def _void_one(s: Session, actor: Principal, reservation_id: int, now: datetime) -> bool:
    row = lock_reservation(s, reservation_id)
    if row.status != "held" or drive_row(s, row.drive_id).pickup_until > now:
        return False  # picked up, cancelled or voided meanwhile
    stock.release(s, drive_id=row.drive_id, center_id=row.center_id, quantities=quantities_of(s, row.id))
    time_out_hold(s, hold_id=row.hold_transfer_id, cause=cause(actor, row.id), now=now)
    s.execute(update(R).where(R.c.id == row.id).values(status="voided", voided_at=now))
    audit(s, actor=actor, action="reservation.void", object_type="reservation", object_id=row.id,
          center_id=row.center_id, detail={"total": format_credits(row.total)})
    return True
