"""Ledger operations. Each runs inside the caller's unit of work and is idempotent; none commits.

``mint(s, …)`` takes the caller's SQLAlchemy ``Session``, so a use case composes several postings and its own
changes (a record's status, a receipt, stock) into one transaction that commits or rolls back whole. A refusal
(``InsufficientCredits``, ``HoldNotPending`` …) is raised in that transaction, which must then roll back: let it
propagate out of ``db.transaction``, or run the posting inside ``s.begin_nested()`` to carry on without it.
``timebank.ledger.standalone`` has the forms that own their transaction (tests, jobs, the benchmark); they also
record a refusal under its key so the key stays refused.

How a posting stays correct under concurrency (SPEC §4.9):
1. Every account row a posting touches is changed by one guarded ``UPDATE``, in ascending id order (so two postings
   never wait on each other in opposite orders). The guard states the no-overdraft rule over the row's values *after*
   the change, so the database refuses an overdraft atomically; a refused guard is ``insufficient_credits``.
2. Only after its account rows are locked does a posting read and change that account's lots, so lot allocation
   never races; each lot change is itself guarded (``remaining >= taken``) and asserted.
3. Resolving a hold inserts a transfer naming it in the unique ``pending_id`` column, and reversing inserts one
   naming the original in the unique ``reverses_id``: "exactly once" is a unique index, not a Python check.
   Before anything else, a posting that resolves or reverses a transfer locks that transfer's row, so racing
   requests on one hold or one transfer queue there and each later one sees the winner's resolution and is refused
   for the right reason (``hold_already_resolved``, ``already_reversed``); without it the loser's guarded
   ``UPDATE`` ran on totals the winner had already moved and hit a check constraint or a false overdraft.
4. The idempotency key is unique on the transfer. A lost race on it re-runs the unit of work, which then finds the
   winner and replays it; inside a caller's unit of work the rerun is of the caller's whole work, so that work
   must be safe to run again (``db.transaction``'s contract). The same key used twice in one unit of work replays.
   A refusal is recorded under its key (``ledger_refusal``, by ``record_refusal``) so that key stays refused.
5. No city-wide hot row: a hold goes to the sink its caller names (a pickup center's, ``redemption_sink_for``), and
   expired credits go to the expiry sink of the center that minted their lot, found by joining the lot to its mint
   and the mint's issuance account in the read the posting makes anyway. Postings at different centers lock
   different sink rows and never wait on each other there.
6. Expiry is set-based: ``expire_lots`` expires a whole batch of lots with a few statements (``expire_lot`` is its
   batch of one), after locking every account the batch touches in one statement, in id order, as 1. orders them.
   Each lot still gets its own ``expire`` transfer under its own key, so "once" is the same unique index.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, NamedTuple, Sequence

from sqlalchemy import String, and_, bindparam, cast, event, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import Session

from timebank.clock import utcnow
from timebank.db import IdList, in_id_list, sha256_hex
from timebank.errors import ValidationFailed
from timebank.ledger import errors
from timebank.ledger.accounts import EXPIRY_SINK, center_sink, lots_of
from timebank.ledger.models import Account, Lot, LotMovement, Refusal, Transfer
from timebank.ledger.rules import MAX_AMOUNT, AllocationShortfall, allocate_fifo, fingerprint

A = Account.__table__
T = Transfer.__table__
L = Lot.__table__
M = LotMovement.__table__
R = Refusal.__table__

# The statements of the hot paths, built once. SQLAlchemy's compiled cache already hits, but building a statement
# and deriving its cache key on every call cost more Python than the database spends running it; a statement built
# at import has its cache key memoized.
_FIND_TRANSFER = select(T.c.id, T.c.fingerprint).where(T.c.idempotency_key == bindparam("key"))
_FIND_REFUSAL = select(R).where(R.c.idempotency_key == bindparam("key"))
_INSERT_TRANSFER = insert(T).returning(T.c.id)
_INSERT_LOT = insert(L).returning(L.c.id)
_INSERT_MOVEMENT = insert(M)
_SELECT_TRANSFER = select(T).where(T.c.id == bindparam("id"))
_LOCK_TRANSFER = _SELECT_TRANSFER.with_for_update(key_share=True)
_RESOLUTION = select(T.c.kind, T.c.created_at).where(T.c.pending_id == bindparam("hold_id"))
_TAKE_FROM_LOT = (update(L).where(L.c.id == bindparam("lot_id"), L.c.remaining >= bindparam("take"),
                                  L.c.expired_at.is_(None))
                  .values(remaining=L.c.remaining - bindparam("take")))
_APPLY: dict[tuple[tuple[str, ...], bool], object] = {}  # _apply's guarded UPDATE, per (columns changed, kind checked)

# Where a lot's expired credits go: the expiry sink of the center whose issuance account minted the lot, else (an
# issuer of no center, or a center from before per-center sinks that was never migrated) the city-wide one.
_MINT = T.alias("mint")
_ISSUER = A.alias("issuer")
_SINK = A.alias("expiry_sink")


def _with_minting_center(lots):
    """``lots`` (a from-clause with ``lot``) joined to each lot's mint, its issuer and that issuer's expiry sink."""
    return (lots.join(_MINT, _MINT.c.id == L.c.mint_transfer_id)
            .join(_ISSUER, _ISSUER.c.id == _MINT.c.debit_account_id)
            .outerjoin(_SINK, and_(_SINK.c.center_id == _ISSUER.c.center_id, center_sink("expiry", _SINK))))


_EXPIRY_SINK_OF_LOT = func.coalesce(
    _SINK.c.id, select(A.c.id).where(A.c.code == EXPIRY_SINK).scalar_subquery()).label("expiry_sink_id")


class ExpiringLot(NamedTuple):
    """A lot to expire and the accounts its expiry changes: its volunteer's, and the minting center's expiry sink."""

    lot_id: int
    account_id: int
    expiry_sink_id: int | None


def expiring_lots():
    """``SELECT lot_id, account_id, expiry_sink_id`` (an ``ExpiringLot`` per row) over the lots, for a caller to
    narrow down (``timebank.ledger.sweeps.due_lots``)."""
    return (select(L.c.id.label("lot_id"), L.c.account_id, _EXPIRY_SINK_OF_LOT)
            .select_from(_with_minting_center(L)))


def expire_key(lot_id: int) -> str:
    """One key per lot: however many runs expire it, one transfer."""
    return f"expire-lot:{lot_id}"


_LOT_TO_EXPIRE = expiring_lots().add_columns(L.c.expires_at).where(L.c.id == bindparam("lot_id"))

# The set-based expiry (``_expire_lots``): each statement covers the whole batch of lots.
_IN_BATCH = and_(in_id_list(L.c.id, bindparam("lot_ids", type_=IdList())), L.c.expired_at.is_(None),
                 L.c.expires_at <= bindparam("at", type_=L.c.expires_at.type))
_EXPIRE_KEY_OF_LOT = literal("expire-lot:", String) + cast(L.c.id, String)  # expire_key(lot.id), in SQL
# fingerprint("expire-lot", lot=lot.id), in SQL: the SHA-256 of the canonical JSON that rules.fingerprint hashes
_EXPIRE_FINGERPRINT_OF_LOT = sha256_hex(literal('{"lot":', String) + cast(L.c.id, String)
                                        + literal(',"op":"expire-lot"}', String))
_INSERT_EXPIRE_TRANSFERS = insert(T).from_select(
    ["kind", "debit_account_id", "credit_account_id", "amount", "idempotency_key", "fingerprint", "actor",
     "reason_type", "reason_id", "created_at"],
    select(literal("expire", String), L.c.account_id, _EXPIRY_SINK_OF_LOT, L.c.remaining, _EXPIRE_KEY_OF_LOT,
           _EXPIRE_FINGERPRINT_OF_LOT, bindparam("actor", type_=String), bindparam("reason_type", type_=String),
           bindparam("reason_id", type_=String), bindparam("at", type_=T.c.created_at.type))
    .select_from(_with_minting_center(L)).where(_IN_BATCH, L.c.remaining > 0).order_by(L.c.id)
).execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only when asked for (psycopg)
# This batch's transfers, by their keys, on the lots not marked yet (a marked lot's transfer is an earlier unit's).
_BATCH_TRANSFERS = L.join(T, T.c.idempotency_key == _EXPIRE_KEY_OF_LOT)
_INSERT_EXPIRE_MOVEMENTS = insert(M).from_select(
    ["transfer_id", "lot_id", "delta"],
    select(T.c.id, L.c.id, -T.c.amount).select_from(_BATCH_TRANSFERS).where(_IN_BATCH).order_by(L.c.id)
).execution_options(preserve_rowcount=True)
_EXPIRED_MOVES = union_all(  # per lot: its volunteer's debit, its expiry sink's credit
    select(L.c.account_id.label("account_id"), L.c.remaining.label("debit"), literal(0).label("credit"))
    .where(_IN_BATCH, L.c.remaining > 0),
    select(T.c.credit_account_id, literal(0), T.c.amount).select_from(_BATCH_TRANSFERS).where(_IN_BATCH),
).subquery("expired_moves")
_EXPIRED_PER_ACCOUNT = (select(_EXPIRED_MOVES.c.account_id, func.sum(_EXPIRED_MOVES.c.debit).label("debit"),
                               func.sum(_EXPIRED_MOVES.c.credit).label("credit"))
                        .group_by(_EXPIRED_MOVES.c.account_id).subquery("expired_per_account"))
_MOVE_EXPIRED_TOTALS = (update(A).where(A.c.id == _EXPIRED_PER_ACCOUNT.c.account_id)
                        .values(debits_posted=A.c.debits_posted + _EXPIRED_PER_ACCOUNT.c.debit,
                                credits_posted=A.c.credits_posted + _EXPIRED_PER_ACCOUNT.c.credit))
_MARK_LOTS_EXPIRED = update(L).where(_IN_BATCH).values(remaining=0, expired_at=bindparam("at"))
_TAKEN_BY = (select(M.c.lot_id, (-func.sum(M.c.delta)).label("amount"))
             .where(M.c.transfer_id == bindparam("transfer_id")).group_by(M.c.lot_id).subquery("taken"))
_HOLD_LOTS = (select(_TAKEN_BY.c.lot_id, _TAKEN_BY.c.amount, L.c.expires_at, L.c.expired_at, _EXPIRY_SINK_OF_LOT)
              .select_from(_with_minting_center(_TAKEN_BY.join(L, L.c.id == _TAKEN_BY.c.lot_id)))
              .order_by(_TAKEN_BY.c.lot_id))


class LedgerInvariantBroken(AssertionError):
    """The database disagrees with what the ledger just locked: a bug or corruption. Assertions stay on."""


@dataclass(frozen=True)
class Cause:
    """Who caused a transfer and why (SPEC §4.10): the actor and the business object or job run it belongs to."""

    actor: str
    reason_type: str
    reason_id: str

    @classmethod
    def job(cls, name: str, run_id: int | str) -> "Cause":
        return cls(f"job:{name}", "job_run", str(run_id))

    @classmethod
    def user(cls, user_id: int | str, reason_type: str, reason_id: int | str) -> "Cause":
        return cls(f"user:{user_id}", reason_type, str(reason_id))


@dataclass(frozen=True)
class Posted:
    """A transfer as the ledger wrote it. ``replayed`` is True when an earlier request with this key made it."""

    id: int
    kind: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    pending_id: int | None
    reverses_id: int | None
    timeout_at: datetime | None
    created_at: datetime
    idempotency_key: str
    lot_id: int | None = None
    replayed: bool = False


# ---------------------------------------------------------------------------------------------------------- postings

def mint(s: Session, *, account_id: int, issuer_account_id: int, amount: int, expires_at: datetime,
         key: str, cause: Cause, now: datetime | None = None) -> Posted:
    """Mint ``amount`` from an issuance account into a volunteer account, as a new lot expiring at ``expires_at``."""
    _check_amount(amount)
    fp = fingerprint("mint", account=account_id, issuer=issuer_account_id, amount=amount, expires_at=expires_at)

    def work(s: Session) -> Posted:
        at = now or utcnow()
        _apply(s, {issuer_account_id: {"debits_posted": amount}, account_id: {"credits_posted": amount}},
               kinds={issuer_account_id: "issuance", account_id: "volunteer"})
        transfer_id = _insert_transfer(s, "mint", issuer_account_id, account_id, amount, key, fp, cause, at)
        lot_id = s.execute(_INSERT_LOT, {"account_id": account_id, "mint_transfer_id": transfer_id, "amount": amount,
                                         "remaining": amount, "expires_at": expires_at}).scalar_one()
        s.execute(_INSERT_MOVEMENT, {"transfer_id": transfer_id, "lot_id": lot_id, "delta": amount})
        return _posted(s, transfer_id, lot_id=lot_id)

    return _posting(s, key, fp, work)


def place_hold(s: Session, *, account_id: int, to_account_id: int, amount: int, timeout: timedelta,
               key: str, cause: Cause, now: datetime | None = None) -> Posted:
    """Reserve ``amount`` of a volunteer's available credits for ``to_account_id`` until ``timeout`` passes.

    The credits leave the volunteer's lots at once (oldest expiry first); a void gives exactly those back.
    """
    _check_amount(amount)
    if timeout <= timedelta(0):
        raise ValidationFailed("a hold needs a positive timeout", fields={"timeout": ["must be positive"]})
    fp = fingerprint("hold", account=account_id, to=to_account_id, amount=amount,
                     timeout=int(timeout.total_seconds() * 1000))

    def work(s: Session) -> Posted:
        at = now or utcnow()
        _apply(s, {account_id: {"debits_pending": amount}, to_account_id: {"credits_pending": amount}},
               kinds={account_id: "volunteer"})
        transfer_id = _insert_transfer(s, "pending", account_id, to_account_id, amount, key, fp, cause, at,
                                       timeout_at=at + timeout)
        _take_from_lots(s, transfer_id, account_id, amount)
        return _posted(s, transfer_id)

    return _posting(s, key, fp, work)


def post_hold(s: Session, *, hold_id: int, key: str, cause: Cause, now: datetime | None = None) -> Posted:
    """Turn a pending hold into a posted transfer. Refused once the hold is resolved or has timed out."""
    fp = fingerprint("post", hold=hold_id)

    def work(s: Session) -> Posted:
        at = now or utcnow()
        hold = _open_hold(s, hold_id)
        if at >= hold.timeout_at:
            raise errors.HoldExpired(f"hold {hold_id} timed out at {hold.timeout_at.isoformat()}")
        amount = hold.amount
        _apply(s, {hold.debit_account_id: {"debits_pending": -amount, "debits_posted": amount},
                   hold.credit_account_id: {"credits_pending": -amount, "credits_posted": amount}})
        transfer_id = _insert_transfer(s, "post", hold.debit_account_id, hold.credit_account_id, amount, key, fp,
                                       cause, at, pending_id=hold_id)
        return _posted(s, transfer_id)

    return _posting(s, key, fp, work)


def void_hold(s: Session, *, hold_id: int, key: str, cause: Cause, now: datetime | None = None,
              timed_out: bool = False) -> Posted:
    """Release a pending hold: the credits return to the very lots they came from.

    ``timed_out`` records the release as a ``timeout`` (the hold's time ran out) rather than a ``void``.
    Credits that return to a lot that has meanwhile expired expire at once.
    """
    kind = "timeout" if timed_out else "void"
    fp = fingerprint(kind, hold=hold_id)

    def work(s: Session) -> Posted:
        at = now or utcnow()
        hold = _open_hold(s, hold_id)
        if timed_out and at < hold.timeout_at:
            raise ValidationFailed(f"hold {hold_id} has not timed out yet")
        amount = hold.amount
        lots = _hold_lots(s, hold_id, at)
        _apply(s, _with_expiry_sink({hold.debit_account_id: {"debits_pending": -amount},
                                        hold.credit_account_id: {"credits_pending": -amount}}, lots))
        transfer_id = _insert_transfer(s, kind, hold.debit_account_id, hold.credit_account_id, amount, key, fp,
                                       cause, at, pending_id=hold_id)
        _give_back_to_lots(s, transfer_id, lots, hold.debit_account_id, key, cause, at)
        return _posted(s, transfer_id)

    return _posting(s, key, fp, work)


def expire_lot(s: Session, *, lot_id: int, cause: Cause, now: datetime | None = None) -> Posted | None:
    """Move what is left in a lot past its expiry date to the expiry sink of the center that minted it, once.
    ``None`` when nothing was left. The batch of one of ``expire_lots``: there is one way to expire."""
    key = expire_key(lot_id)
    fp = fingerprint("expire-lot", lot=lot_id)

    def work(c) -> Posted | None:
        at = now or utcnow()
        lot = c.execute(_LOT_TO_EXPIRE, {"lot_id": lot_id}).first()
        if lot is None:
            raise errors.TransferNotFound(f"no lot {lot_id}")
        if lot.expires_at > at:
            raise ValidationFailed(f"lot {lot_id} expires at {lot.expires_at.isoformat()}, not yet")
        if _expire_lots(c, [ExpiringLot(lot_id, lot.account_id, lot.expiry_sink_id)], cause, at) == 1:
            return _posted(c, c.execute(_FIND_TRANSFER, {"key": key}).one().id)
        prior = _find_prior(c, key)  # nothing left, or a concurrent expiry of this lot committed first: replay it
        return None if prior is None else _replay(c, prior, fp)

    return _posting(s, key, fp, work)


def expire_lots(s: Session, *, lots: Sequence[ExpiringLot], cause: Cause, now: datetime | None = None) -> int:
    """Expire many lots in the caller's unit of work, set-based: a few statements for the whole batch, whatever its
    size (keep it bounded: every account it names stays locked until the unit commits). Each lot past its date and not
    yet expired ends as ``expire_lot`` leaves it; the others are left alone. Returns how many gave up credits."""
    if not lots:
        return 0
    c = s.connection()
    try:
        return _expire_lots(c, lots, cause, now or utcnow())
    except BaseException as error:
        _doom(s, error)
        raise


def reverse(s: Session, *, transfer_id: int, key: str, cause: Cause, now: datetime | None = None) -> Posted:
    """Reverse a mint (credits taken back: that lot's unspent part first, then the oldest lots) or a posted spend
    (credits returned to the lots that paid). At most once; refused when the volunteer has already spent them."""
    fp = fingerprint("reverse", transfer=transfer_id)

    def work(s: Session) -> Posted:
        at = now or utcnow()
        original = _lock_transfer(s, transfer_id)
        if original is None:
            raise errors.TransferNotFound(f"no transfer {transfer_id}")
        if original.kind not in ("mint", "post"):
            raise errors.NotReversible(f"a {original.kind} transfer cannot be reversed")
        if s.execute(select(T.c.id).where(T.c.reverses_id == transfer_id)).first() is not None:
            raise errors.AlreadyReversed(f"transfer {transfer_id} has already been reversed")
        amount = original.amount
        # The reversal moves the amount back: debit what was credited, credit what was debited.
        debit, credit = original.credit_account_id, original.debit_account_id
        lots = _hold_lots(s, original.pending_id, at) if original.kind == "post" else []
        try:
            _apply(s, _with_expiry_sink({debit: {"debits_posted": amount}, credit: {"credits_posted": amount}},
                                        lots))
        except errors.InsufficientCredits:
            raise errors.InsufficientCredits(
                f"cannot reverse transfer {transfer_id}: the volunteer has already spent or reserved these credits"
            ) from None
        reversal_id = _insert_transfer(s, "reversal", debit, credit, amount, key, fp, cause, at,
                                       reverses_id=transfer_id)
        if original.kind == "mint":
            own_lot = s.execute(select(L.c.id).where(L.c.mint_transfer_id == transfer_id)).scalar_one()
            _take_from_lots(s, reversal_id, debit, amount, first=own_lot)
        else:
            _give_back_to_lots(s, reversal_id, lots, credit, key, cause, at)
        return _posted(s, reversal_id)

    return _posting(s, key, fp, work)


# --------------------------------------------------------------------------------------------------------- internals

def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise ValidationFailed("amount must be a positive whole number of hundredths",
                               fields={"amount": ["must be positive"]})


def _assert(condition: bool, message: str) -> None:
    if not condition:
        raise LedgerInvariantBroken(message)


def _posting(s: Session, key: str, fp: str, work: Callable) -> Posted:
    """Run one posting in the caller's unit of work: replay or refuse by its key first, then ``work``.

    A refusal from ``work`` carries the key and fingerprint (for ``record_refusal``) and dooms the unit of work: the
    posting may have changed some rows before the database refused the rest, so committing is refused from then on
    (``RefusedPostingCommitted``). Inside a savepoint (``s.begin_nested()``) the doom is left to the savepoint, which
    rolls back whatever the posting did."""
    if not key or len(key) > 160:
        raise ValidationFailed("an idempotency key of 1 to 160 characters is required",
                               fields={"idempotency_key": ["required"]})
    c = s.connection()  # Core execution: for these statements the ORM session adds only time
    prior = _find_prior(c, key)
    if prior is not None:
        return _replay(c, prior, fp)
    try:
        return work(c)
    except BaseException as error:
        if isinstance(error, errors.LedgerRefusal):
            error.idempotency_key, error.fingerprint = key, fp
        _doom(s, error)
        raise


class RefusedPostingCommitted(AssertionError):
    """A unit of work tried to commit after a posting in it failed half-way. Let the refusal propagate (or run the
    posting inside ``s.begin_nested()``) instead of catching it and carrying on."""


_DOOMED = "timebank.ledger.doomed"


def _doom(s: Session, error: BaseException) -> None:
    if s.in_nested_transaction():
        return  # the caller's savepoint decides, and rolls back what the posting did
    if _DOOMED not in s.info:
        event.listen(s, "before_commit", _refuse_doomed_commit)
    s.info[_DOOMED] = (s.get_transaction(), error)


def _refuse_doomed_commit(s: Session) -> None:
    transaction, error = s.info.get(_DOOMED, (None, None))
    if transaction is not None and transaction is s.get_transaction():
        raise RefusedPostingCommitted(f"a posting failed in this unit of work ({error!r}); it must roll back")


def record_refusal(s: Session, refusal: errors.LedgerRefusal) -> Posted | None:
    """Remember a refusal under its idempotency key, so that key stays refused (SPEC §4.5).

    Run it in a unit of work *after* the refused one rolled back. Returns the transfer instead when a concurrent
    request under the same key succeeded first; ``IdempotencyConflict`` when the key was used for another request."""
    key, fp = refusal.idempotency_key, refusal.fingerprint
    if key is None or refusal.replayed:
        return None
    prior = _find_prior(s, key)
    if prior is not None:
        if prior[0] == "transfer":
            return _replay(s, prior, fp)
        if prior[2] != fp:
            raise errors.IdempotencyConflict()
        return None
    s.execute(insert(R).values(idempotency_key=key, fingerprint=fp, code=refusal.code,
                               message=refusal.message[:400], created_at=utcnow()))
    return None


def _find_prior(s: Session, key: str):
    row = s.execute(_FIND_TRANSFER, {"key": key}).first()
    if row is not None:
        return ("transfer", row.id, row.fingerprint)
    row = s.execute(_FIND_REFUSAL, {"key": key}).first()
    if row is not None:
        return ("refusal", row, row.fingerprint)
    return None


def _replay(s: Session, prior, fp: str) -> Posted:
    kind, value, prior_fp = prior
    if prior_fp != fp:
        raise errors.IdempotencyConflict()
    if kind == "transfer":
        lot_id = s.execute(select(L.c.id).where(L.c.mint_transfer_id == value)).scalar()
        return _posted(s, value, lot_id=lot_id, replayed=True)
    refusal = errors.REFUSALS.get(value.code, errors.LedgerRefusal)(value.message)
    refusal.replayed = True
    raise refusal


def _apply(s: Session, changes: dict[int, dict[str, int]], *, kinds: dict[int, str] | None = None) -> None:
    """Change account totals by ``changes``, locking rows in ascending id order, refusing an overdraft."""
    for account_id in sorted(changes):
        delta = changes[account_id]
        d_cp = delta.get("credits_posted", 0)
        d_dp = delta.get("debits_posted", 0)
        d_dpend = delta.get("debits_pending", 0)
        required_kind = (kinds or {}).get(account_id)
        params = {f"add_{column}": amount for column, amount in delta.items()}
        params.update(account_id=account_id, d_cp=d_cp, d_dp=d_dp, d_dpend=d_dpend)
        if required_kind:  # never pass a key named like a column the statement does not bind: it would join the SET
            params["required_kind"] = required_kind
        if s.execute(_apply_statement(tuple(delta), bool(required_kind)), params).rowcount != 1:
            found = s.execute(select(A.c.kind).where(A.c.id == account_id)).scalar()
            if found is None:
                raise errors.AccountNotFound(f"no account {account_id}")
            if required_kind and found != required_kind:
                raise ValidationFailed(f"account {account_id} is a {found} account, not a {required_kind} account")
            raise errors.InsufficientCredits()


def _apply_statement(columns: tuple[str, ...], with_kind: bool):
    stmt = _APPLY.get((columns, with_kind))
    if stmt is None:
        stmt = (
            update(A)
            .where(A.c.id == bindparam("account_id"))
            .where(or_(A.c.no_overdraft.is_(False),
                       A.c.credits_posted + bindparam("d_cp") >= A.c.debits_posted + bindparam("d_dp")
                       + A.c.debits_pending + bindparam("d_dpend")))
            .values({A.c[column]: A.c[column] + bindparam(f"add_{column}") for column in columns})
        )
        if with_kind:
            stmt = stmt.where(A.c.kind == bindparam("required_kind"))
        _APPLY[(columns, with_kind)] = stmt
    return stmt


_LOCK_ACCOUNTS = (select(A.c.id).where(in_id_list(A.c.id, bindparam("account_ids", type_=IdList())))
                  .order_by(A.c.id).with_for_update())


def _lock_accounts(s: Session, account_ids: list[int]) -> None:
    # Rows are locked as they are returned, so ORDER BY id keeps the global lock order.
    # On SQLite the whole database is already locked by BEGIN IMMEDIATE; FOR UPDATE is not rendered there.
    s.execute(_LOCK_ACCOUNTS, {"account_ids": account_ids}).all()


def _insert_transfer(s: Session, kind: str, debit: int, credit: int, amount: int, key: str, fp: str, cause: Cause,
                     at: datetime, *, pending_id: int | None = None, reverses_id: int | None = None,
                     timeout_at: datetime | None = None) -> int:
    return s.execute(_INSERT_TRANSFER, {
        "kind": kind, "debit_account_id": debit, "credit_account_id": credit, "amount": amount,
        "pending_id": pending_id, "reverses_id": reverses_id, "timeout_at": timeout_at, "idempotency_key": key,
        "fingerprint": fp, "actor": cause.actor, "reason_type": cause.reason_type, "reason_id": cause.reason_id,
        "created_at": at}).scalar_one()


def _posted(s: Session, transfer_id: int, *, lot_id: int | None = None, replayed: bool = False) -> Posted:
    row = s.execute(_SELECT_TRANSFER, {"id": transfer_id}).one()
    return Posted(id=row.id, kind=row.kind, debit_account_id=row.debit_account_id,
                  credit_account_id=row.credit_account_id, amount=row.amount, pending_id=row.pending_id,
                  reverses_id=row.reverses_id, timeout_at=row.timeout_at, created_at=row.created_at,
                  idempotency_key=row.idempotency_key, lot_id=lot_id, replayed=replayed)


def _lock_transfer(s: Session, transfer_id: int):
    """Read a transfer and lock its row until the end of the transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serializes writers). ``FOR NO KEY UPDATE`` leaves the row free for the foreign-key checks of new rows
    naming it, so it waits only for other postings that resolve or reverse this same transfer."""
    return s.execute(_LOCK_TRANSFER, {"id": transfer_id}).first()


def _open_hold(s: Session, hold_id: int):
    hold = _lock_transfer(s, hold_id)
    if hold is None or hold.kind != "pending":
        raise errors.TransferNotFound(f"no hold {hold_id}")
    resolution = s.execute(_RESOLUTION, {"hold_id": hold_id}).first()
    if resolution is not None:
        raise errors.HoldNotPending(
            f"hold {hold_id} was already resolved ({resolution.kind}) at {resolution.created_at.isoformat()}"
        )
    return hold


def _take_from_lots(s: Session, transfer_id: int, account_id: int, amount: int, *, first: int | None = None) -> None:
    """Take ``amount`` from the account's live lots, oldest expiry first. The account row is already locked."""
    try:
        taken = allocate_fifo(lots_of(s, account_id), amount, first=first)
    except AllocationShortfall as short:
        raise LedgerInvariantBroken(f"account {account_id}: lots do not cover its available credits ({short})")
    for lot_id, take in taken:
        done = s.execute(_TAKE_FROM_LOT, {"lot_id": lot_id, "take": take}).rowcount
        _assert(done == 1, f"lot {lot_id} changed under its account lock")
    s.execute(_INSERT_MOVEMENT,
              [{"transfer_id": transfer_id, "lot_id": lot_id, "delta": -take} for lot_id, take in taken])


class HeldLot(NamedTuple):
    """What a hold took from one lot, and where those credits go should the lot have expired."""

    lot_id: int
    amount: int
    may_expire: bool
    expiry_sink_id: int | None


def _hold_lots(s: Session, hold_id: int, at: datetime) -> list[HeldLot]:
    """Each lot a hold took credits from, with the expiry sink of the center that minted it (one read).

    A lot expires only once past its date, so a lot not yet expired and not past its date by our clock nor the
    server's cannot expire while this posting runs; any other lot may, and then its expiry sink is needed."""
    horizon = max(at, utcnow())
    return [HeldLot(row.lot_id, row.amount, row.expired_at is not None or row.expires_at <= horizon,
                    row.expiry_sink_id)
            for row in s.execute(_HOLD_LOTS, {"transfer_id": hold_id})]


def _expiry_sink(sink_id: int | None, lot_id: int) -> int:
    if sink_id is None:
        raise errors.AccountNotFound(f"no expiry sink for the credits of lot {lot_id}; run `timebank init`")
    return sink_id


def _with_expiry_sink(changes: dict, lots: list[HeldLot]) -> dict:
    """Lock the expiry sinks together with the other accounts, in id order, when credits may return to an expired
    lot (they then expire at once and go to the sink of the center that minted that lot)."""
    for lot in lots:
        if lot.may_expire:
            changes.setdefault(_expiry_sink(lot.expiry_sink_id, lot.lot_id), {"credits_posted": 0})
    return changes


def _expire_lots(c, lots: Sequence[ExpiringLot], cause: Cause, at: datetime) -> int:
    """The set-based expiry of ``lots``. Their volunteers' accounts and the expiry sinks are locked first, in id
    order, as every posting locks them; only then are the lots read, so a hold or a void of the same volunteer runs
    wholly before or wholly after, and what this takes is exactly the remainder left when it runs.

    Then, each over the whole batch: one ``expire`` transfer per lot with a remainder (key ``expire-lot:<id>``), one
    lot movement each, the accounts' totals moved by the sums per account, and every lot emptied and marked expired.
    A lot with a remainder of 0 is only marked. The statements that follow the transfers find them by their key on
    lots not yet marked: a lot's expire transfer is written in the same unit of work that marks it, so a lot not yet
    marked has none but this unit's. ``expires_at <= at`` is in every statement: a lot not yet due is left alone."""
    sinks = {_expiry_sink(lot.expiry_sink_id, lot.lot_id) for lot in lots}
    _lock_accounts(c, sorted({lot.account_id for lot in lots} | sinks))
    params = {"lot_ids": [lot.lot_id for lot in lots], "at": at, "actor": cause.actor,
              "reason_type": cause.reason_type, "reason_id": cause.reason_id}
    expired = c.execute(_INSERT_EXPIRE_TRANSFERS, params).rowcount
    if expired:
        moved = c.execute(_INSERT_EXPIRE_MOVEMENTS, params).rowcount
        _assert(moved == expired, f"{expired} lots expired but {moved} lot movements written")
        c.execute(_MOVE_EXPIRED_TOTALS, params)
    marked = c.execute(_MARK_LOTS_EXPIRED, params).rowcount
    _assert(marked >= expired, f"{expired} lots gave up credits but only {marked} were marked expired")
    return expired


def _give_back_to_lots(s: Session, transfer_id: int, lots: list[HeldLot], account_id: int,
                       key: str, cause: Cause, at: datetime) -> None:
    """Return to each lot what a hold took from it; what returns to an expired lot expires at once, into the expiry
    sink of the center that minted that lot: one ``expire`` transfer per sink (``<key>/expire`` when there is one
    sink, as ever; ``<key>/expire:<sink id>`` each when the lots came from several centers).

    The account rows (and the expiry sinks, when needed) are already locked."""
    expired_ids = set(s.execute(
        select(L.c.id).where(L.c.id.in_([lot.lot_id for lot in lots]), L.c.expired_at.is_not(None))
    ).scalars())
    for lot in lots:
        if lot.lot_id in expired_ids:
            continue  # stays empty: the credits pass through it to the expiry sink below
        done = s.execute(
            update(L).where(L.c.id == lot.lot_id, L.c.remaining + lot.amount <= L.c.amount, L.c.expired_at.is_(None))
            .values(remaining=L.c.remaining + lot.amount)
        ).rowcount
        _assert(done == 1, f"lot {lot.lot_id} would hold more than it was minted with")
    s.execute(insert(M), [{"transfer_id": transfer_id, "lot_id": lot.lot_id, "delta": lot.amount} for lot in lots])
    by_sink: dict[int, list[HeldLot]] = {}
    for lot in lots:
        if lot.lot_id in expired_ids:  # a sink not locked above (a caller's clock far ahead) is locked now
            by_sink.setdefault(_expiry_sink(lot.expiry_sink_id, lot.lot_id), []).append(lot)
    if not by_sink:
        return
    changes = {sink: {"credits_posted": sum(lot.amount for lot in expired)} for sink, expired in by_sink.items()}
    changes[account_id] = {"debits_posted": sum(change["credits_posted"] for change in changes.values())}
    _apply(s, changes)
    for sink in sorted(by_sink):
        expired = by_sink[sink]
        expire_key = f"{key}/expire" if len(by_sink) == 1 else f"{key}/expire:{sink}"
        expire_id = _insert_transfer(s, "expire", account_id, sink, sum(lot.amount for lot in expired), expire_key,
                                     fingerprint("expire-returned", of=transfer_id, sink=sink), cause, at)
        s.execute(insert(M), [{"transfer_id": expire_id, "lot_id": lot.lot_id, "delta": -lot.amount}
                              for lot in expired])
