"""The approved service records a certificate counts: one volunteer's, in a period, with their service types.
Reversed records have left ``approved`` (and rejected or pending ones never reached it), so they are not counted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.certificates.rules import ServedRow
from timebank.hours.models import ServiceRecord
from timebank.service_types.models import ServiceType

SR = ServiceRecord.__table__
ST = ServiceType.__table__

_APPROVED = (select(SR.c.started_at, SR.c.minutes, ST.c.code, ST.c.name_zh, ST.c.name_en)
             .join(ST, ST.c.id == SR.c.service_type_id).where(SR.c.status == "approved"))


def approved_service(s: Session, *, volunteer_id: int, start: datetime | None,
                     end: datetime | None) -> list[ServedRow]:
    """Along the index on (volunteer, started_at): a long-serving volunteer's few thousand rows, never a scan."""
    query = _APPROVED.where(SR.c.volunteer_id == volunteer_id)
    if start is not None:
        query = query.where(SR.c.started_at >= start)
    if end is not None:
        query = query.where(SR.c.started_at < end)
    return [ServedRow(*row) for row in s.execute(query.order_by(SR.c.started_at))]
