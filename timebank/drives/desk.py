"""The pickup desk: redeeming a voucher, and a walk-up volunteer's reservation handed over at once (SPEC §3.4).

Redeeming is ONE transaction: the reservation's row is locked, its held stock becomes sold, its hold is posted to
the redemption account and its voucher is used up. "Used up" is a row in ``receipt_revocation`` whose primary key
is the receipt, so a second redeem cannot succeed even if two desks scan one voucher at the same instant; the second
is told when and where the first happened (``already_redeemed``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from timebank.audit.services import record as audit
from timebank.auth.access import Principal
from timebank.centers.services import center_labels
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import rules, stock
from timebank.drives.booking import cause, drive_row, lock_reservation, pickup_center, quantities_of
from timebank.drives.display import local_time
from timebank.drives.errors import PickupOver, VoucherExpired, VoucherNotValid, WrongCenter
from timebank.drives.models import Reservation
from timebank.drives.permissions import REDEEM_VOUCHER, WALK_UP
from timebank.drives.reservation_queries import ReservationView, reservation_view
from timebank.drives.reservations import checked_lines, place_reservation
from timebank.errors import ValidationFailed
from timebank.ledger import postings
from timebank.ledger.postings import LedgerInvariantBroken
from timebank.ledger.rules import format_credits
from timebank.receipts.codec import Kind
from timebank.receipts.facts import facts_of
from timebank.receipts.services import check_receipt, revoke_receipt

R = Reservation.__table__


@dataclass(frozen=True)
class Redemption:
    status: str
    reservation: ReservationView


def redeem_voucher(db: Database, *, actor: Principal, text: str, now: datetime | None = None) -> Redemption:
    """What the scanner read (the QR's text, ``/R/<token>`` or the bare token) or the short code typed by hand.
    Only at the reservation's pickup center: staff elsewhere are told which center it is for."""
    REDEEM_VOUCHER.require(actor)
    now = now or utcnow()

    def work(s: Session) -> Redemption:
        row = lock_reservation(s, _reservation_of_voucher(db, text, now))
        hand_over(s, db, actor=actor, row=row, now=now)
        return Redemption(status="fulfilled", reservation=reservation_view(s, row.id))

    return db.transaction(work)


def walk_up(db: Database, *, actor: Principal, drive_id: int, center: str, lines: list[dict], volunteer_id: int,
            now: datetime | None = None) -> ReservationView:
    """A volunteer at the desk without a reservation: reserved and handed over in one step, while the desk hands
    goods over (``opens_at`` until ``pickup_until``). The same refusals as a reservation."""
    WALK_UP.require(actor)
    now = now or utcnow()
    wanted = checked_lines(lines)

    def work(s: Session) -> ReservationView:
        drive = drive_row(s, drive_id)
        if not rules.hands_over(drive.opens_at, drive.pickup_until, now):
            raise PickupOver(drive=drive.name, opens=local_time(drive.opens_at), until=local_time(drive.pickup_until))
        center_row = pickup_center(s, actor, drive.id, center)
        reservation_id = place_reservation(s, db, actor=actor, drive=drive, center_id=center_row.id,
                                           volunteer_id=volunteer_id, wanted=wanted, now=now, walk_up=True)
        hand_over(s, db, actor=actor, row=lock_reservation(s, reservation_id), now=now)
        return reservation_view(s, reservation_id)

    return db.transaction(work)


def hand_over(s: Session, db: Database, *, actor: Principal, row, now: datetime) -> None:
    """Fulfil a locked reservation at the desk, in the caller's unit of work: refused when it was already redeemed
    or cancelled (with when and where), is for another center, or its pickup time is over."""
    if row.status in ("fulfilled", "cancelled"):
        # The revocation is there: revoking again is refused with when (and where) it happened.
        revoke_receipt(db, kind=Kind.VOUCHER, reference=row.id, status="redeemed", at=now, center_id=row.center_id)
        raise LedgerInvariantBroken(f"reservation {row.id} is {row.status} but its voucher was not revoked")
    drive = drive_row(s, row.drive_id)
    if row.status == "voided" or not rules.hands_over(drive.opens_at, drive.pickup_until, now):
        raise VoucherExpired(at=local_time(drive.pickup_until))
    if actor.role == "staff" and actor.center_id != row.center_id:
        code, name = center_labels(s, [row.center_id])[row.center_id]
        raise WrongCenter(center=name, code=code)
    stock.sell(s, drive_id=row.drive_id, center_id=row.center_id, quantities=quantities_of(s, row.id))
    postings.post_hold(s, hold_id=row.hold_transfer_id, key=f"reservation:{row.id}:post",
                       cause=cause(actor, row.id), now=now)
    revoke_receipt(db, kind=Kind.VOUCHER, reference=row.id, status="redeemed", at=now, center_id=row.center_id)
    s.execute(update(R).where(R.c.id == row.id).values(status="fulfilled", fulfilled_at=now,
                                                       fulfilled_by=actor.user_id))
    audit(s, actor=actor, action="reservation.fulfill", object_type="reservation", object_id=row.id,
          center_id=row.center_id, detail={"total": format_credits(row.total), "walk_up": row.walk_up})


def _reservation_of_voucher(db: Database, text: str, now: datetime) -> int:
    """The reservation a scanned or typed voucher names; refused when it is no voucher of ours."""
    try:
        check = check_receipt(db, code=text, kind=Kind.VOUCHER, now=now)
    except ValidationFailed as mistyped:  # a short code with a wrong check character: say it about ``text``
        raise ValidationFailed(fields={"text": [message for messages in mistyped.fields.values()
                                                for message in messages]}) from None
    payload = check.verdict.receipt
    if payload is None or check.verdict.status == "invalid":
        raise VoucherNotValid(reason=facts_of(check, expected=Kind.VOUCHER, url_of=lambda token: None).message)
    return payload.reference
