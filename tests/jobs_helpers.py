"""What the jobs' tests share: lots that are due, a volunteer's live lots, and many recorded runs for the lists."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from tests.ledger_helpers import CAUSE
from timebank.jobs.models import JobRun
from timebank.ledger import accounts, postings
from timebank.ledger.models import Lot, LotMovement, Transfer

L = Lot.__table__
M = LotMovement.__table__
T = Transfer.__table__


def mint_lots(db, *, expiring: list[datetime], amount: int = 100, minted_at: datetime | None = None) -> list[int]:
    """A new volunteer account holding one lot of ``amount`` per expiry date, all minted in one unit of work (a
    center's issuance account of its own); the lots' ids, in the order of ``expiring``."""
    tag = uuid.uuid4().hex[:10]

    def work(s) -> list[int]:
        issuer = accounts.open_account(s, code=f"issuance:{tag}", kind="issuance")
        volunteer = accounts.open_account(s, code=f"volunteer:{tag}", kind="volunteer")
        return [postings.mint(s, account_id=volunteer, issuer_account_id=issuer, amount=amount, expires_at=expires,
                              key=f"test-mint:{tag}:{n}", cause=CAUSE, now=minted_at).lot_id
                for n, expires in enumerate(expiring)]

    return db.transaction(work)


def expired_lot_ids(db) -> set[int]:
    return set(db.transaction(lambda s: s.execute(select(L.c.id).where(L.c.expired_at.is_not(None))).scalars().all(),
                              readonly=True))


def expiries_per_lot(db) -> dict[int, int]:
    """How many ``expire`` transfers moved each lot's credits (each must be 1, once expired)."""
    rows = db.transaction(lambda s: s.execute(
        select(M.c.lot_id, func.count()).join(T, T.c.id == M.c.transfer_id).where(T.c.kind == "expire")
        .group_by(M.c.lot_id)).all(), readonly=True)
    return {row[0]: row[1] for row in rows}


def seed_runs(db, count: int, *, now: datetime, job: str = "void-stale-holds") -> None:
    """``count`` finished runs of ``job``, one a minute before ``now``, every fifth one failed: a list longer than
    two pages, written straight into the table (what they did does not matter here)."""
    rows = [dict(job=job, started_via="schedule", started_by="scheduler",
                 started_at=now - timedelta(minutes=count - n), finished_at=now - timedelta(minutes=count - n) +
                 timedelta(seconds=1), outcome="failed" if n % 5 == 4 else "succeeded",
                 counts={} if n % 5 == 4 else {"reservations_voided": n, "holds_timed_out": 0},
                 error="OperationalError: the database was unreachable" if n % 5 == 4 else None)
            for n in range(count)]
    db.transaction(lambda s: s.execute(insert(JobRun.__table__), rows))
