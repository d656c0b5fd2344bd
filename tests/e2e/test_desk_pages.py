"""The pickup desk's pages (``/desk``) over HTTP on both databases, with the CSRF check on as in production: a
voucher redeemed by its short code through the plain form and by its QR text through the page script's JSON
endpoint (with an Idempotency-Key per scan), a second scan refused saying when and where, another center's desk
refused naming the right center, a walk-up reserved and handed over at once (another center's volunteer found by
their whole phone number only), and the ledger check afterwards."""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest

from tests.auth_helpers import mint_session_key
from tests.drive_helpers import SYSTEM, City, balance, make_city, stock_of, volunteer_with
from timebank.db import get_db
from timebank.drives.reservation_queries import get_reservation
from timebank.drives.reservations import cancel_reservation, reserve
from timebank.receipts.codec import receipt_text
from timebank.receipts.rules import display_short_code
from timebank.volunteers.services import set_volunteer_active

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def desk(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    db = get_db(app)
    city = make_city(db)
    staff = make_user("staff", center="JK01")
    other = make_user("staff", center="RZ01")
    admin = make_user("admin")
    volunteer = volunteer_with(db, city.jk, 100_00, name="王秀英")
    return type("Desk", (), dict(app=app, db=db, city=city, staff=staff, other=other, admin=admin,
                                 volunteer=volunteer))


class Tablet:
    """A signed-in browser at the desk: the page's CSRF token, forms sent as the page sends them."""

    def __init__(self, app, login, *, language: str | None = None):
        self.client = app.test_client()
        with self.client.session_transaction() as session:
            session["_user_id"] = mint_session_key(get_db(app), login)
            session["_fresh"] = True
        if language:
            self.client.set_cookie("tb_lang", language)
        self.token = None

    def open(self, path: str = "/desk/"):
        page = self.client.get(path)
        found = TOKEN.search(page.get_data(as_text=True))
        self.token = found.group(1) if found else self.token
        return page

    def form(self, path: str, data: dict, key: str | None = None):
        if self.token is None:
            self.open()
        return self.client.post(path, data={"csrf_token": self.token, "idempotency_key": key or uuid.uuid4().hex,
                                            **data})

    def scan(self, text: str, *, center: str | None = None, key: str | None = None, token: bool = True):
        if self.token is None:
            self.open()
        headers = {"Idempotency-Key": key or uuid.uuid4().hex, "Accept": "application/json"}
        if token:
            headers["X-CSRFToken"] = self.token
        return self.client.post("/desk/scan", json={"text": text, "center": center}, headers=headers)


def reserved(desk, lines=(("RICE-5KG", 2), ("OIL-5L", 1)), center="JK01"):
    return reserve(desk.db, actor=City.volunteer_actor(desk.volunteer.id), drive_id=desk.city.drive.id, center=center,
                   lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines])


def text(response) -> str:
    return response.get_data(as_text=True)


def answer_of(page: str) -> str:
    """The big answer's words, without tags."""
    found = re.search(r'<article class="desk-answer[^"]*"(.*?)</article>', page, re.S)
    assert found, "the page shows no answer"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def status_of(desk, reservation_id: int) -> str:
    return get_reservation(desk.db, actor=City.volunteer_actor(desk.volunteer.id),
                           reservation_id=reservation_id).status


def test_the_desk_redeems_a_short_code_typed_into_the_form_once(desk):
    held = reserved(desk)
    tablet = Tablet(desk.app, desk.staff)
    page = tablet.open()
    assert page.status_code == 200
    assert "领取台" in text(page) and "京口区大市口中心" in text(page) and 'id="desk-text"' in text(page)
    typed = display_short_code(held.voucher_short_code).lower().replace("-", " ")  # as a person types it
    done = tablet.form("/desk/redeem", {"text": typed, "center": ""}, key="form-1")
    assert done.status_code == 200
    said = answer_of(text(done))
    assert "请交给 王*英 以下物品" in said
    assert "大米 5公斤 × 2 袋" in said and "食用油 5升 × 1 桶" in said
    assert display_short_code(held.voucher_short_code) in said and "55.00 时间币" in said
    assert status_of(desk, held.id) == "fulfilled"
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)
    assert balance(desk.db, desk.volunteer.id).available == 100_00 - 55_00

    # The same form sent again (a double tap, a reload): the first answer again, nothing redeemed twice.
    replay = tablet.form("/desk/redeem", {"text": typed, "center": ""}, key="form-1")
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert answer_of(text(replay)) == said
    # A new scan of the same voucher: refused, saying when and where it was picked up.
    again = tablet.form("/desk/redeem", {"text": typed, "center": ""})
    assert again.status_code == 409
    refusal = answer_of(text(again))
    assert "已领取过" in refusal and "京口区大市口中心（JK01）" in refusal and "请不要发放物品" in refusal
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", refusal)
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)


