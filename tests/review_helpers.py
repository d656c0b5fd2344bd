"""A review period's worth of data for the supervision tests: at JK01 six volunteers with distinctive names (two
records each, approved, six rated by residents) and one self-approved record (an anomaly); at RZ02 two volunteers
(too few to publish). Built with the hours services; every record starts early in the period ``now`` falls in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.errors import AlreadyExists
from timebank.hours import services as hours
from timebank.service_types.services import create_service_type
from timebank.supervision.rules import period_of
from timebank.users.services import create_user
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
JK_NAMES = ("诸葛青云", "司马云飞", "上官婉清", "慕容秋水", "欧阳春晓", "令狐晨风")
RZ_NAMES = ("东方朔月", "独孤寒星")
PASSWORD = "quiet-river-stone-42"


@dataclass
class ReviewCity:
    jk_id: int
    rz_id: int
    staff: Principal  # JK01's, with a user id: the self-approval's author
    approved: list[int]
    names: tuple[str, ...]


def seed_review_city(db, *, now: datetime, zone: str = "Asia/Shanghai") -> ReviewCity:
    def center(code, name, district):
        try:
            return create_center(db, actor=SYSTEM, code=code, name=name, district=district).id
        except AlreadyExists:
            from timebank.centers.services import list_centers
            return next(c.id for c in list_centers(db, actor=SYSTEM, search=code, active=None).items
                        if c.code == code)

    jk = center("JK01", "大市口街道养老服务中心", "京口区")
    rz = center("RZ02", "金山街道养老服务中心", "润州区")
    create_service_type(db, actor=SYSTEM, code="visit-r", name_zh="上门探访", credits_per_hour=100)
    staff_user = create_user(db, actor=SYSTEM, username="staff-review-jk", password=PASSWORD, role="staff",
                             center="JK01")
    staff = Principal(user_id=staff_user.id, username=staff_user.username, role="staff", center_id=jk)
    start = period_of(now, zone).starts_at + timedelta(minutes=1)
    slot = iter(range(1000))

    def log(volunteer_id, code, actor=SYSTEM):
        begins = start + timedelta(minutes=7 * next(slot))
        ends = begins + timedelta(minutes=5)
        return hours.log_record(db, actor=actor, volunteer_id=volunteer_id, center=code, service_type="visit-r",
                                started_at=begins, ended_at=ends, now=ends + timedelta(minutes=1)).id

    ids = []
    for code, names in (("JK01", JK_NAMES), ("RZ02", RZ_NAMES)):
        for number, name in enumerate(names):
            volunteer = create_volunteer(db, actor=SYSTEM, name=name, phone=f"1390000{len(ids):04d}",
                                         home_center=code)
            ids += [log(volunteer.id, code), log(volunteer.id, code)]
    hours.approve_records(db, actor=SYSTEM, record_ids=ids, validity_days=730, now=now)
    self_approved = log(create_volunteer(db, actor=SYSTEM, name="皇甫星河", phone="13900009999",
                                         home_center="JK01").id, "JK01", actor=staff)
    hours.approve_records(db, actor=staff, record_ids=[self_approved], validity_days=730, now=now)
    jk_ids = ids[:2 * len(JK_NAMES)]
    for number, record_id in enumerate(jk_ids[::2]):  # six ratings at JK01: 5 5 4 4 3 3
        hours.confirm_record(db, actor=SYSTEM, record_id=record_id, rating=5 - number // 2, now=now)
    for record_id in ids[2 * len(JK_NAMES):]:  # two at RZ02
        hours.confirm_record(db, actor=SYSTEM, record_id=record_id, rating=5, now=now)
    return ReviewCity(jk_id=jk, rz_id=rz, staff=staff, approved=ids + [self_approved],
                      names=JK_NAMES + RZ_NAMES + ("皇甫星河",))
