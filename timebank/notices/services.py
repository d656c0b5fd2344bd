"""Sending expiry notices, and the outbox a channel reads and marks sent. Called by the scheduler's
``expiry-notices`` job (``send_expiry_notices``) and by a channel (``pending_outbox``, ``mark_sent``).

``send_expiry_notices`` is set-based and bounded: for each window it walks the lots due in it in keyset order
(expiry, id), a batch at a time, each batch one transaction of three statements whatever its size — the batch's
last key, one ``INSERT … SELECT`` of the notices that returns the rows it made, one insert of their outbox messages.
The unique index on (lot, window) decides: ``ON CONFLICT DO NOTHING`` skips a notice that another run made, so two
runs at once, or a run started by hand while the scheduled one runs, make each notice once, and a rerun makes none.
A lot's outbox message is written in the transaction that makes its notice, so there is never one without the other.

It reads the ledger's lots and the volunteers' accounts directly: one statement for a hundred thousand volunteers
needs the join, which no service of theirs can give row by row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.db import Database
from timebank.ledger.models import Lot
from timebank.notices.models import ExpiryNotice, OutboxMessage
from timebank.notices.rules import CHANNELS, DEFAULT_CHANNEL, Window, message_text, windows
from timebank.paging import MAX_ID
from timebank.volunteers.models import Volunteer

N = ExpiryNotice.__table__
O = OutboxMessage.__table__  # noqa: E741
L = Lot.__table__
V = Volunteer.__table__

BATCH = 1000
DEFAULT_ZONE = "Asia/Shanghai"
MAX_OUTBOX_READ = 1000


def _due_in_window():
    """Lots with credits left, due in the window (up to ``until``), held by a volunteer, with no notice of this
    window yet, after the keyset position (``from_at``, ``from_id``): a run starts at (the window's ``after``,
    ``MAX_ID``), which leaves out a lot expiring at ``after`` itself, as the window does."""
    noticed = exists().where(N.c.lot_id == L.c.id, N.c.kind == bindparam("kind"))
    return and_(L.c.expired_at.is_(None), L.c.remaining > 0, L.c.expires_at <= bindparam("until"),
                # Said twice: the plain bound is where the index range starts (neither database starts one from the
                # OR), so each batch reads from its position on, not from the window's start again.
                L.c.expires_at >= bindparam("from_at"),
                or_(L.c.expires_at > bindparam("from_at"),
                    and_(L.c.expires_at == bindparam("from_at"), L.c.id > bindparam("from_id"))),
                ~noticed)


_LOTS = L.join(V, V.c.account_id == L.c.account_id)
_BATCH_KEYS = (select(L.c.expires_at, L.c.id).select_from(_LOTS).where(_due_in_window())
               .order_by(L.c.expires_at, L.c.id).limit(bindparam("batch")))
_NOTICE_SOURCE = (
    select(V.c.id, L.c.id, bindparam("kind", type_=String(16)), L.c.remaining, L.c.expires_at,
           bindparam("now", type_=N.c.created_at.type))
    .select_from(_LOTS)
    .where(_due_in_window(), L.c.expires_at <= bindparam("to_at"),
           or_(L.c.expires_at < bindparam("to_at"), and_(L.c.expires_at == bindparam("to_at"),
                                                         L.c.id <= bindparam("to_id"))))
    .order_by(L.c.expires_at, L.c.id)
)


def _insert_notices(dialect):
    made = dialect.insert(N).from_select(["volunteer_id", "lot_id", "kind", "credits", "expires_at", "created_at"],
                                         _NOTICE_SOURCE)
    return made.on_conflict_do_nothing(index_elements=["lot_id", "kind"]).returning(
        N.c.id, N.c.volunteer_id, N.c.kind, N.c.credits, N.c.expires_at)


_INSERT_NOTICES = {"sqlite": _insert_notices(sqlite), "postgresql": _insert_notices(postgresql)}


def send_expiry_notices(db: Database, *, now: datetime, zone: str = DEFAULT_ZONE, channel: str = DEFAULT_CHANNEL,
                        batch: int = BATCH) -> int:
    """Make the notices due at ``now``, each with its outbox message on ``channel``; how many were made.

    A lot already past its date, fully spent or held (nothing left) gets none; a notice says what was left in the lot
    when it was made. ``zone`` is the city's clock (``TIMEBANK_TIMEZONE``), for the date the message names."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    made = 0
    for window in windows(now):
        position = (window.after, MAX_ID)
        while position is not None:
            count, position = db.transaction(
                lambda s, at=position, w=window: _one_batch(s, db, w, at, now=now, zone=zone, channel=channel,
                                                            batch=batch))
            made += count
    return made


