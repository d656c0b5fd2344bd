"""The catalog, drives, reservations and the pickup desk over HTTP on both databases (SPEC §8, §8.1): shapes,
refusals and their codes, Idempotency-Key replays, the pick list as JSON and CSV, and the ledger check afterwards."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.drive_helpers import make_city, top_up
from timebank.clock import utcnow
from timebank.db import get_db

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def desk(app, make_user, api_headers):
    db = get_db(app)
    city = make_city(db)
    admin = make_user("admin")
    staff = make_user("staff", center="JK01")
    other_staff = make_user("staff", center="RZ01")
    volunteer = make_user("volunteer", center="JK01")
    top_up(db, volunteer.volunteer_id, city.jk, 100_00)
    return type("Desk", (), dict(city=city, db=db, admin=api_headers(admin), staff=api_headers(staff),
                                 other=api_headers(other_staff), volunteer=api_headers(volunteer),
                                 volunteer_id=volunteer.volunteer_id, drive=city.drive.id))


def keyed(headers: dict, key: str | None = None) -> dict:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


def reserve(client, desk, lines, *, headers=None, key=None, center="JK01", **extra):
    return client.post(f"/api/v1/drives/{desk.drive}/reservations", headers=keyed(headers or desk.volunteer, key),
                       json={"center": center, "lines": [{"sku": s, "quantity": q} for s, q in lines], **extra})


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_the_admin_keeps_the_catalog_and_everyone_reads_it(client, desk):
    created = client.post("/api/v1/catalog-items", headers=desk.admin,
                          json={"sku": "egg-30", "name": "鸡蛋 30枚", "name_en": "Eggs, 30", "unit": "盒",
                                "price": "8.50"})
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert (item["sku"], item["name"], item["unit"], item["price"], item["active"]) == ("EGG-30", "鸡蛋 30枚", "盒",
                                                                                        "8.50", True)
    assert error_of(client.post("/api/v1/catalog-items", headers=desk.admin,
                                json={"sku": "EGG-30", "name": "鸡蛋", "unit": "盒", "price": "1.00"})) \
        == (409, "already_exists")
    assert client.post("/api/v1/catalog-items", headers=desk.volunteer,
                       json={"sku": "X", "name": "x", "unit": "个", "price": "1.00"}).status_code == 403
    listed = client.get("/api/v1/catalog-items?search=egg", headers=desk.volunteer).get_json()
    assert [i["sku"] for i in listed["items"]] == ["EGG-30"]
    zero = client.post("/api/v1/catalog-items", headers=desk.admin,
                       json={"sku": "FREE", "name": "赠品", "unit": "个", "price": "0.00"})
    assert zero.status_code == 422 and "price" in zero.get_json()["error"]["fields"]


def test_a_drive_is_set_up_read_and_its_stock_added_to(client, desk):
    now = utcnow().replace(microsecond=0)
    body = {"name": "春季兑换", "centers": ["JK01"], "opens_at": (now + timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=8)).isoformat(), "pickup_until": (now + timedelta(days=15)).isoformat(),
            "items": [{"sku": "RICE-5KG", "center": "JK01", "stock": 40, "limit_per_volunteer": 2}]}
    created = client.post("/api/v1/drives", headers=desk.admin, json=body)
    assert created.status_code == 201, created.get_json()
    drive = created.get_json()
    assert (drive["name"], drive["centers"], drive["status"]) == ("春季兑换", ["JK01"], "upcoming")
    assert [{k: i[k] for k in ("sku", "center", "stock", "limit_per_volunteer")} for i in drive["items"]] == \
        [{"sku": "RICE-5KG", "center": "JK01", "stock": 40, "limit_per_volunteer": 2}]
    assert client.get(f"/api/v1/drives/{drive['id']}", headers=desk.volunteer).get_json() == drive
    backwards = client.post("/api/v1/drives", headers=desk.admin, json={**body, "closes_at": body["opens_at"]})
    assert backwards.status_code == 422 and "closes_at" in backwards.get_json()["error"]["fields"]
    assert client.post("/api/v1/drives", headers=desk.staff, json=body).status_code == 403
    added = client.patch(f"/api/v1/drives/{drive['id']}", headers=desk.admin,
                         json={"centers": ["RZ01"], "items": [{"sku": "OIL-5L", "center": "RZ01", "stock": 3}]})
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["centers"] == ["JK01", "RZ01"] and len(added.get_json()["items"]) == 2


def test_stock_never_drops_below_what_is_held_and_times_stay_once_open(client, desk):
    assert reserve(client, desk, [("OIL-5L", 2)]).status_code == 201
    lowered = client.patch(f"/api/v1/drives/{desk.drive}", headers=desk.admin,
                           json={"items": [{"sku": "OIL-5L", "center": "JK01", "stock": 1}]})
    assert error_of(lowered) == (409, "stock_below_reserved")
    assert client.patch(f"/api/v1/drives/{desk.drive}", headers=desk.admin,
                        json={"items": [{"sku": "OIL-5L", "center": "JK01", "stock": 2}]}).status_code == 200
    later = (desk.city.drive.pickup_until + timedelta(days=1)).isoformat()
    assert error_of(client.patch(f"/api/v1/drives/{desk.drive}", headers=desk.admin,
                                 json={"pickup_until": later})) == (409, "drive_started")


def test_a_volunteer_reserves_under_a_key_and_the_same_key_replays_the_answer(client, desk):
    missing = client.post(f"/api/v1/drives/{desk.drive}/reservations", headers=desk.volunteer,
                          json={"center": "JK01", "lines": [{"sku": "RICE-5KG", "quantity": 1}]})
    assert missing.status_code == 422 and "Idempotency-Key" in missing.get_json()["error"]["fields"]
    first = reserve(client, desk, [("RICE-5KG", 2), ("OIL-5L", 1)], key="basket-1")
    assert first.status_code == 201, first.get_json()
    held = first.get_json()
    assert (held["status"], held["total"]) == ("held", "55.00")
    assert held["voucher"]["url"].startswith("HTTP://LOCALHOST/R/") and len(held["voucher"]["code"]) == 11
    replay = reserve(client, desk, [("RICE-5KG", 2), ("OIL-5L", 1)], key="basket-1")
    assert (replay.status_code, replay.get_json()) == (201, held)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert error_of(reserve(client, desk, [("RICE-5KG", 1)], key="basket-1")) == (409, "idempotency_conflict")
    stock = client.get(f"/api/v1/drives/{desk.drive}/stock?center=jk01", headers=desk.volunteer).get_json()
    assert {e["sku"]: (e["stock"], e["held"], e["sold"], e["left"]) for e in stock["items"]} == \
        {"OIL-5L": (5, 1, 0, 4), "RICE-5KG": (10, 2, 0, 8)}
    account = client.get(f"/api/v1/volunteers/{desk.volunteer_id}/account", headers=desk.volunteer).get_json()
    assert (account["held"], account["available"]) == ("55.00", "45.00")


def test_each_refusal_has_its_code_and_nothing_is_held(client, desk):
    top_up(desk.db, desk.volunteer_id, desk.city.jk, 10_00)  # 110.00: the two lines below cost 102.50
    assert error_of(reserve(client, desk, [("RICE-5KG", 1), ("OIL-5L", 3)], center="RZ01")) == (409, "out_of_stock")
    assert error_of(reserve(client, desk, [("RICE-5KG", 4)])) == (409, "limit_exceeded")
    assert error_of(reserve(client, desk, [("OIL-5L", 4)])) == (409, "insufficient_credits")
    assert error_of(reserve(client, desk, [("RICE-5KG", 1)], center="XX99")) == (422, "validation_error")
    assert client.post("/api/v1/drives/999999/reservations", headers=keyed(desk.volunteer),
                       json={"center": "JK01", "lines": [{"sku": "RICE-5KG", "quantity": 1}]}).status_code == 404
    get_db(client.application).transaction(lambda s: s.execute(
        text("UPDATE drive SET opens_at = :t, closes_at = :u WHERE id = :id"),
        {"t": utcnow() + timedelta(hours=1), "u": utcnow() + timedelta(hours=2), "id": desk.drive}))
    assert error_of(reserve(client, desk, [("RICE-5KG", 1)])) == (409, "drive_closed")
    account = client.get(f"/api/v1/volunteers/{desk.volunteer_id}/account", headers=desk.volunteer).get_json()
    assert (account["held"], account["available"]) == ("0.00", "110.00")


def test_a_refusal_for_lack_of_credits_stays_refused_under_its_key(client, desk):
    refused = reserve(client, desk, [("OIL-5L", 4)], key="too-much")
    assert error_of(refused) == (409, "insufficient_credits")
    top_up(desk.db, desk.volunteer_id, desk.city.jk, 100_00)
    again = reserve(client, desk, [("OIL-5L", 4)], key="too-much")
    assert (again.status_code, again.get_json()) == (409, refused.get_json())
    assert reserve(client, desk, [("OIL-5L", 4)], key="now-enough").status_code == 201


def test_the_desk_redeems_a_voucher_once_and_says_when_and_where_the_second_time(client, desk):
    held = reserve(client, desk, [("RICE-5KG", 1)]).get_json()
    no_key = client.post("/api/v1/vouchers/redeem", headers=desk.staff, json={"text": held["voucher"]["code"]})
    assert no_key.status_code == 422
    done = client.post("/api/v1/vouchers/redeem", headers=keyed(desk.staff, "scan-1"),
                       json={"text": held["voucher"]["code"]})
    assert done.status_code == 200, done.get_json()
    answer = done.get_json()
    assert answer["status"] == "fulfilled" and answer["reservation"]["id"] == held["id"]
    assert [(line["sku"], line["quantity"]) for line in answer["reservation"]["lines"]] == [("RICE-5KG", 1)]
    replay = client.post("/api/v1/vouchers/redeem", headers=keyed(desk.staff, "scan-1"),
                         json={"text": held["voucher"]["code"]})
    assert replay.get_json() == answer
    again = client.post("/api/v1/vouchers/redeem", headers={**keyed(desk.staff), "Accept-Language": "zh-CN"},
                        json={"text": held["voucher"]["url"]})
    assert error_of(again) == (409, "already_redeemed")
    assert "京口区大市口中心" in again.get_json()["error"]["message"]
    assert "已" in again.get_json()["error"]["message"]
    receipt = client.get(f"/api/v1/receipts/{held['voucher']['code']}").get_json()
    assert (receipt["status"], receipt["redeemed_center"]) == ("redeemed", "JK01")


def test_staff_of_another_center_are_refused_with_the_right_center_named(client, desk):
    held = reserve(client, desk, [("RICE-5KG", 1)]).get_json()
    wrong = client.post("/api/v1/vouchers/redeem", headers={**keyed(desk.other), "Accept-Language": "en"},
                        json={"text": held["voucher"]["code"]})
    assert error_of(wrong) == (409, "wrong_center")
    assert "京口区大市口中心" in wrong.get_json()["error"]["message"] and "JK01" in wrong.get_json()["error"]["message"]
    assert client.post("/api/v1/vouchers/redeem", headers=keyed(desk.volunteer),
                       json={"text": held["voucher"]["code"]}).status_code == 403
    garbage = client.post("/api/v1/vouchers/redeem", headers=keyed(desk.staff), json={"text": "not a voucher at all"})
    assert error_of(garbage) == (409, "voucher_not_valid")


def test_a_walk_up_is_handed_over_at_once(client, desk):
    done = client.post(f"/api/v1/drives/{desk.drive}/walk-ups", headers=keyed(desk.staff),
                       json={"volunteer_id": desk.volunteer_id, "center": "JK01",
                             "lines": [{"sku": "OIL-5L", "quantity": 1}]})
    assert done.status_code == 201, done.get_json()
    assert {k: done.get_json()[k] for k in ("status", "total", "walk_up")} == \
        {"status": "fulfilled", "total": "30.00", "walk_up": True}
    elsewhere = client.post(f"/api/v1/drives/{desk.drive}/walk-ups", headers=keyed(desk.staff),
                            json={"volunteer_id": desk.volunteer_id, "center": "RZ01",
                                  "lines": [{"sku": "OIL-5L", "quantity": 1}]})
    assert elsewhere.status_code == 422 and "center" in elsewhere.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/drives/{desk.drive}/walk-ups", headers=keyed(desk.volunteer),
                       json={"volunteer_id": desk.volunteer_id, "center": "JK01",
                             "lines": [{"sku": "OIL-5L", "quantity": 1}]}).status_code == 403


def test_a_volunteer_cancels_their_reservation_and_gets_everything_back(client, desk):
    held = reserve(client, desk, [("RICE-5KG", 2)]).get_json()
    cancelled = client.post(f"/api/v1/reservations/{held['id']}/cancel", headers=keyed(desk.volunteer))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert error_of(client.post(f"/api/v1/reservations/{held['id']}/cancel", headers=keyed(desk.volunteer))) == \
        (409, "reservation_not_held")
    account = client.get(f"/api/v1/volunteers/{desk.volunteer_id}/account", headers=desk.volunteer).get_json()
    assert (account["held"], account["available"]) == ("0.00", "100.00")
    assert client.get(f"/api/v1/receipts/{held['voucher']['code']}").get_json()["status"] == "cancelled"
    mine = client.get("/api/v1/reservations", headers=desk.volunteer).get_json()
    assert [(r["id"], r["status"]) for r in mine["items"]] == [(held["id"], "cancelled")]
    assert client.get(f"/api/v1/reservations/{held['id']}", headers=desk.other).status_code == 404


def test_the_pick_list_puts_held_first_and_downloads_as_csv_for_excel(client, desk):
    first = reserve(client, desk, [("RICE-5KG", 1)]).get_json()
    second = reserve(client, desk, [("OIL-5L", 1)]).get_json()
    client.post("/api/v1/vouchers/redeem", headers=keyed(desk.staff), json={"text": first["voucher"]["code"]})
    pick = client.get(f"/api/v1/drives/{desk.drive}/pick-list", headers=desk.staff).get_json()
    assert pick["center"] == "JK01"
    assert [(r["id"], r["status"]) for r in pick["reservations"]] == [(second["id"], "held"),
                                                                     (first["id"], "fulfilled")]
    assert {i["sku"]: (i["held"], i["sold"]) for i in pick["items"]} == {"OIL-5L": (1, 0), "RICE-5KG": (0, 1)}
    csv = client.get(f"/api/v1/drives/{desk.drive}/pick-list?format=csv", headers={**desk.staff,
                                                                                   "Accept-Language": "zh"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.startswith("\ufeff".encode("utf-8"))
    content = csv.data.decode("utf-8-sig")
    assert "食用油 5升" in content and "测试志愿者" in content and "attachment" in csv.headers["Content-Disposition"]
    assert client.get(f"/api/v1/drives/{desk.drive}/pick-list?center=RZ01", headers=desk.staff).status_code == 404
    assert client.get(f"/api/v1/drives/{desk.drive}/pick-list?center=RZ01", headers=desk.admin).status_code == 200
    assert client.get(f"/api/v1/drives/{desk.drive}/pick-list", headers=desk.volunteer).status_code == 403


def test_the_ledger_check_is_clean_after_a_drive_day_and_names_a_broken_stock(client, desk):
    held = reserve(client, desk, [("RICE-5KG", 1)]).get_json()
    reserve(client, desk, [("OIL-5L", 1)])
    client.post("/api/v1/vouchers/redeem", headers=keyed(desk.staff), json={"text": held["voucher"]["code"]})
    runner = client.application.test_cli_runner()
    clean = runner.invoke(args=["ledger", "check"])
    assert clean.exit_code == 0, clean.output
    desk.db.transaction(lambda s: s.execute(text("UPDATE drive_stock SET sold = sold + 1")))
    broken = runner.invoke(args=["ledger", "check"])
    assert broken.exit_code == 1 and "drive-stock-matches-reservations" in broken.output


def test_refusals_read_in_the_callers_language(client, desk):
    top_up(desk.db, desk.volunteer_id, desk.city.jk, 100_00)
    held = reserve(client, desk, [("RICE-5KG", 1)]).get_json()
    chinese = client.post("/api/v1/vouchers/redeem", headers={**keyed(desk.other), "Accept-Language": "zh-CN"},
                          json={"text": held["voucher"]["code"]}).get_json()["error"]
    assert chinese["code"] == "wrong_center"
    assert chinese["message"] == "这张兑换券须到京口区大市口中心（JK01）领取，不能在这里领。"
    short = client.post(f"/api/v1/drives/{desk.drive}/reservations",
                        headers={**keyed(desk.volunteer), "Accept-Language": "zh-CN"},
                        json={"center": "RZ01", "lines": [{"sku": "OIL-5L", "quantity": 3}]}).get_json()["error"]
    assert (short["code"], short["message"]) == ("out_of_stock", "润州区中心的食用油 5升库存不足：只剩 2，需要 3。")
    english = client.post(f"/api/v1/drives/{desk.drive}/reservations",
                          headers={**keyed(desk.volunteer), "Accept-Language": "en"},
                          json={"center": "RZ01", "lines": [{"sku": "OIL-5L", "quantity": 3}]}).get_json()["error"]
    assert english["message"] == "Not enough Cooking oil, 5 l at 润州区中心: 2 left, 3 asked for."
