"""Reading an account's history: every transfer that touched it, with what it did to the balance and to the holds.

A volunteer's record book (``timebank.record_book``) pages through these. The transfers come as two selects, the
ones that debited the account and the ones that credited it (a transfer never does both), so each is read along
its own ``(account, created_at, id)`` index and the database merges them without sorting the whole history.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session

from timebank.ledger.accounts import _LIVE_LOTS
from timebank.ledger.models import POSTING_KINDS, RESOLUTION_KINDS, Lot, Transfer
from timebank.ledger.rules import LotView

T = Transfer.__table__
L = Lot.__table__


def _movements(account_id, *, debited: bool) -> Select:
    side = T.c.debit_account_id if debited else T.c.credit_account_id
    posted = T.c.kind.in_(POSTING_KINDS)
    if debited:
        # A hold reserves the credits (held goes up) and its post, void or timeout releases them again; only
        # posted kinds change the balance itself.
        balance_delta = case((posted, -T.c.amount), else_=0)
        held_delta = case((T.c.kind == "pending", T.c.amount), (T.c.kind.in_(RESOLUTION_KINDS), -T.c.amount),
                          else_=0)
    else:
        balance_delta = case((posted, T.c.amount), else_=0)
        held_delta = literal(0)
    return select(
        T.c.created_at.label("at"), T.c.id.label("ref_id"), T.c.kind.label("kind"), T.c.amount.label("amount"),
        balance_delta.label("balance_delta"), held_delta.label("held_delta"),
        T.c.pending_id.label("pending_id"), T.c.reverses_id.label("reverses_id"),
    ).where(side == account_id)


def movements_of(account_id) -> list[Select]:
    """The account's transfers (``account_id``: an id or a ``bindparam``) as selects to union: ``at, ref_id, kind, amount, balance_delta, held_delta,
    pending_id, reverses_id``; summing ``balance_delta`` over all of them gives the stored balance."""
    return [_movements(account_id, debited=True), _movements(account_id, debited=False)]


def soonest_lots(s: Session, account_id: int, *, limit: int) -> list[LotView]:
    """The first ``limit`` live lots of ``accounts.lots_of`` (a page shows a few; a long-serving volunteer has
    thousands)."""
    rows = s.execute(_LIVE_LOTS.limit(limit), {"account_id": account_id}).all()
    return [LotView(row.id, row.remaining, row.expires_at) for row in rows]


def live_lot_totals(s: Session, account_id: int, *, expiring_before: datetime) -> tuple[int, int]:
    """How many live lots the account has, and what they hold that expires before ``expiring_before``: one row."""
    live = (L.c.account_id == account_id) & L.c.expired_at.is_(None) & (L.c.remaining > 0)
    count, expiring = s.execute(select(
        func.count(), func.coalesce(func.sum(case((L.c.expires_at < expiring_before, L.c.remaining), else_=0)), 0),
    ).where(live)).one()
    return int(count), int(expiring)
