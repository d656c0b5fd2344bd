"""Accounts and what they hold: opening them, the sinks, balances (one row) and live lots.

Every function here runs inside the caller's unit of work (a SQLAlchemy ``Session``) and never commits, so an owner
and its account appear together or not at all. ``timebank.ledger.standalone`` has the forms that own a transaction.

Sinks. Every center has its own redemption sink and expiry sink (``redemption:<code>``, ``expiry:<code>``, with the
center's id in ``center_id``), opened with the center: a posting locks the rows it changes until it commits, so one
city-wide sink would queue every pickup and every expiry of the city on one row. A center's sink is found by
``(center_id, kind)`` through a unique partial index per kind. The two city-wide sinks (``sink:redemption``,
``sink:expiry``) stay: transfers already credited to them stay valid, and an issuance account that belongs to no
center (tests, benchmarks) still expires into ``sink:expiry``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, literal_column, select, update
from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.ledger import errors
from timebank.ledger.models import Account, Lot
from timebank.ledger.rules import LotView

A = Account.__table__
L = Lot.__table__

EXPIRY_SINK = "sink:expiry"  # city-wide: legacy transfers, and lots minted by an issuer with no center
REDEMPTION_SINK = "sink:redemption"  # city-wide: legacy transfers only; a pickup goes to redemption_sink_for(center)
CENTER_SINK_KINDS = ("redemption", "expiry")


def center_sink(kind: str, account=A):
    """``account.kind = '<kind>'`` (of ``account``, the table or an alias of it) with the kind written out, not
    bound: SQLite uses a partial index only when the query repeats the index's WHERE term literally
    (``ux_account_<kind>_sink``)."""
    return account.c.kind == literal_column(f"'{kind}'")


# Built once: these run on every balance read and every spend.
_LIVE_LOTS = (select(L.c.id, L.c.remaining, L.c.expires_at)
              .where(L.c.account_id == bindparam("account_id"), L.c.expired_at.is_(None), L.c.remaining > 0)
              .order_by(L.c.expires_at, L.c.id))
_BALANCE = select(A.c.credits_posted, A.c.debits_posted, A.c.credits_pending, A.c.debits_pending).where(
    A.c.id == bindparam("account_id"))
_CENTER_SINK = {kind: select(A.c.id).where(A.c.center_id == bindparam("center_id"), center_sink(kind))
                for kind in CENTER_SINK_KINDS}
_RENAME = update(A).where(A.c.id == bindparam("account_id")).values(code=bindparam("account_code"))


@dataclass(frozen=True)
class Balance:
    account_id: int
    credits_posted: int
    debits_posted: int
    credits_pending: int
    debits_pending: int

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def held(self) -> int:
        return self.debits_pending

    @property
    def available(self) -> int:
        return self.balance - self.debits_pending


def volunteer_account_code(volunteer_id: int) -> str:
    return f"volunteer:{volunteer_id}"


def open_account(s: Session, *, code: str, kind: str, center_id: int | None = None) -> int:
    """Open an account (or return the one with this code). Every account but issuance refuses overdraft."""
    found = s.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is not None:
        return found
    return s.execute(
        insert(A).values(code=code, kind=kind, center_id=center_id, no_overdraft=kind != "issuance",
                         created_at=utcnow()).returning(A.c.id)
    ).scalar_one()


def open_volunteer_accounts(s: Session, *, center_ids: list[int | None]) -> list[int]:
    """Open one volunteer account per entry of ``center_ids`` in one statement; their ids, in the same order.

    A volunteer account is named after its volunteer, whose id exists only once the volunteer row does (and that row
    names the account): the accounts open under placeholder codes; ``name_volunteer_accounts`` then names them."""
    if not center_ids:
        return []
    now = utcnow()
    return list(s.execute(insert(A).returning(A.c.id, sort_by_parameter_order=True), [
        {"code": f"volunteer:new:{uuid.uuid4().hex}", "kind": "volunteer", "center_id": center_id,
         "no_overdraft": True, "created_at": now} for center_id in center_ids
    ]).scalars().all())


def name_volunteer_accounts(s: Session, owners: dict[int, int]) -> None:
    """Name each account after its volunteer (``{account_id: volunteer_id}``) → ``volunteer:<id>``, in one statement."""
    if owners:
        s.execute(_RENAME, [{"account_id": account_id, "account_code": volunteer_account_code(volunteer_id)}
                            for account_id, volunteer_id in owners.items()])


def label_account(s: Session, account_id: int, *, code: str | None = None, center_id: int | None = None) -> None:
    """Name a just-opened account after its owner, whose id exists only now (``volunteer:<id>``, the center)."""
    values = {k: v for k, v in {"code": code, "center_id": center_id}.items() if v is not None}
    s.execute(update(A).where(A.c.id == account_id).values(values))


def ensure_system_accounts(s: Session) -> None:
    """The city-wide sinks, kept for the transfers already credited to them and for issuers of no center."""
    open_account(s, code=REDEMPTION_SINK, kind="redemption")
    open_account(s, code=EXPIRY_SINK, kind="expiry")


def center_sink_code(kind: str, center_code: str) -> str:
    return f"{kind}:{center_code}"


@dataclass(frozen=True)
class CenterSinks:
    redemption_account_id: int
    expiry_account_id: int


def open_center_sinks(s: Session, *, center_id: int, center_code: str) -> CenterSinks:
    """Open a center's redemption and expiry sinks (or return them), in the unit of work that creates the center."""
    opened = {kind: open_account(s, code=center_sink_code(kind, center_code), kind=kind, center_id=center_id)
              for kind in CENTER_SINK_KINDS}
    return CenterSinks(opened["redemption"], opened["expiry"])


def redemption_sink_for(s: Session, center_id: int) -> int:
    """The account a reservation picked up at ``center_id`` holds its credits for (one indexed read)."""
    return _center_sink_for(s, "redemption", center_id)


def expiry_sink_for(s: Session, center_id: int) -> int:
    """The account the expired credits minted at ``center_id`` go to. Postings find it by a join, not by this."""
    return _center_sink_for(s, "expiry", center_id)


def _center_sink_for(s: Session, kind: str, center_id: int) -> int:
    found = s.execute(_CENTER_SINK[kind], {"center_id": center_id}).scalar()
    if found is None:
        raise errors.AccountNotFound(f"center {center_id} has no {kind} sink")
    return found


def balance_of(s: Session, account_id: int) -> Balance:
    """One row, whatever the number of transfers (SPEC §4.8)."""
    row = s.connection().execute(_BALANCE, {"account_id": account_id}).first()
    if row is None:
        raise errors.AccountNotFound()
    return Balance(account_id, *row)


def lots_of(s: Session, account_id: int) -> list[LotView]:
    """The live lots of an account, oldest expiry first."""
    rows = s.execute(_LIVE_LOTS, {"account_id": account_id}).all()
    return [LotView(row.id, row.remaining, row.expires_at) for row in rows]


def account_id_for(s: Session, code: str) -> int:
    found = s.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is None:
        raise errors.AccountNotFound(f"no account {code}; run `timebank init`")
    return found
