"""A volunteer's account and record book, read in one snapshot.

The record book is one stream, newest first: every transfer that touched the volunteer's account (a mint carries
its service record and receipt; a reversal names the record it reverses) and every service record that moved no
credits (pending, rejected). Each entry says the balance after it. Page *n* starts from the balance stored on the
account row minus what the newer entries changed (one sum over the rows before the page), so a page never needs
the whole history and the first page needs none of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, String, bindparam, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.hours import queries as records
from timebank.hours.queries import RecordView
from timebank.ledger.accounts import balance_of, lots_of
from timebank.ledger.rules import LotView
from timebank.ledger.statement import live_lot_totals, movements_of, soonest_lots
from timebank.paging import Page, check_paging
from timebank.record_book.permissions import READ_RECORD_BOOK
from timebank.volunteers.services import VolunteerView, get_volunteer

EXPIRING_WINDOW = timedelta(days=30)
SR = records.SR
RECORD = "record"  # the kind of an entry that is a service record which moved no credits


@dataclass(frozen=True)
class AccountView:
    volunteer_id: int
    balance: int
    held: int
    available: int
    lots: tuple[LotView, ...]  # live lots, soonest expiry first (on a page: the first few of them)
    expiring_30d: int  # what the live lots lose within the next 30 days, unless spent first
    expiring_lots: tuple[LotView, ...]
    as_of: datetime
    lot_count: int  # how many live lots there are in all


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "record", or the transfer's kind: mint, pending, post, void, timeout, expire, reversal
    transfer_id: int | None
    amount: int | None  # the credits the transfer moved
    change: int  # what it did to the balance (a hold changes only what is held)
    balance: int  # the balance after this entry
    held: int  # what was held after this entry
    record: RecordView | None


@dataclass(frozen=True)
class RecordBook:
    volunteer: VolunteerView
    account: AccountView
    entries: Page[Entry]


def get_account(db: Database, *, actor: Principal, volunteer_id: int, now: datetime | None = None,
                lot_limit: int | None = None) -> AccountView:
    """The account; ``lot_limit`` keeps only the soonest lots (a page), else every live lot (the API)."""
    volunteer = _visible_volunteer(db, actor, volunteer_id)
    return db.transaction(lambda s: account_of(s, volunteer, now=now or utcnow(), lot_limit=lot_limit),
                          readonly=True)


def get_record_book(db: Database, *, actor: Principal, volunteer_id: int, page: int = 1, per_page: int = 20,
                    now: datetime | None = None, lot_limit: int | None = None) -> RecordBook:
    check_paging(page, per_page)
    volunteer = _visible_volunteer(db, actor, volunteer_id)
    at = now or utcnow()

    def work(s: Session) -> RecordBook:
        account = account_of(s, volunteer, now=at, lot_limit=lot_limit)
        return RecordBook(volunteer, account, _entries(s, volunteer, account, page=page, per_page=per_page))

    return db.transaction(work, readonly=True)


def _visible_volunteer(db: Database, actor: Principal, volunteer_id: int) -> VolunteerView:
    READ_RECORD_BOOK.require(actor)
    return get_volunteer(db, actor=actor, volunteer_id=volunteer_id)  # 404 for a volunteer the actor cannot see


def account_of(s: Session, volunteer: VolunteerView, *, now: datetime, lot_limit: int | None = None) -> AccountView:
    totals = balance_of(s, volunteer.account_id)
    horizon = now + EXPIRING_WINDOW
    if lot_limit is None:
        lots = tuple(lots_of(s, volunteer.account_id))
        count, expiring = len(lots), sum(lot.remaining for lot in lots if lot.expires_at < horizon)
    else:  # a page: a few lots and two sums, whatever the number of lots
        lots = tuple(soonest_lots(s, volunteer.account_id, limit=lot_limit))
        count, expiring = live_lot_totals(s, volunteer.account_id, expiring_before=horizon)
    return AccountView(volunteer_id=volunteer.id, balance=totals.balance, held=totals.held,
                       available=totals.available, lots=lots, expiring_30d=expiring,
                       expiring_lots=tuple(lot for lot in lots if lot.expires_at < horizon), as_of=now,
                       lot_count=count)


def _stream():
    """Transfers and credit-less records in one order: newest first, ties broken the same way on every page.
    Built once, with the account and the volunteer as parameters: building it is most of a short page's cost.

    A page reads only what it needs: each of the three parts (debits, credits, credit-less records) gives its newest
    ``window`` rows along its own index (``window`` = the rows before the page and the page), and only those are
    merged and sorted, so page 1 of a 5,000-record book reads about 60 rows, not 10,000."""
    no_credits = select(
        SR.c.entered_at.label("at"), SR.c.id.label("ref_id"), cast(literal(RECORD), String(16)).label("kind"),
        cast(null(), BigInteger).label("amount"), cast(literal(0), BigInteger).label("balance_delta"),
        cast(literal(0), BigInteger).label("held_delta"), cast(null(), BigInteger).label("pending_id"),
        cast(null(), BigInteger).label("reverses_id"),
    ).where(SR.c.volunteer_id == bindparam("volunteer_id"), SR.c.mint_transfer_id.is_(None))
    parts = [*movements_of(bindparam("account_id")), no_credits]
    whole = union_all(*parts).subquery("stream")

    def newest(part, name: str):
        # Within a part (at, ref_id) is unique, so its newest rows by (at, ref_id) are all it can add to the page.
        at, ref_id = part.selected_columns.at, part.selected_columns.ref_id
        window = part.order_by(at.desc(), ref_id.desc()).limit(bindparam("window")).subquery(name)
        return select(window)

    stream = union_all(*(newest(part, f"part{n}") for n, part in enumerate(parts))).subquery("recent")
    ordered = select(stream).order_by(stream.c.at.desc(), stream.c.ref_id.desc(), stream.c.kind)
    newer = ordered.limit(bindparam("newer")).subquery("newer")
    return (select(func.count()).select_from(whole),
            ordered.limit(bindparam("per_page")).offset(bindparam("offset")),
            select(func.coalesce(func.sum(newer.c.balance_delta), 0), func.coalesce(func.sum(newer.c.held_delta), 0)))


_COUNT, _PAGE, _NEWER = _stream()


def _entries(s: Session, volunteer: VolunteerView, account: AccountView, *, page: int,
             per_page: int) -> Page[Entry]:
    whose = {"account_id": volunteer.account_id, "volunteer_id": volunteer.id}
    total = s.execute(_COUNT, whose).scalar_one()
    offset = (page - 1) * per_page
    rows = s.execute(_PAGE, {**whose, "per_page": per_page, "offset": offset, "window": offset + per_page}).all()
    balance, held = account.balance, account.held
    if offset and rows:
        changed, reserved = s.execute(_NEWER, {**whose, "newer": offset, "window": offset}).one()
        balance, held = balance - int(changed), held - int(reserved)
    linked = _records_for(s, rows)
    items = []
    for row in rows:
        record = linked.get(("record", row.ref_id)) if row.kind == RECORD else \
            linked.get(("mint", row.reverses_id if row.kind == "reversal" else row.ref_id))
        items.append(Entry(at=row.at, kind=row.kind, transfer_id=None if row.kind == RECORD else row.ref_id,
                           amount=row.amount, change=int(row.balance_delta), balance=balance, held=held,
                           record=record))
        balance -= int(row.balance_delta)  # walking back in time: the balance before this entry
        held -= int(row.held_delta)
    return Page(items=tuple(items), total=total, page=page, per_page=per_page, pages=max(1, -(-total // per_page)))


def _records_for(s: Session, rows) -> dict[tuple[str, int], RecordView]:
    """The service records a page names, in one query: by id for credit-less ones, by mint for the others."""
    record_ids = [row.ref_id for row in rows if row.kind == RECORD]
    mint_ids = [row.ref_id for row in rows if row.kind == "mint"]
    mint_ids += [row.reverses_id for row in rows if row.kind == "reversal" and row.reverses_id is not None]
    if not record_ids and not mint_ids:
        return {}
    found = s.execute(records.RECORD.where(or_(SR.c.id.in_(record_ids or [-1]),
                                               SR.c.mint_transfer_id.in_(mint_ids or [-1])))).all()
    linked: dict[tuple[str, int], RecordView] = {}
    for row in found:
        view = records.view_of(row)
        if row.mint_transfer_id is None:
            linked[("record", row.id)] = view
        else:
            linked[("mint", row.mint_transfer_id)] = view
    return linked
