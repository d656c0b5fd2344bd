"""Receipts' use cases: issue one for a record, reservation or certificate; revoke it; check what a person scanned or
typed; publish the keys and the revocation list.

``issue_receipt`` and ``revoke_receipt`` take the ``Database`` and JOIN the caller's open unit of work (see
``timebank.db``): approving a record mints, changes the record and issues its receipt in one transaction.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from timebank.centers.services import center_labels
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import DomainError, NotFound, field_error
from timebank.paging import Page, check_paging, paginate
from timebank.receipts import keys as signing_keys
from timebank.receipts.codec import SINGLE_USE_ID_SIZE, Kind, Payload, encode_payload, signed_message
from timebank.receipts.codec import encode_token
from timebank.receipts.models import Receipt, ReceiptRevocation
from timebank.receipts.rules import (
    REVOKED_STATUSES,
    BadShortCode,
    display_short_code,
    looks_like_short_code,
    mask_name,
    normalize_short_code,
    short_code_for,
)
from timebank.receipts.verification import Revocation, Verdict, check_signature, invalid, standing
from timebank.volunteers.services import volunteer_names

R = Receipt.__table__
V = ReceiptRevocation.__table__

_WITH_REVOCATION = select(R, V.c.status.label("revoked_status"), V.c.revoked_at,
                          V.c.center_id.label("revoked_center_id")).outerjoin(V, V.c.receipt_id == R.c.id)
_BY_REFERENCE = select(R.c.id, R.c.token).where(R.c.kind == bindparam("kind"),
                                                R.c.reference == bindparam("reference"))


class ReceiptNotFound(NotFound):
    message = _l("No receipt has the code %(code)s.")


class AlreadyRevoked(DomainError):
    """This receipt is no longer valid."""

    status = 409
    code = "receipt_not_valid"


class AlreadyRedeemed(AlreadyRevoked):
    code = "already_redeemed"
    message = _l("This voucher was already redeemed at %(at)s, at center %(center)s.")


class AlreadyReversed(AlreadyRevoked):
    code = "already_reversed"
    message = _l("This receipt's record was already reversed, at %(at)s.")


class AlreadyCancelled(AlreadyRevoked):
    code = "already_cancelled"
    message = _l("This voucher was already cancelled, at %(at)s.")


_ALREADY = {"redeemed": AlreadyRedeemed, "reversed": AlreadyReversed, "cancelled": AlreadyCancelled}


@dataclass(frozen=True)
class IssuedReceipt:
    id: int
    kind: str
    token: str
    short_code: str
    issued_at: datetime
    expires_at: datetime

    @property
    def display_code(self) -> str:
        return display_short_code(self.short_code)


@dataclass(frozen=True)
class ReceiptCheck:
    """What checking a receipt may tell anyone (SPEC §5): nothing more than these."""

    verdict: Verdict
    center_code: str | None = None
    center_name: str | None = None
    volunteer: str | None = None  # masked
    redeemed_center_code: str | None = None
    redeemed_center_name: str | None = None
    token: str | None = None

    @property
    def valid(self) -> bool:
        return self.verdict.valid


def issue_receipt(db: Database, *, kind: Kind, center_id: int, volunteer_id: int, amount: int, reference: int,
                  expires_at: datetime, now: datetime | None = None) -> IssuedReceipt:
    """Sign and store a receipt. Issuing again for the same ``kind`` and ``reference`` returns the first one (a
    retried approval does not make a second receipt)."""
    now = (now or utcnow()).replace(microsecond=0)
    expires_at = expires_at.replace(microsecond=0)

    def work(s: Session) -> IssuedReceipt:
        existing = s.execute(select(R).where(R.c.kind == kind.label, R.c.reference == reference)).first()
        if existing is not None:
            return _issued(existing)
        key_id, signer = signing_keys.signing_key(s, db, now)
        single_use_id, short_code = _fresh_ids(s)
        payload = Payload(kind=kind, key_id=key_id, center_id=center_id, volunteer_id=volunteer_id, amount=amount,
                          reference=reference, single_use_id=single_use_id, issued_at=now, expires_at=expires_at)
        payload_bytes = encode_payload(payload)
        token = encode_token(payload_bytes + signer.sign(signed_message(payload_bytes)))
        receipt_id = s.execute(insert(R).values(
            kind=kind.label, key_id=key_id, center_id=center_id, volunteer_id=volunteer_id, amount=amount,
            reference=reference, single_use_id=single_use_id, short_code=short_code, token=token, issued_at=now,
            expires_at=expires_at).returning(R.c.id)).scalar_one()
        return IssuedReceipt(receipt_id, kind.label, token, short_code, now, expires_at)

    return db.transaction(work)


def receipt_for(db: Database, *, kind: Kind, reference: int) -> IssuedReceipt | None:
    """The receipt issued for ``reference`` (a record, a reservation), if any."""
    def work(s: Session):
        row = s.execute(select(R).where(R.c.kind == kind.label, R.c.reference == reference)).first()
        return _issued(row) if row is not None else None

    return db.transaction(work, readonly=True)


def revoke_receipt(db: Database, *, kind: Kind, reference: int, status: str, at: datetime | None = None,
                   center_id: int | None = None) -> Revocation:
    """Mark the receipt of ``reference`` reversed, redeemed (``center_id``: where) or cancelled, once: a second
    revocation is refused with when (and where) the first happened. The revocation's primary key is the receipt,
    so two at once cannot both succeed."""
    if status not in REVOKED_STATUSES:
        raise ValueError(f"a receipt is revoked as one of {REVOKED_STATUSES}, not {status!r}")
    at = at or utcnow()

    def work(s: Session) -> Revocation:
        row = s.execute(_WITH_REVOCATION.where(R.c.kind == kind.label, R.c.reference == reference)
                        .with_for_update(of=R)).first()
        if row is None:
            raise ReceiptNotFound(code=f"{kind.label}/{reference}")
        if row.revoked_status is not None:
            raise _refusal(s, row)
        s.execute(insert(V).values(receipt_id=row.id, status=status, revoked_at=at, center_id=center_id))
        return Revocation(status=status, revoked_at=at, center_id=center_id)

    return db.transaction(work)


def check_receipt(db: Database, *, code: str, kind: Kind | None = None, now: datetime | None = None) -> ReceiptCheck:
    """Check a short code (typed) or a receipt's text (scanned: the whole QR text, ``/R/<token>`` or the token).

    A short code that is mistyped (its check character does not match) is a field error, one that matches nothing
    is ``ReceiptNotFound``; a text is always answered with a verdict, good or not."""
    now = now or utcnow()
    if looks_like_short_code(code):
        try:
            short_code = normalize_short_code(code)
        except BadShortCode as error:
            raise field_error("code", _SHORT_CODE_PROBLEMS[error.args[0]]) from None
        row = db.transaction(lambda s: s.execute(_WITH_REVOCATION.where(R.c.short_code == short_code)).first(),
                             readonly=True)
        if row is None:
            raise ReceiptNotFound(code=display_short_code(short_code))
        code = row.token
    signed, refused = _check_signature(db, code, kind=kind)
    if refused is not None and signed is None:
        return ReceiptCheck(refused)

    def work(s: Session) -> ReceiptCheck:
        row = s.execute(_WITH_REVOCATION.where(R.c.single_use_id == signed.payload.single_use_id)).first()
        if row is None or row.token != signed.token:
            return ReceiptCheck(invalid("unknown_receipt"))
        verdict = refused or standing(signed.payload, _revocation_of(row), now)
        centers = center_labels(s, [row.center_id, row.revoked_center_id])
        name = volunteer_names(s, [row.volunteer_id]).get(row.volunteer_id)
        where = centers.get(row.revoked_center_id, (None, None)) if verdict.status == "redeemed" else (None, None)
        return ReceiptCheck(verdict, *centers.get(row.center_id, (None, None)), volunteer=mask_name(name or ""),
                            redeemed_center_code=where[0], redeemed_center_name=where[1], token=row.token)

    return db.transaction(work, readonly=True)


def revocations_since(db: Database, *, since: datetime | None = None, page: int = 1,
                      per_page: int = 100) -> Page:
    """The single-use ids of receipts no longer good, oldest revocation first (what an offline verifier syncs)."""
    query = (select(R.c.single_use_id, V.c.status, V.c.revoked_at).join(R, R.c.id == V.c.receipt_id)
             .order_by(V.c.revoked_at, V.c.receipt_id))
    if since is not None:
        query = query.where(V.c.revoked_at >= since)
    return db.transaction(lambda s: paginate(s, query, page=page, per_page=per_page, to_item=lambda row: row),
                          readonly=True)


def all_revocations(db: Database) -> list:
    """Every revocation (the ``timebank receipts revocations`` file)."""
    query = (select(R.c.single_use_id, V.c.status, V.c.revoked_at).join(R, R.c.id == V.c.receipt_id)
             .order_by(V.c.revoked_at, V.c.receipt_id))
    return db.transaction(lambda s: list(s.execute(query)), readonly=True)


def page_of_keys(db: Database, *, page: int = 1, per_page: int = 100) -> Page:
    """One page of the published keys, newest first (``GET /api/v1/keys``; there are a dozen a year)."""
    check_paging(page, per_page)
    found = signing_keys.public_keys(db)
    return Page(items=tuple(found[(page - 1) * per_page:page * per_page]), total=len(found), page=page,
                per_page=per_page, pages=max(1, -(-len(found) // per_page)))


def signed_token(db: Database, *, text: str) -> str:
    """The token in ``text`` when its signature verifies with one of our keys; ``ReceiptNotFound`` otherwise (the
    QR images are served, and cached, only for receipts we signed)."""
    signed, _refused = _check_signature(db, text)
    if signed is None:
        raise ReceiptNotFound(code=text[:40])
    return signed.token


def verifier_keys(db: Database) -> dict:
    """``{key id: loaded public key}`` of every published key, for verifying many receipts at once."""
    return {key.id: signing_keys.verifier_for(key.public_key) for key in signing_keys.public_keys(db)}


_SHORT_CODE_PROBLEMS = {
    "length": _l("A short code has 10 characters."),
    "symbol": _l("A short code has only digits and capital letters (no I, L, O, U or Z)."),
    "check": _l("This short code is not right: a character may be mistyped or two swapped."),
}

_public_keys: dict[tuple[str, int], bytes] = {}


def _check_signature(db: Database, text: str, *, kind: Kind | None = None):
    """``check_signature`` with this database's keys. A key's public half never changes once published, so each
    process reads it once; but the database behind a URL can be replaced (restored from an older backup, whose next
    key takes an id this process already knows), so a signature that fails a remembered key is checked again against
    the keys read afresh."""
    signed, refused = check_signature(text, public_key_for=lambda key_id: _verifier(db, key_id), kind=kind)
    if refused is not None and refused.reason == "bad_signature":
        url = str(db.url)
        for remembered in [key for key in _public_keys if key[0] == url]:
            del _public_keys[remembered]
        signed, refused = check_signature(text, public_key_for=lambda key_id: _verifier(db, key_id), kind=kind)
    return signed, refused


def _verifier(db: Database, key_id: int):
    """The public key ``key_id`` of this database, read once per process (see ``_check_signature``)."""
    cache_key = (str(db.url), key_id)
    public = _public_keys.get(cache_key)
    if public is None:
        public = signing_keys.public_key_of(db, key_id)
        if public is None:
            return None
        _public_keys[cache_key] = public
    return signing_keys.verifier_for(public)


def _fresh_ids(s: Session) -> tuple[bytes, str]:
    """A random single-use id whose short code no receipt has yet (a clash is a one-in-trillions event)."""
    while True:
        single_use_id = os.urandom(SINGLE_USE_ID_SIZE)
        short_code = short_code_for(single_use_id)
        taken = s.execute(select(R.c.id).where((R.c.short_code == short_code)
                                               | (R.c.single_use_id == single_use_id))).first()
        if taken is None:
            return single_use_id, short_code


def _issued(row) -> IssuedReceipt:
    return IssuedReceipt(row.id, row.kind, row.token, row.short_code, row.issued_at, row.expires_at)


def _revocation_of(row) -> Revocation | None:
    if row.revoked_status is None:
        return None
    return Revocation(status=row.revoked_status, revoked_at=row.revoked_at, center_id=row.revoked_center_id)


def _refusal(s: Session, row) -> AlreadyRevoked:
    error = _ALREADY.get(row.revoked_status, AlreadyRevoked)
    center = center_labels(s, [row.revoked_center_id]).get(row.revoked_center_id, ("—", "—"))
    at = row.revoked_at
    return error(at=LazyString(lambda: format_datetime(at, "yyyy-MM-dd HH:mm")),
                 center=_l("%(center)s (%(code)s)", center=center[1], code=center[0]))


