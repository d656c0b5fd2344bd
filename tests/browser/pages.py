"""Every page of the site as a person reaches it, for the scans and measurements that go over all of them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Visit:
    name: str
    role: str | None  # who is signed in (None: nobody)
    path: str
    submit: bool = False  # send the page's main form empty, to see it with its error messages
    status: int = 200

    @property
    def volunteer_page(self) -> bool:
        """Pages a volunteer sees (or anyone before signing in): the larger text and targets apply."""
        return self.role in (None, "volunteer")


def visits(city, ids) -> list[Visit]:
    return [
        Visit("sign-in", None, "/sign-in"),
        Visit("sign-in refused", None, "/sign-in", submit=True, status=422),
        Visit("volunteer home", "volunteer", "/"),
        Visit("volunteer password", "volunteer", "/password"),
        Visit("volunteer password refused", "volunteer", "/password", submit=True, status=422),
        Visit("volunteer forbidden", "volunteer", "/centers/", status=403),
        Visit("volunteer not found", "volunteer", "/no-such-page", status=404),
        Visit("admin home", "admin", "/"),
        Visit("centers", "admin", "/centers/"),
        Visit("center new refused", "admin", "/centers/new", submit=True, status=422),
        Visit("center edit", "admin", f"/centers/{ids['center']}/edit"),
        Visit("users", "admin", "/users/"),
        Visit("user new", "admin", "/users/new"),
        Visit("user edit", "admin", f"/users/{city.staff.user_id}/edit"),
        Visit("volunteers", "admin", "/volunteers/"),
        Visit("volunteer new refused", "admin", "/volunteers/new", submit=True, status=422),
        Visit("volunteer edit", "admin", f"/volunteers/{ids['volunteer']}/edit"),
        Visit("volunteer import", "admin", "/volunteers/import"),
        Visit("staff home", "staff", "/"),
        Visit("staff volunteers", "staff", "/volunteers/"),
        Visit("record import", "staff", "/hours/import/"),
        Visit("record import refused", "staff", "/hours/import/", submit=True, status=422),
        Visit("supervisor home", "supervisor", "/"),
        Visit("supervisor anomalies", "supervisor", "/anomalies/"),
        Visit("supervisor anomaly record", "supervisor", f"/anomalies/records/{ids['anomalies']['unclosed']}"),
        Visit("supervisor records to rate", "supervisor", "/record-reviews/"),
        Visit("supervisor rating", "supervisor", f"/record-reviews/{ids['anomalies']['approved']}"),
        Visit("supervisor rating refused", "supervisor", f"/record-reviews/{ids['anomalies']['approved']}",
              submit=True, status=422),
        Visit("staff anomalies", "staff", "/anomalies/"),
        Visit("admin anomalies", "admin", "/anomalies/"),
        Visit("receipt valid", None, f"/R/{ids['receipt']}"),
        Visit("receipt used", None, f"/R/{ids['used_voucher']}"),
        Visit("receipt form", None, "/R/"),
        Visit("receipt form refused", None, "/R/", submit=True, status=422),
        Visit("receipt for a volunteer", "volunteer", f"/R/{ids['receipt']}"),
        Visit("staff service requests", "staff", "/service-requests/"),
        Visit("staff request new refused", "staff", "/service-requests/new", submit=True, status=422),
        Visit("staff service request", "staff", f"/service-requests/{ids['request']}"),
        Visit("volunteer service requests", "volunteer", "/service-requests/"),
        Visit("volunteer service request", "volunteer", f"/service-requests/{ids['request']}"),
        Visit("service records pending", "staff", "/records/?status=pending"),
        Visit("log hours refused", "staff", "/records/new", submit=True, status=422),
        Visit("log a group activity", "staff", "/records/new/group"),
        Visit("service record pending", "staff", f"/records/{ids['pending_record']}"),
        Visit("service record approved", "staff", f"/records/{ids['approved_record']}"),
        Visit("admin logs hours", "admin", "/records/new"),
        Visit("volunteer rates a service record", "volunteer", f"/records/{ids['pending_record']}"),
        Visit("service records all", "staff", "/records/"),
        Visit("log hours", "staff", "/records/new"),
        Visit("check-ins", "staff", "/check-ins/"),
        Visit("check-in poster", "staff", "/check-ins/poster/JK01"),
        Visit("check-in record end", "staff", f"/check-ins/records/{ids['anomalies']['unclosed']}/end"),
        Visit("check-in code refused", "volunteer", "/C/1-1-AAAAAAAAAAAAAAAA", status=422),
        Visit("check-in code refused before sign-in", None, "/C/1-1-AAAAAAAAAAAAAAAA", status=422),
        Visit("volunteer record book", "volunteer", "/record-book"),
        Visit("staff record book", "staff", f"/volunteers/{ids['volunteer']}/record-book"),
        Visit("staff check-ins for admin", "admin", "/check-ins/"),
        Visit("audit log", "admin", "/audit/"),
        Visit("scheduled jobs", "admin", "/jobs/"),
        Visit("service types", "admin", "/service-types/"),
        Visit("service type new refused", "admin", "/service-types/new", submit=True, status=422),
        Visit("volunteer exchange", "volunteer", "/exchange/"),
        Visit("volunteer drive goods", "volunteer", f"/exchange/drives/{ids['drive']}"),
        Visit("volunteer basket refused", "volunteer", f"/exchange/drives/{ids['drive']}", submit=True, status=422),
        Visit("volunteer voucher", "volunteer", f"/exchange/reservations/{ids['reservation']}"),
        Visit("volunteer cancel asks", "volunteer", f"/exchange/reservations/{ids['reservation']}/cancel"),
        Visit("volunteer reservations", "volunteer", "/exchange/reservations"),
        Visit("catalog", "admin", "/catalog/"),
        Visit("catalog new refused", "admin", "/catalog/new", submit=True, status=422),
        Visit("catalog edit", "admin", f"/catalog/{ids['catalog_item']}/edit"),
        Visit("drives", "admin", "/drives/"),
        Visit("drive new refused", "admin", "/drives/new", submit=True, status=422),
        Visit("drive edit", "admin", f"/drives/{ids['drive']}/edit"),
        Visit("drive stock", "admin", f"/drives/{ids['drive']}/stock"),
        Visit("drive dashboard", "admin", f"/drives/{ids['drive']}"),
        Visit("staff drives", "staff", "/drives/"),
        Visit("staff pick list", "staff", f"/drives/{ids['drive']}/pick-list"),
        Visit("pickup desk", "staff", "/desk/"),
        Visit("pickup desk walk-up search", "staff", "/desk/?search=王"),
        Visit("pickup desk admin chooses", "admin", "/desk/"),
        Visit("pickup desk for admin", "admin", "/desk/?center=JK01&search=1380529"),
    ]


def ids_of(app) -> dict:
    from timebank.auth.access import Principal
    from timebank.centers.services import list_centers
    from timebank.db import get_db
    from timebank.volunteers.services import list_volunteers

    from tests.receipt_helpers import ReceiptCity
    from timebank.receipts.codec import Kind

    db, system = get_db(app), Principal.system("test")
    center = list_centers(db, actor=system, search="JK01").items[0].id
    volunteer = list_volunteers(db, actor=system, search="王秀英").items[0].id
    receipts = ReceiptCity(db=db, center_id=center, other_center_id=list_centers(db, actor=system, search="RZ02")
                           .items[0].id, volunteer_id=volunteer)
    used = receipts.issue(Kind.VOUCHER, amount=1250, days=14)
    receipts.revoke(used, "redeemed", at_other_center=True)
    from tests.supervision_helpers import seed_anomalies
    from timebank.service_types.services import create_service_type
    from timebank.users.services import list_users
    from timebank.volunteers.services import create_volunteer

    create_service_type(db, actor=system, code="visit", name_zh="上门探访", credits_per_hour=100)
    other = create_volunteer(db, actor=system, name="陈桂兰", phone="13805290000", home_center="JK01").id
    anomalies = seed_anomalies(db, center="JK01", other_center="RZ02", volunteer_ids=[volunteer, other],
                               service_type="visit", staff_user_id=list_users(db, actor=system).items[0].id)
    return {"center": center, "volunteer": volunteer, "receipt": receipts.issue(Kind.SERVICE_RECORD).token,
            "used_voucher": used.display_code, "anomalies": anomalies,
            "request": _service_request(db, system), **_service_records(db, volunteer),
            **_drive(db, system, volunteer), "desk_drive": _desk_drive(db)}


def _service_request(db, system) -> int:
    """An open request at JK01, tomorrow: what the center's staff and its volunteers both see."""
    from datetime import datetime, timedelta, timezone

    from timebank.errors import AlreadyExists
    from timebank.service_requests.services import post_request
    from timebank.service_types.services import create_service_type

    try:
        create_service_type(db, actor=system, code="visit", name_zh="上门探访", name_en="Home visit",
                            credits_per_hour=100)
    except AlreadyExists:  # the anomalies' records made it already
        pass
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    return post_request(db, actor=system, center="JK01", service_type="visit", resident="3号楼 张奶奶",
                        starts_at=start, ends_at=start + timedelta(hours=1), place="活动室", note="带上血压计").id