def _one_batch(s: Session, db: Database, window: Window, position: tuple[datetime, int], *, now: datetime,
               zone: str, channel: str, batch: int) -> tuple[int, tuple[datetime, int] | None]:
    """One batch: the notices of the next ``batch`` lots due in ``window``; how many were made, and where the next
    batch starts (``None``: this was the last)."""
    where = {"kind": window.kind, "until": window.until, "from_at": position[0], "from_id": position[1]}
    keys = s.execute(_BATCH_KEYS, {**where, "batch": batch}).all()
    if not keys:
        return 0, None
    last_at, last_id = keys[-1]
    made = s.execute(_INSERT_NOTICES[db.dialect], {**where, "to_at": last_at, "to_id": last_id, "now": now}).all()
    if made:
        s.execute(insert(O), [{"channel": channel, "volunteer_id": row.volunteer_id, "notice_id": row.id,
                               "text": message_text(row.kind, amount=row.credits, expires_at=row.expires_at,
                                                    zone=zone),
                               "created_at": now} for row in made])
    return len(made), ((last_at, last_id) if len(keys) == batch else None)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    volunteer_id: int
    notice_id: int | None
    text: str
    created_at: datetime


_PENDING = (select(O.c.id, O.c.channel, O.c.volunteer_id, O.c.notice_id, O.c.text, O.c.created_at)
            .where(O.c.sent_at.is_(None), O.c.channel == bindparam("channel"), O.c.id > bindparam("after"))
            .order_by(O.c.id).limit(bindparam("limit")))


def pending_outbox(db: Database, *, limit: int = 100, channel: str = DEFAULT_CHANNEL,
                   after: int = 0) -> list[OutboxItem]:
    """The oldest ``limit`` messages of ``channel`` not yet sent (with ids above ``after``, to page on), oldest
    first. Reading marks nothing: a channel that crashes before ``mark_sent`` reads the same messages again."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not 1 <= limit <= MAX_OUTBOX_READ:
        raise ValueError(f"limit must be from 1 to {MAX_OUTBOX_READ}")
    rows = db.read_all(_PENDING, {"channel": channel, "after": max(0, min(after, MAX_ID)), "limit": limit})
    return [OutboxItem(row.id, row.channel, row.volunteer_id, row.notice_id, row.text, row.created_at)
            for row in rows]


def mark_sent(db: Database, *, ids, now: datetime) -> int:
    """Mark these messages sent at ``now``; how many were marked now. Idempotent: a message already marked keeps
    its first time, and marking it again counts nothing."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    wanted = sorted({int(i) for i in ids if 1 <= int(i) <= MAX_ID})
    if not wanted:
        return 0

    def work(s: Session) -> int:
        marked = 0
        for start in range(0, len(wanted), MAX_OUTBOX_READ):  # bounded IN lists
            chunk = wanted[start:start + MAX_OUTBOX_READ]
            marked += s.execute(update(O).where(O.c.id.in_(chunk), O.c.sent_at.is_(None))
                                .values(sent_at=now)).rowcount
        return marked

    return db.transaction(work)