def test_the_page_script_redeems_the_scanned_qr_text_as_json_under_its_key(desk):
    held = reserved(desk, lines=(("RICE-5KG", 1),))
    tablet = Tablet(desk.app, desk.staff)
    qr_text = receipt_text("HTTPS://LOCALHOST", held.voucher_token)  # what the camera reads
    done = tablet.scan(qr_text, key="scan-1")
    assert done.status_code == 200, done.get_json()
    answer = done.get_json()
    assert (answer["ok"], answer["code"]) == (True, "fulfilled")
    assert "请交给" in answer["html"] and "王*英" in answer["html"] and "大米 5公斤" in answer["html"]
    assert answer["history"]["title"] == "王*英" and "大米 5公斤 × 1 袋" in answer["history"]["detail"]
    assert answer["history"]["code"] == display_short_code(held.voucher_short_code)
    assert status_of(desk, held.id) == "fulfilled"

    replay = tablet.scan(qr_text, key="scan-1")  # the answer was lost and the script asks again
    assert replay.get_json() == answer and replay.headers.get("Idempotent-Replayed") == "true"
    conflict = tablet.scan("SOMETHING ELSE", key="scan-1")
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "idempotency_conflict"

    again = tablet.scan(qr_text)
    assert again.status_code == 409
    refusal = again.get_json()
    assert (refusal["ok"], refusal["code"]) == (False, "already_redeemed")
    assert "已领取过" in refusal["html"] and "京口区大市口中心（JK01）" in refusal["html"]
    assert refusal["history"]["title"] == "已领取过"

    no_key = tablet.client.post("/desk/scan", json={"text": qr_text}, headers={"X-CSRFToken": tablet.token})
    assert no_key.status_code == 422
    assert tablet.scan(qr_text, token=False).status_code == 400  # no CSRF token: the page expired, nothing done


def test_another_centers_desk_is_refused_naming_the_right_center(desk):
    held = reserved(desk, lines=(("OIL-5L", 1),))
    code = display_short_code(held.voucher_short_code)
    wrong = Tablet(desk.app, desk.other).scan(code)
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "wrong_center"
    assert "不是本中心的兑换券" in wrong.get_json()["html"] and "须到京口区大市口中心（JK01）领取" in wrong.get_json()["html"]
    assert status_of(desk, held.id) == "held"

    # An admin serving RZ01's desk is refused the same way; nothing was redeemed on the way.
    admin = Tablet(desk.app, desk.admin)
    page = admin.open("/desk/")
    assert "RZ01" in text(page) and "JK01" in text(page)  # the centers of the drive handing over now
    at_rz = admin.scan(code, center="RZ01")
    assert at_rz.status_code == 409 and at_rz.get_json()["code"] == "wrong_center"
    assert status_of(desk, held.id) == "held"
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "OIL-5L") == (5, 1, 0)
    unchosen = admin.scan(code)
    assert unchosen.status_code == 422 and "中心" in unchosen.get_json()["html"]
    at_jk = admin.scan(code, center="JK01")
    assert at_jk.status_code == 200 and status_of(desk, held.id) == "fulfilled"


def test_cancelled_mistyped_and_foreign_codes_are_said_in_plain_words(desk):
    held = reserved(desk, lines=(("RICE-5KG", 1),))
    cancel_reservation(desk.db, actor=City.volunteer_actor(desk.volunteer.id), reservation_id=held.id)
    tablet = Tablet(desk.app, desk.staff)
    cancelled = tablet.scan(display_short_code(held.voucher_short_code)).get_json()
    assert cancelled["code"] == "already_cancelled" and "已取消" in cancelled["html"]
    code = held.voucher_short_code
    typo = code[:3] + ("B" if code[3] != "B" else "C") + code[4:]
    mistyped = tablet.scan(typo)
    assert mistyped.status_code == 422 and "请核对短码" in mistyped.get_json()["html"]
    foreign = tablet.scan("HTTPS://EXAMPLE.COM/SOMETHING-ELSE-ENTIRELY-1234567890")
    assert foreign.status_code == 409 and "不是有效的兑换券" in foreign.get_json()["html"]
    said = answer_of(foreign.get_json()["html"])
    assert said.count("不是有效的兑换券") == 1 and "内容不完整或没有读对" in said  # the big words, then only why
    empty = tablet.form("/desk/redeem", {"text": "  "})
    assert empty.status_code == 422 and "请扫描兑换券" in answer_of(text(empty))


def test_the_desk_speaks_english_when_asked(desk):
    held = reserved(desk, lines=(("RICE-5KG", 1),))
    tablet = Tablet(desk.app, desk.staff, language="en")
    assert "Pickup desk" in text(tablet.open())
    done = tablet.scan(display_short_code(held.voucher_short_code)).get_json()
    assert "Hand over to" in done["html"] and "these items" in done["html"] and "Rice, 5 kg" in done["html"]
    again = tablet.scan(display_short_code(held.voucher_short_code)).get_json()
    assert "Already picked up" in again["html"] and "already redeemed" in again["html"]