def _service_records(db, volunteer_id: int) -> dict:
    """A pending and an approved service record of the volunteer at JK01 (the hours pages)."""
    from datetime import datetime, timedelta, timezone

    from timebank.auth.access import Principal
    from timebank.hours import services
    from timebank.service_types.services import create_service_type, service_type_by_code

    system = Principal.system("test")
    if db.transaction(lambda s: service_type_by_code(s, "visit"), readonly=True) is None:
        create_service_type(db, actor=system, code="visit", name_zh="上门探访", name_en="Home visit",
                            credits_per_hour=150)
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    made = [services.log_record(db, actor=system, volunteer_id=volunteer_id, center="JK01", service_type="visit",
                                started_at=start - timedelta(hours=3 * n), ended_at=start - timedelta(hours=3 * n - 2))
            for n in range(2)]
    services.approve_records(db, actor=system, record_ids=[made[1].id], validity_days=730)
    return {"pending_record": made[0].id, "approved_record": made[1].id}


def _drive(db, system, volunteer_id: int) -> dict:
    """An open drive at JK01 and RZ02 with rice, oil and eggs, and the volunteer's held reservation of a bag of rice
    (credits minted for it first): the exchange pages, the drive's setup, dashboard and pick list."""
    from datetime import datetime, timedelta, timezone

    from tests.drive_helpers import top_up
    from timebank.auth.access import Principal
    from timebank.catalog.services import create_item
    from timebank.centers.services import list_centers
    from timebank.drives.planning import create_drive
    from timebank.drives.reservations import reserve

    now = datetime.now(timezone.utc).replace(microsecond=0)
    goods = (("RICE-5KG", "大米 5公斤", "Rice, 5 kg", "袋", 12_50, 3), ("OIL-5L", "食用油 5升", "Cooking oil, 5 l", "桶",
                                                                     30_00, None),
             ("EGG-10", "鸡蛋 10个", "Eggs, 10", "盒", 8_00, 2))
    items = [create_item(db, actor=system, sku=sku, name_zh=zh, name_en=en, unit=unit, price=price)
             for sku, zh, en, unit, price, _limit in goods]
    drive = create_drive(db, actor=system, name="2026 年第四季度兑换活动", centers=["JK01", "RZ02"],
                         opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
                         pickup_until=now + timedelta(days=14), now=now,
                         items=[{"sku": sku, "center": center, "stock": stock, "limit_per_volunteer": limit}
                                for sku, _zh, _en, _unit, _price, limit in goods
                                for center, stock in (("JK01", 20), ("RZ02", 5))])
    top_up(db, volunteer_id, list_centers(db, actor=system, search="JK01").items[0], 60_00)
    held = reserve(db, actor=Principal(user_id=None, username="volunteer", role="volunteer",
                                       volunteer_id=volunteer_id),
                   drive_id=drive.id, center="JK01", lines=[{"sku": "RICE-5KG", "quantity": 1}])
    return {"drive": drive.id, "reservation": held.id, "catalog_item": items[0].id}


