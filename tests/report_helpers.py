"""What the reports' tests share: a small city with known service records, credits and a drive, made through the
services, and the figures each report must show, computed here from what was made (not by the report's SQL)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.drive_helpers import OIL, RICE, SYSTEM, make_city, top_up, volunteer_with
from timebank.clock import utcnow
from timebank.drives.desk import walk_up
from timebank.drives.reservations import cancel_reservation, reserve
from timebank.hours import services as hours
from timebank.service_types.services import create_service_type

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Seeded:
    now: datetime
    drive_id: int
    # (center, service type, local month) -> [records, minutes, credits]
    hours: dict = field(default_factory=dict)
    # center -> what its volunteers hold: balance, held, expiring within 30 and 90 days
    outstanding: dict = field(default_factory=dict)
    held: dict = field(default_factory=dict)
    expiring_30: dict = field(default_factory=dict)
    expiring_90: dict = field(default_factory=dict)
    stock_value: dict = field(default_factory=dict)
    pickup_until: datetime | None = None


def seed_reports(db) -> Seeded:
    """JK01 and RZ01 (``make_city``), two service types (1.00 and 1.50 credits an hour), three volunteers; approved
    records in two local months (one starting at 01:30 on the 1st in Shanghai, the previous month in UTC), one pending,
    one rejected, one reversed (none of which count); lots expiring in 20, 60 and 730 days; in the drive, a held
    reservation, a walk-up (picked up) and a cancelled one at JK01."""
    now = utcnow().replace(microsecond=0)
    city = make_city(db, now=now)
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="探访", name_en="Visit", credits_per_hour=100)
    create_service_type(db, actor=SYSTEM, code="meals", name_zh="助餐", name_en="Meals", credits_per_hour=150)
    jk1 = volunteer_with(db, city.jk, 0, name="王小英")
    jk2 = volunteer_with(db, city.jk, 0, name="李大山")
    rz1 = volunteer_with(db, city.rz, 0, name="赵云")
    seeded = Seeded(now=now, drive_id=city.drive.id)
    # The first of last month, 01:30 in Shanghai: still the month before in UTC.
    local_now = now.astimezone(SHANGHAI)
    first_of_this = local_now.replace(day=1, hour=1, minute=30, second=0)
    first_of_last = (first_of_this - timedelta(days=1)).replace(day=1)
    mid_last = first_of_last.replace(day=12, hour=9, minute=0)
    plans = [  # volunteer, center, type, local start, minutes, validity days
        (jk1, "JK01", "visit", first_of_last, 90, 20),
        (jk1, "JK01", "meals", mid_last, 120, 60),
        (jk2, "JK01", "visit", mid_last, 45, 730),
        (jk2, "JK01", "visit", first_of_this, 150, 730),
        (rz1, "RZ01", "meals", mid_last, 200, 730),
        (rz1, "RZ01", "visit", first_of_this, 60, 730),
    ]
    rates = {"visit": 100, "meals": 150}
    balances = {jk1.id: 0, jk2.id: 0, rz1.id: 0}
    homes = {jk1.id: "JK01", jk2.id: "JK01", rz1.id: "RZ01"}
    for volunteer, center, kind, start, minutes, validity in plans:
        if start.astimezone(SHANGHAI) >= local_now - timedelta(hours=1):
            start = local_now - timedelta(hours=6)  # early on the 1st: keep it in the past
        started = start.astimezone(ZoneInfo("UTC"))
        record = hours.log_record(db, actor=SYSTEM, volunteer_id=volunteer.id, center=center, service_type=kind,
                                  started_at=started, ended_at=started + timedelta(minutes=minutes), now=now)
        [approved] = hours.approve_records(db, actor=SYSTEM, record_ids=[record.id], validity_days=validity,
                                           now=now)
        assert approved.credits == minutes * rates[kind] // 60
        key = (center, kind, started.astimezone(SHANGHAI).strftime("%Y-%m"))
        figures = seeded.hours.setdefault(key, [0, 0, 0])
        figures[0] += 1
        figures[1] += minutes
        figures[2] += approved.credits
        balances[volunteer.id] += approved.credits
        if validity <= 30:
            seeded.expiring_30[homes[volunteer.id]] = seeded.expiring_30.get(homes[volunteer.id], 0) + approved.credits
        if validity <= 90:
            seeded.expiring_90[homes[volunteer.id]] = seeded.expiring_90.get(homes[volunteer.id], 0) + approved.credits
    # None of these count: a pending, a rejected and a reversed record.
    two_days_ago = now - timedelta(days=2)
    pending = hours.log_record(db, actor=SYSTEM, volunteer_id=jk1.id, center="JK01", service_type="visit",
                               started_at=two_days_ago, ended_at=two_days_ago + timedelta(hours=2), now=now)
    rejected = hours.log_record(db, actor=SYSTEM, volunteer_id=jk2.id, center="JK01", service_type="visit",
                                started_at=two_days_ago, ended_at=two_days_ago + timedelta(hours=3), now=now)
    hours.reject_record(db, actor=SYSTEM, record_id=rejected.id, reason="没有到岗", now=now)
    reversed_ = hours.log_record(db, actor=SYSTEM, volunteer_id=rz1.id, center="RZ01", service_type="visit",
                                 started_at=two_days_ago, ended_at=two_days_ago + timedelta(hours=1), now=now)
    hours.approve_records(db, actor=SYSTEM, record_ids=[reversed_.id], validity_days=730, now=now)
    hours.reverse_record(db, actor=SYSTEM, record_id=reversed_.id, reason="登记错了", now=now)
    del pending
    # The drive, at JK01, all by jk2 (jk1's lots expiring soon stay whole): a bag of rice reserved (held), one
    # picked up at the desk (a walk-up), oil reserved and cancelled.
    top_up(db, jk2.id, city.jk, 60_00)
    balances[jk2.id] += 60_00
    held = reserve(db, actor=SYSTEM, drive_id=city.drive.id, center="JK01", volunteer_id=jk2.id,
                   lines=[{"sku": "RICE-5KG", "quantity": 1}], now=now)
    walk_up(db, actor=SYSTEM, drive_id=city.drive.id, center="JK01", volunteer_id=jk2.id,
            lines=[{"sku": "RICE-5KG", "quantity": 1}], now=now)
    balances[jk2.id] -= RICE
    cancelled = reserve(db, actor=SYSTEM, drive_id=city.drive.id, center="JK01", volunteer_id=jk2.id,
                        lines=[{"sku": "OIL-5L", "quantity": 1}], now=now)
    cancel_reservation(db, actor=SYSTEM, reservation_id=cancelled.id, now=now)
    for volunteer_id, amount in balances.items():
        home = homes[volunteer_id]
        seeded.outstanding[home] = seeded.outstanding.get(home, 0) + amount
    seeded.held = {"JK01": held.total, "RZ01": 0}
    # Stock left × price: JK01 10 rice (2 taken) and 5 oil; RZ01 2 and 2.
    seeded.stock_value = {"JK01": (10 - 2) * RICE + 5 * OIL, "RZ01": 2 * RICE + 2 * OIL}
    seeded.pickup_until = city.drive.pickup_until
    return seeded