def test_a_walk_up_is_found_by_phone_reserved_and_handed_over_at_once(desk):
    walker = volunteer_with(desk.db, desk.city.jk, 40_00, name="李建国")
    tablet = Tablet(desk.app, desk.staff)
    found = tablet.open(f"/desk/?search={walker.phone[-6:]}")
    assert f'value="{walker.id}"' in text(found) and "李建国" in text(found)
    assert 'name="qty-RICE-5KG"' in text(found)

    nothing = tablet.form("/desk/walk-up", {"drive_id": desk.city.drive.id, "volunteer_id": walker.id,
                                            "center": "JK01", "qty-RICE-5KG": "0"})
    assert nothing.status_code == 422 and "至少一种物品" in text(nothing)
    poor = tablet.form("/desk/walk-up", {"drive_id": desk.city.drive.id, "volunteer_id": walker.id,
                                         "center": "JK01", "qty-OIL-5L": "2"})
    assert poor.status_code == 409
    assert "时间币不够" in answer_of(text(poor)) and "60.00" in answer_of(text(poor))
    assert 'value="2"' in text(poor)  # the form keeps what was entered
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)

    fields = {"drive_id": desk.city.drive.id, "volunteer_id": walker.id, "center": "JK01", "qty-RICE-5KG": "2",
              "qty-OIL-5L": ""}
    done = tablet.form("/desk/walk-up", fields, key="walk-1")
    assert done.status_code == 200
    said = answer_of(text(done))
    assert "请交给 李*国 以下物品" in said and "大米 5公斤 × 2 袋" in said and "现场兑换并领取" in said
    assert balance(desk.db, walker.id).available == 40_00 - 25_00
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)
    replay = tablet.form("/desk/walk-up", fields, key="walk-1")
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert balance(desk.db, walker.id).available == 40_00 - 25_00  # handed over once

    runner = desk.app.test_cli_runner()
    clean = runner.invoke(args=["ledger", "check"])
    assert clean.exit_code == 0, clean.output


def test_staff_serve_their_own_desk_and_volunteers_none(desk, make_user):
    other = Tablet(desk.app, desk.other)
    page = text(other.open("/desk/?center=JK01"))  # a staff member's desk is their own center's, whatever is asked
    assert "润州区中心" in page and 'name="center" value="RZ01"' in page
    volunteer = make_user("volunteer", center="JK01")
    client = desk.app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(desk.db, volunteer)
        session["_fresh"] = True
    assert client.get("/desk/").status_code == 403


def test_a_walk_up_of_another_center_is_found_by_the_whole_phone_number_only(desk):
    """Credits are spent at any center (通存通兑): a volunteer of RZ01 at JK01's desk is found by their whole phone
    number (typed as people type it), shown with their home center and the credits they can spend, and served; part
    of the number or the name finds nobody of another center, and a refusal keeps the volunteer chosen."""
    walker = volunteer_with(desk.db, desk.city.rz, 40_00, name="周桂兰")
    tablet = Tablet(desk.app, desk.staff)
    for partial in (walker.phone[-6:], walker.phone[:10], "周桂兰"):
        page = text(tablet.open(f"/desk/?search={quote(partial)}"))
        assert f'value="{walker.id}"' not in page and "desk-walk-up-who" not in page and "润州区中心" not in page
        assert "其他中心的志愿者，请输入完整的手机号" in page

    typed = f"+86 {walker.phone[:3]} {walker.phone[3:7]}-{walker.phone[7:]}"
    found = text(tablet.open(f"/desk/?search={quote(typed)}"))
    assert f'<option value="{walker.id}" selected>' in found
    who = re.search(r'<dl class="desk-walk-up-who".*?</dl>', found, re.S).group(0)
    assert "周桂兰" in who and "润州区中心（RZ01）" in who and "40.00 时间币" in who
    assert "这是其他中心的志愿者" in found

    fields = {"drive_id": desk.city.drive.id, "volunteer_id": walker.id, "center": "JK01", "search": typed}
    poor = tablet.form("/desk/walk-up", {**fields, "qty-OIL-5L": "2"})
    assert poor.status_code == 409 and "60.00" in answer_of(text(poor))
    assert f'<option value="{walker.id}" selected>' in text(poor) and "40.00 时间币" in text(poor)  # still chosen
    done = tablet.form("/desk/walk-up", {**fields, "qty-RICE-5KG": "2"})
    assert done.status_code == 200, answer_of(text(done))
    assert "请交给 周*兰 以下物品" in answer_of(text(done)) and "大米 5公斤 × 2 袋" in answer_of(text(done))
    assert f'value="{walker.id}"' not in text(done)  # handed over: the next walk-up starts afresh
    assert balance(desk.db, walker.id).available == 40_00 - 25_00
    assert stock_of(desk.db, desk.city.drive.id, "JK01", "RICE-5KG") == (10, 0, 2)
    assert "15.00 时间币" in text(tablet.open(f"/desk/?search={walker.phone}"))

    set_volunteer_active(desk.db, actor=SYSTEM, volunteer_id=walker.id, active=False)
    gone = text(tablet.open(f"/desk/?search={walker.phone}"))
    assert f'value="{walker.id}"' not in gone and f"所有中心都没有手机号为 {walker.phone} 的在册志愿者" in gone
    clean = desk.app.test_cli_runner().invoke(args=["ledger", "check"])
    assert clean.exit_code == 0, clean.output
