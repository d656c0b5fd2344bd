"""Issuing a service certificate: the volunteer's approved service in a period, counted per service type and year,
stored as a certificate row and signed with a receipt of kind ``certificate`` (its amount: the minutes certified),
in ONE unit of work.

Asking again on the same day for the same volunteer, period and figures hands out the same certificate and receipt
(a volunteer who downloads the page, then the PDF, gets one certificate, not two): the row's unique index on
(volunteer, day, fingerprint) holds that, and the volunteer's row is locked while it is decided. Anything that
changes the figures (a record approved or reversed since), the person as registered or the day makes a new one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from timebank.auth.access import Principal
from timebank.certificates import queries
from timebank.certificates.models import Certificate
from timebank.certificates.permissions import ISSUE_CERTIFICATE
from timebank.certificates.rules import (
    RECEIPT_VALIDITY,
    Figures,
    Period,
    check_period,
    figures_content,
    fingerprint,
    mask_id_card,
    mask_phone,
    summarize,
    utc_bounds,
)
from timebank.clock import utcnow
from timebank.db import Database
from timebank.errors import ValidationFailed
from timebank.receipts.codec import Kind
from timebank.receipts.services import IssuedReceipt, issue_receipt
from timebank.volunteers.services import get_volunteer, lock_volunteers

CT = Certificate.__table__


@dataclass(frozen=True)
class CertificateView:
    id: int
    volunteer_id: int
    name: str  # as registered (姓名)
    id_card: str | None  # masked: only the stored last four characters show
    phone: str  # masked
    center_code: str  # the issuing center: the volunteer's home center
    center_name: str
    period: Period  # as asked (None ends: from the first record, up to the day of issue)
    figures: Figures
    issued_on: date
    issued_at: datetime
    receipt: IssuedReceipt
    reused: bool  # the same certificate was already issued today


def issue_certificate(db: Database, *, actor: Principal, volunteer_id: int, period_from: date | None = None,
                      period_to: date | None = None, zone: ZoneInfo, now: datetime | None = None
                      ) -> CertificateView:
    """The certificate of ``volunteer_id``'s approved service from ``period_from`` to ``period_to`` (days on the
    city's clock, both included; ``None``: all of it). A volunteer: their own; staff: their center's volunteers;
    admins: anyone; anyone else's volunteer is 404."""
    ISSUE_CERTIFICATE.require(actor)
    now = (now or utcnow()).replace(microsecond=0)
    today = now.astimezone(zone).date()
    problems = check_period(period_from, period_to, today=today)
    if problems:
        raise ValidationFailed(fields={field: [message] for field, message in problems.items()})
    period = Period(period_from, period_to)
    start, end = utc_bounds(period, zone)

    def work(s: Session) -> CertificateView:
        volunteer = get_volunteer(db, actor=actor, volunteer_id=volunteer_id)  # 404 when not the actor's to see
        lock_volunteers(s, [volunteer.id])  # one decision at a time about this volunteer's certificates
        figures = summarize(queries.approved_service(s, volunteer_id=volunteer.id, start=start, end=end), zone)
        person = {"name": volunteer.name, "id_card": mask_id_card(volunteer.id_card_tail),
                  "phone": mask_phone(volunteer.phone)}
        same = fingerprint(volunteer=person, center_id=volunteer.home_center_id, period=period, figures=figures)
        existing = s.execute(select(CT.c.id, CT.c.issued_at).where(
            CT.c.volunteer_id == volunteer.id, CT.c.issued_on == today, CT.c.fingerprint == same)).first()
        if existing is not None:
            certificate_id, issued_at = existing
        else:
            issued_at = now
            certificate_id = s.execute(insert(CT).values(
                volunteer_id=volunteer.id, center_id=volunteer.home_center_id, period_from=period.start,
                period_to=period.end, record_count=figures.records, total_minutes=figures.minutes,
                content={"volunteer": person, "figures": figures_content(figures)}, fingerprint=same,
                issued_on=today, issued_at=now, issued_by=actor.user_id).returning(CT.c.id)).scalar_one()
        # Issuing again for the same certificate returns its first receipt (receipts are unique per reference).
        receipt = issue_receipt(db, kind=Kind.CERTIFICATE, center_id=volunteer.home_center_id,
                                volunteer_id=volunteer.id, amount=figures.minutes, reference=certificate_id,
                                expires_at=issued_at + RECEIPT_VALIDITY, now=issued_at)
        return CertificateView(
            id=certificate_id, volunteer_id=volunteer.id, name=volunteer.name, id_card=person["id_card"],
            phone=person["phone"], center_code=volunteer.home_center, center_name=volunteer.home_center_name,
            period=period, figures=figures, issued_on=today, issued_at=issued_at, receipt=receipt,
            reused=existing is not None)

    return db.transaction(work)