def _desk_drive(db) -> int:
    """A drive handing goods over at JK01 now (the pickup desk's scanner and walk-up form)."""
    from datetime import datetime, timedelta, timezone

    from timebank.auth.access import Principal
    from timebank.catalog.services import create_item
    from timebank.drives.planning import create_drive

    system, now = Principal.system("test"), datetime.now(timezone.utc).replace(microsecond=0)
    create_item(db, actor=system, sku="DESK-RICE", name_zh="大米 5公斤", name_en="Rice, 5 kg", unit="袋", price=12_50)
    create_item(db, actor=system, sku="DESK-OIL", name_zh="食用油 5升", name_en="Cooking oil, 5 l", unit="桶",
                price=30_00)
    return create_drive(db, actor=system, name="领取台测试兑换活动", centers=["JK01"], opens_at=now - timedelta(hours=1),
                        closes_at=now + timedelta(days=7), pickup_until=now + timedelta(days=14), now=now, items=[
                            {"sku": "DESK-RICE", "center": "JK01", "stock": 40, "limit_per_volunteer": 2},
                            {"sku": "DESK-OIL", "center": "JK01", "stock": 20, "limit_per_volunteer": None}]).id


def open_page(page, server, visit: Visit):
    """Go to the visit's page (its main form sent empty when ``submit``) and check it answered as expected."""
    response = page.goto(server.at(visit.path))
    if visit.submit:
        with page.expect_navigation() as navigation:
            page.locator("main form.panel button[type=submit]").first.click()
        response = navigation.value
    assert response.status == visit.status, f"{visit.name}: {visit.path} answered {response.status}"
    return response


def by_role(all_visits: list[Visit]) -> dict[str | None, list[Visit]]:
    """The visits grouped by who makes them, so each person signs in once."""
    grouped: dict[str | None, list[Visit]] = {}
    for visit in all_visits:
        grouped.setdefault(visit.role, []).append(visit)
    return grouped
