"""What the drives' tests share: a small city with two centers, volunteers with credits, a catalog and an open
drive, all made through the services (integration and e2e alike)."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from timebank.auth.access import Principal
from timebank.catalog.services import create_item
from timebank.centers.services import create_center
from timebank.clock import utcnow
from timebank.drives.planning import create_drive
from timebank.drives.queries import drive_stock
from timebank.ledger import standalone
from timebank.ledger.postings import Cause
from timebank.volunteers.services import create_volunteer, get_volunteer

SYSTEM = Principal.system("test")
JOIN_TIMEOUT_S = 180
RICE = 12_50  # 12.50 credits a bag
OIL = 30_00


@dataclass
class City:
    jk: object
    rz: object
    drive: object
    opened: datetime

    def staff(self, center) -> Principal:
        return Principal(user_id=None, username=f"staff-{center.code}", role="staff", center_id=center.id)

    @staticmethod
    def volunteer_actor(volunteer_id: int) -> Principal:
        return Principal(user_id=None, username=f"volunteer-{volunteer_id}", role="volunteer",
                         volunteer_id=volunteer_id)


def open_center(db, code: str, name: str):
    return create_center(db, actor=SYSTEM, code=code, name=name, district="京口区")


def volunteer_with(db, center, credits: int, *, name: str = "王小英"):
    """A volunteer of ``center`` holding ``credits`` (hundredths), minted from that center."""
    volunteer = create_volunteer(db, actor=SYSTEM, name=name, phone=f"139{uuid.uuid4().int % 10**8:08d}",
                                 home_center=center.code)
    if credits:
        top_up(db, volunteer.id, center, credits)
    return volunteer


def top_up(db, volunteer_id: int, center, credits: int) -> None:
    account_id = get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer_id).account_id
    standalone.mint(db, account_id=account_id, issuer_account_id=center.issuance_account_id, amount=credits,
                    expires_at=utcnow() + timedelta(days=730), key=f"test-mint:{uuid.uuid4().hex}",
                    cause=Cause("test", "test", "top-up"))


def balance(db, volunteer_id: int):
    return standalone.get_balance(db, get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer_id).account_id)


def make_city(db, *, rice_stock: int = 10, oil_stock: int = 5, rice_limit: int | None = 3,
              now: datetime | None = None) -> City:
    """JK01 and RZ01, rice (12.50, at most 3 a volunteer) and oil (30.00, no limit), and a drive open since an hour
    ago, closing in 7 days, pickup until 14 days from now; RZ01 has 2 of each."""
    now = (now or utcnow()).replace(microsecond=0)
    jk = open_center(db, "JK01", "京口区大市口中心")
    rz = open_center(db, "RZ01", "润州区中心")
    create_item(db, actor=SYSTEM, sku="RICE-5KG", name_zh="大米 5公斤", name_en="Rice, 5 kg", unit="袋", price=RICE)
    create_item(db, actor=SYSTEM, sku="OIL-5L", name_zh="食用油 5升", name_en="Cooking oil, 5 l", unit="桶",
                price=OIL)
    drive = create_drive(db, actor=SYSTEM, name="2026 年第四季度兑换活动", centers=["JK01", "RZ01"],
                         opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                         pickup_until=now + timedelta(days=14), now=now, items=[
                             {"sku": "RICE-5KG", "center": "JK01", "stock": rice_stock,
                              "limit_per_volunteer": rice_limit},
                             {"sku": "OIL-5L", "center": "JK01", "stock": oil_stock, "limit_per_volunteer": None},
                             {"sku": "RICE-5KG", "center": "RZ01", "stock": 2, "limit_per_volunteer": rice_limit},
                             {"sku": "OIL-5L", "center": "RZ01", "stock": 2, "limit_per_volunteer": None}])
    return City(jk=jk, rz=rz, drive=drive, opened=now)


def stock_of(db, drive_id: int, center: str, sku: str):
    [entry] = [e for e in drive_stock(db, actor=SYSTEM, drive_id=drive_id, center=center) if e.sku == sku]
    return entry.stock, entry.held, entry.sold


def collide(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call on its own thread, all released at once; each result is a return value or the exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=JOIN_TIMEOUT_S)
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=JOIN_TIMEOUT_S) for future in futures]
