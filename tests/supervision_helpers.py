"""Service records with one anomaly of every kind, for the pages' tests and the crawler: built with the hours
services where the rules allow it, inserted as legacy data where they do not (two centers at once, no check-out)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.hours import services
from timebank.hours.models import ServiceRecord
from timebank.service_types.models import ServiceType

SR = ServiceRecord.__table__


def seed_anomalies(db, *, center: str, other_center: str, volunteer_ids: list[int], service_type: str,
                   staff_user_id: int | None = None, now: datetime | None = None) -> dict:
    """Three days ago at ``center``: a 9-hour day, a self-approval (by ``staff_user_id``, when given), a late entry,
    two records at two centers at once and a check-in never closed. Returns the ids to visit."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    system = Principal.system("test")
    staff = Principal(user_id=staff_user_id, username="staff", role="admin")
    day = (now - timedelta(days=3)).replace(hour=0, minute=0, second=0)  # 08:00 in Zhenjiang
    first, second = volunteer_ids[0], volunteer_ids[1]

    def log(volunteer_id, start, hours, *, at=center, actor=system, entered=now):
        return services.log_record(db, actor=actor, volunteer_id=volunteer_id, center=at,
                                   service_type=service_type, started_at=start,
                                   ended_at=start + timedelta(hours=hours), now=entered).id

    long_day = [log(first, day, 5), log(first, day + timedelta(hours=6), 4, actor=staff)]
    late = log(second, day - timedelta(days=10), 2)
    services.approve_records(db, actor=staff, record_ids=long_day + [late], validity_days=730, now=now)
    with db.engine.begin() as connection:
        ids = dict(connection.execute(select(Center.__table__.c.code, Center.__table__.c.id)
                                      .where(Center.__table__.c.code.in_([center, other_center]))).all())
        type_id = connection.execute(select(ServiceType.__table__.c.id)
                                     .where(ServiceType.__table__.c.code == service_type)).scalar_one()

        def legacy(volunteer_id, at, start, hours, **values):
            row = {"center_id": ids[at], "volunteer_id": volunteer_id, "service_type_id": type_id,
                   "started_at": start, "ended_at": start + timedelta(hours=hours), "minutes": int(hours * 60),
                   "status": "pending", "source": "import", "entered_at": now, "missing_check_out": False, **values}
            return connection.execute(insert(SR).values(**row).returning(SR.c.id)).scalar_one()

        both = [legacy(second, center, day + timedelta(days=1), 2),
                legacy(second, other_center, day + timedelta(days=1, hours=1), 2)]
        unclosed = legacy(second, center, day + timedelta(days=2), 12, source="check_in", missing_check_out=True)
    return {"approved": long_day[0], "late": late, "two_centers": both, "unclosed": unclosed}
