"""The demo city's catalog of daily goods and its open quarterly drive, with some reservations: most waiting at the
pickup desk, a few already handed over, one cancelled. ``timebank demo`` runs it after the month of service, so the
volunteers have credits to spend; it goes through the same services as everyone else.

Idempotent like the rest of the demo: an item with the same SKU, or a drive with the same name, is left as it is
(and a drive that is there already gets no more reservations).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from timebank.auth.access import Principal
from timebank.catalog.services import create_item
from timebank.db import Database
from timebank.drives.desk import redeem_voucher
from timebank.drives.planning import create_drive
from timebank.drives.queries import list_drives
from timebank.drives.reservations import cancel_reservation, reserve
from timebank.errors import DomainError, created
from timebank.record_book.queries import get_account

ITEMS = (
    # SKU, Chinese name, English name, unit, price (hundredths of a credit), stock per center, limit per volunteer
    ("DETERGENT-1KG", "洗衣粉（1 公斤）", "Washing powder (1 kg)", "袋", 200, 40, 2),
    ("OIL-5L", "食用油（5 升）", "Cooking oil (5 litres)", "桶", 600, 12, 1),
    ("RICE-5KG", "大米（5 公斤）", "Rice (5 kg)", "袋", 500, 15, 1),
    ("EGGS-10", "鸡蛋（10 枚）", "Eggs (box of 10)", "盒", 150, 30, 2),
    ("SOY-SAUCE-500ML", "酱油（500 毫升）", "Soy sauce (500 ml)", "瓶", 100, 30, 2),
    ("TOOTHPASTE", "牙膏", "Toothpaste", "支", 100, 30, 2),
    ("TOWEL", "毛巾", "Towel", "条", 100, 30, 2),
    ("SOAP", "香皂", "Soap", "块", 50, 50, 3),
)
RESERVERS = 24  # volunteers who reserved in the drive's first days
HANDED_OVER = 4  # of them, already picked up at their center's desk
OPENED_DAYS_AGO = 2  # the drive opened two mornings before the demo city's last day…
OPEN_DAYS = 14  # …takes reservations for two weeks…
PICKUP_DAYS = 7  # …and hands goods over for a week more


@dataclass
class DriveDemo:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool, n: int = 1) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + n


def seed_drive(db: Database, *, actor: Principal, centers: list[str], staff: dict[str, Principal],
               volunteers: list, signing_in: dict[int, Principal], last_day: date, zone: ZoneInfo,
               now: datetime) -> DriveDemo:
    """The catalog, then the quarter's drive at every center in ``centers``, opened two days before ``last_day``,
    with reservations by ``volunteers`` (``VolunteerView``s) who have the credits: the ones in ``signing_in``
    reserve for themselves, the others by their center's ``staff`` (an elder phones the center)."""
    result = DriveDemo()
    for sku, name_zh, name_en, unit, price, _, _ in ITEMS:
        result.count("catalog items", created(lambda: create_item(db, actor=actor, sku=sku, name_zh=name_zh,
                                                                   name_en=name_en, unit=unit, price=price)))
    name = drive_name(last_day)
    if any(d.name == name for d in list_drives(db, actor=actor, per_page=100, now=now).items):
        result.count("drives", False)
        return result
    opens_at = datetime.combine(last_day - timedelta(days=OPENED_DAYS_AGO), time(9), zone)
    closes_at = datetime.combine(last_day + timedelta(days=OPEN_DAYS - OPENED_DAYS_AGO), time(17), zone)
    drive = create_drive(db, actor=actor, name=name, centers=centers, opens_at=opens_at, closes_at=closes_at,
                         pickup_until=closes_at + timedelta(days=PICKUP_DAYS), now=min(now, opens_at),
                         items=[{"sku": sku, "center": code, "stock": stock, "limit_per_volunteer": limit}
                                for code in centers for sku, _, _, _, _, stock, limit in ITEMS])
    result.count("drives", True)
    result.count("reservations", True, _reservations(db, actor, drive.id, staff, volunteers, signing_in,
                                                     opens_at, now))
    return result


def drive_name(day: date) -> str:
    """The quarter's drive, named as centers name it: 2026年第四季度时间币兑换."""
    quarter = "一二三四"[(day.month - 1) // 3]
    return f"{day.year}年第{quarter}季度时间币兑换"


def _reservations(db: Database, actor: Principal, drive_id: int, staff: dict[str, Principal], volunteers: list,
                  signing_in: dict[int, Principal], opens_at: datetime, now: datetime) -> int:
    """Who can afford what reserves it, spread over the time since the drive opened (at most the last day, so after
    every credit of the month was minted); the first few reservations are picked up, the last one cancelled."""
    chance = random.Random(2026)
    prices = {sku: price for sku, _, _, _, price, _, _ in ITEMS}
    signing_first = sorted(volunteers, key=lambda v: (v.id not in signing_in, v.id))
    start = max(opens_at, now - timedelta(hours=20))
    made = []
    for volunteer in signing_first:
        if len(made) == RESERVERS:
            break
        who = signing_in.get(volunteer.id) or staff.get(volunteer.home_center)
        if who is None:
            continue
        available = get_account(db, actor=actor, volunteer_id=volunteer.id, lot_limit=1).available
        lines = _basket(chance, prices, available)
        if not lines:
            continue
        at = start + (now - start) * (len(made) + 1) / (RESERVERS + 2)
        try:
            made.append(reserve(db, actor=who, drive_id=drive_id, center=volunteer.home_center, lines=lines,
                                volunteer_id=volunteer.id, now=at))
        except DomainError:  # out of stock at a small center, say: the next volunteer tries
            continue
    for reservation in made[len(signing_in):len(signing_in) + HANDED_OVER]:
        desk = staff.get(reservation.center)
        if desk is not None:
            redeem_voucher(db, actor=desk, text=reservation.voucher_short_code,
                           now=reservation.created_at + (now - reservation.created_at) / 2)
    if len(made) > len(signing_in) + HANDED_OVER:
        last = made[-1]
        cancel_reservation(db, actor=staff.get(last.center) or actor, reservation_id=last.id,
                           now=last.created_at + (now - last.created_at) / 2)
    return len(made)


def _basket(chance: random.Random, prices: dict[str, int], available: int) -> list[dict]:
    """One to three kinds of goods, one of each, that the volunteer can afford together."""
    lines, left, kinds = [], available, chance.randint(1, 3)
    for sku in chance.sample(sorted(prices), k=len(prices)):
        if len(lines) == kinds:
            break
        if prices[sku] <= left:
            lines.append({"sku": sku, "quantity": 1})
            left -= prices[sku]
    return lines
