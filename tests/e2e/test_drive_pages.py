"""The drives' pages through the test client, on both databases: a volunteer reserves through the basket form, sees
the voucher, is refused in plain words (beside the item and at the top), cancels after a confirmation; the same form
sent twice reserves once; the admin adds a catalog item and sets a drive up; staff print their center's pick list."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.auth_helpers import fast_hashing, make_app, make_user, mint_session_key
from tests.drive_helpers import RICE, SYSTEM, balance, make_city, stock_of, volunteer_with
from timebank.auth.access import Principal
from timebank.catalog.services import page_of_items
from timebank.db import get_db
from timebank.drives.desk import redeem_voucher
from timebank.drives.planning import create_drive
from timebank.drives.queries import get_drive, list_drives
from timebank.drives.reservation_queries import list_reservations
from timebank.receipts.services import check_receipt

ZONE = ZoneInfo("Asia/Shanghai")
KEY_FIELD = re.compile(r'name="form_key" value="([0-9a-f]{32})"')


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def site(database_url):
    app = make_app(database_url)
    db = get_db(app)
    # Made in a context of its own and left before the requests: each request then has its own (a shared one
    # would keep the first request's signed-in person for the next client's requests).
    with app.test_request_context():
        city = make_city(db)
        volunteer = volunteer_with(db, city.jk, 40_00)
        people = type("People", (), dict(
            volunteer=make_user(db, "volunteer", volunteer_id=volunteer.id), volunteer_id=volunteer.id,
            admin=make_user(db, "admin"), staff=make_user(db, "staff", center_id=city.jk.id)))
    yield app, db, city, people
    db.dispose()


def signed_in(app, person):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), person)
        session["_fresh"] = True
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def basket(client, drive_id: int, center: str | None = None) -> tuple[str, str]:
    """The drive's page and the key its form carries."""
    page = text_of(client.get(f"/exchange/drives/{drive_id}" + (f"?center={center}" if center else "")))
    return page, KEY_FIELD.search(page).group(1)


def reserve(client, drive_id: int, key: str, center: str = "JK01", **quantities):
    return client.post(f"/exchange/drives/{drive_id}/reserve",
                       data={"form_key": key, "center": center,
                             **{f"qty-{sku.replace('_', '-')}": str(n) for sku, n in quantities.items()}})


def mine(db, people):
    """The volunteer's reservations, as the services read them."""
    volunteer = Principal(user_id=people.volunteer.user_id, username="v", role="volunteer",
                          volunteer_id=people.volunteer_id)
    return list_reservations(db, actor=volunteer).items


def test_a_volunteer_reserves_through_the_basket_and_sees_the_voucher(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    page, key = basket(client, city.drive.id)
    assert "我可用的时间币" in page and "40.00" in page
    assert "大米 5公斤" in page and "12.50" in page and "每人限兑 3" in page and "时间币够用" in page
    assert 'name="qty-RICE-5KG"' in page and '<option value="3"' in page and '<option value="4"' not in page
    done = reserve(client, city.drive.id, key, **{"RICE_5KG": 2, "OIL_5L": 0})
    assert done.status_code == 303, text_of(done)
    [reservation] = mine(db, people)
    assert done.headers["Location"].endswith(f"/exchange/reservations/{reservation.id}")
    voucher = text_of(client.get(done.headers["Location"]))
    assert "预约成功" in voucher and "待领取" in voucher and city.jk.name in voucher
    assert f"/R/{reservation.voucher_token}/qr.svg" in voucher
    short = re.search(r'class="short-code voucher-code"[^>]*>([^<]+)<', voucher).group(1)
    assert check_receipt(db, code=short).verdict.status == "valid"
    assert "大米 5公斤" in voucher and "× 2 袋" in voucher and "25.00" in voucher
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 2, 0)
    assert balance(db, people.volunteer_id).held == 2 * RICE
    listed = text_of(client.get("/exchange/reservations"))
    assert "我的预约" in listed and "出示兑换券" in listed
    book = text_of(client.get("/record-book"))
    assert "兑换预留时间币" in book and city.drive.name in book and "大米 5公斤 × 2 袋" in book


def test_the_same_form_sent_twice_reserves_once(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    _page, key = basket(client, city.drive.id)
    first = reserve(client, city.drive.id, key, RICE_5KG=1)
    second = reserve(client, city.drive.id, key, RICE_5KG=1)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(mine(db, people)) == 1
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 1, 0)
    # The key of a form that was sent cannot carry other choices: nothing more is reserved.
    changed = reserve(client, city.drive.id, key, RICE_5KG=2)
    assert changed.status_code == 409 and "errors-summary" in text_of(changed)
    assert len(mine(db, people)) == 1
    # A new rendering of the form has a new key: a second reservation is a deliberate one.
    _page, fresh = basket(client, city.drive.id)
    assert fresh != key and reserve(client, city.drive.id, fresh, RICE_5KG=1).status_code == 303
    assert len(mine(db, people)) == 2


def test_a_refusal_is_said_in_plain_words_at_the_top_and_beside_the_item(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    _page, key = basket(client, city.drive.id)
    short = reserve(client, city.drive.id, key, RICE_5KG=1, OIL_5L=1)  # 42.50 of 40.00
    page = text_of(short)
    assert short.status_code == 409
    assert "这些物品需要 42.50 时间币，您可用的只有 40.00 时间币" in page
    assert not mine(db, people) and stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    over = text_of(reserve(client, city.drive.id, KEY_FIELD.search(page).group(1), RICE_5KG=4))
    assert "“大米 5公斤”每人最多兑换 3 份" in over
    assert re.search(r'id="qty-RICE-5KG-error">[^<]*每人最多兑换', over), "the limit is said beside the rice"
    sold_out = text_of(reserve(client, city.drive.id, KEY_FIELD.search(over).group(1), center="RZ01", RICE_5KG=3))
    assert "润州区中心的“大米 5公斤”只剩 2 份了" in sold_out
    assert not mine(db, people) and stock_of(db, city.drive.id, "RZ01", "RICE-5KG") == (2, 0, 0)
    empty = reserve(client, city.drive.id, KEY_FIELD.search(sold_out).group(1))
    assert empty.status_code == 422 and "请先至少选一件物品" in text_of(empty)
    stale = reserve(client, city.drive.id, "not-a-key", RICE_5KG=1)
    assert stale.status_code == 422 and "页面已经过期" in text_of(stale) and not mine(db, people)


def test_a_closed_drive_refuses_in_plain_words(site):
    app, db, city, people = site
    now = datetime.now(ZONE).replace(microsecond=0)
    later = create_drive(db, actor=SYSTEM, name="明年春季兑换", centers=["JK01"], opens_at=now + timedelta(days=30),
                         closes_at=now + timedelta(days=40), pickup_until=now + timedelta(days=50),
                         items=[{"sku": "RICE-5KG", "center": "JK01", "stock": 5, "limit_per_volunteer": None}])
    client = signed_in(app, people.volunteer)
    page, key = basket(client, later.id)
    assert "开始预约，现在可以先看看有哪些物品" in page and 'name="qty-RICE-5KG"' not in page
    refused = reserve(client, later.id, key, RICE_5KG=1)
    assert refused.status_code == 409 and "本次活动的预约时间是" in text_of(refused)
    assert stock_of(db, later.id, "JK01", "RICE-5KG") == (5, 0, 0)


def test_cancelling_asks_first_then_returns_the_credits_and_the_stock(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    _page, key = basket(client, city.drive.id)
    voucher = reserve(client, city.drive.id, key, OIL_5L=1).headers["Location"]
    [reservation] = mine(db, people)
    asked = text_of(client.get(f"/exchange/reservations/{reservation.id}/cancel"))
    assert "确定要取消这个预约吗" in asked and "30.00" in asked and "不取消，保留预约" in asked
    cancel_key = KEY_FIELD.search(asked).group(1)
    done = client.post(f"/exchange/reservations/{reservation.id}/cancel", data={"form_key": cancel_key})
    again = client.post(f"/exchange/reservations/{reservation.id}/cancel", data={"form_key": cancel_key})
    assert done.status_code == 303 and done.headers["Location"] == voucher
    assert again.status_code == 303 and again.headers["Location"] == voucher  # the second tap: the same answer
    page = text_of(client.get(voucher))
    assert "预约已取消，30.00 时间币已退还给您" in page and "已取消" in page and "不能再取消" not in page
    assert f"/exchange/reservations/{reservation.id}/cancel" not in page
    late = client.post(f"/exchange/reservations/{reservation.id}/cancel", data={"form_key": "e" * 32})
    assert late.status_code == 303 and "不能再取消" in text_of(client.get(voucher))
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    assert balance(db, people.volunteer_id).held == 0
    assert check_receipt(db, code=reservation.voucher_token).verdict.status != "valid"


def test_the_exchange_pages_are_the_volunteers_own(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    _page, key = basket(client, city.drive.id)
    reserve(client, city.drive.id, key, RICE_5KG=1)
    [reservation] = mine(db, people)
    other = make_user(db, "volunteer", volunteer_id=volunteer_with(db, city.jk, 10_00, name="李桂兰").id)
    stranger = signed_in(app, other)
    assert stranger.get(f"/exchange/reservations/{reservation.id}").status_code == 404
    assert stranger.post(f"/exchange/reservations/{reservation.id}/cancel",
                         data={"form_key": "a" * 32}).status_code == 404
    assert signed_in(app, people.staff).get(f"/exchange/drives/{city.drive.id}").status_code == 403


def test_the_volunteer_home_leads_to_the_open_drive(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    home = text_of(client.get("/"))
    assert f"/exchange/drives/{city.drive.id}" in home and "选择物品" in home and "即将推出" not in home
    _page, key = basket(client, city.drive.id)
    reserve(client, city.drive.id, key, RICE_5KG=1)
    assert "待领取的兑换券：1 张" in text_of(client.get("/"))
    hub = text_of(client.get("/exchange/"))
    assert "待领取的兑换券" in hub and "正在进行的兑换活动" in hub


def test_the_admin_adds_a_catalog_item_and_sets_a_drive_up(site):
    app, db, city, people = site
    client = signed_in(app, people.admin)
    refused = client.post("/catalog/new", data={"sku": "", "name_zh": "鸡蛋", "unit": "盒", "price": "x"})
    assert refused.status_code == 422 and "f-sku-error" in text_of(refused) and "f-price-error" in text_of(refused)
    added = client.post("/catalog/new", data={"sku": "egg-10", "name_zh": "鸡蛋 10个", "name_en": "Eggs, 10",
                                              "unit": "盒", "price": "8.00"})
    assert added.status_code == 302
    [egg] = [item for item in page_of_items(db, actor=SYSTEM).items if item.sku == "EGG-10"]
    assert egg.price == 800 and egg.name_en == "Eggs, 10"
    assert "EGG-10" in text_of(client.get("/catalog/?search=鸡蛋"))
    assert client.post(f"/catalog/{egg.id}/edit", data={"name_zh": "鸡蛋 10个", "unit": "盒",
                                                         "price": "9.50"}).status_code == 302
    form = text_of(client.get("/drives/new"))
    assert 'name="stock-EGG-10"' in form and 'value="RZ01"' in form
    fields = {"name": "冬季兑换活动", "opens_at": "2030-01-06T08:00", "closes_at": "2030-01-12T18:00",
              "pickup_until": "2030-01-20T18:00", "centers": ["JK01", "RZ01"], "stock-EGG-10": "40",
              "limit-EGG-10": "2", "stock-RICE-5KG": "many"}
    bad = client.post("/drives/new", data=fields)
    assert bad.status_code == 422 and 'id="f-stock-RICE-5KG-error"' in text_of(bad)
    fields["stock-RICE-5KG"] = ""
    made = client.post("/drives/new", data=fields)
    assert made.status_code == 302, text_of(made)
    [drive] = [d for d in list_drives(db, actor=SYSTEM).items if d.name == "冬季兑换活动"]
    found = get_drive(db, actor=SYSTEM, drive_id=drive.id)
    assert found.opens_at == datetime(2030, 1, 6, 8, 0, tzinfo=ZONE)
    assert sorted((e.center, e.sku, e.stock, e.limit_per_volunteer) for e in found.items) == [
        ("JK01", "EGG-10", 40, 2), ("RZ01", "EGG-10", 40, 2)]
    dashboard = text_of(client.get(made.headers["Location"]))
    assert "冬季兑换活动" in dashboard and "drive_pages.js" in dashboard and "数据每 15 秒自动刷新" in dashboard
    # One center's stock, and the limit for the whole drive.
    assert client.post(f"/drives/{drive.id}/stock", data={"center": "RZ01", "stock-EGG-10": "15"}).status_code == 302
    assert client.post(f"/drives/{drive.id}/edit", data={"name": "冬季兑换活动", "limit-EGG-10": "4",
                                                          "opens_at": "2030-01-06T08:00",
                                                          "closes_at": "2030-01-12T18:00",
                                                          "pickup_until": "2030-01-20T18:00"}).status_code == 302
    found = get_drive(db, actor=SYSTEM, drive_id=drive.id)
    assert sorted((e.center, e.stock, e.limit_per_volunteer) for e in found.items) == [("JK01", 40, 4),
                                                                                        ("RZ01", 15, 4)]


def test_the_dashboard_and_the_stock_page_show_what_is_held_and_refuse_less(site):
    app, db, city, people = site
    volunteer = signed_in(app, people.volunteer)
    _page, key = basket(volunteer, city.drive.id)
    reserve(volunteer, city.drive.id, key, RICE_5KG=3)
    client = signed_in(app, people.admin)
    figures = text_of(client.get(f"/drives/{city.drive.id}/figures?center=JK01"))
    row = re.search(r"大米 5公斤.*?</tr>", figures, re.S).group(0)
    assert re.findall(r'class="num">(\d+)', row) == ["12", "3", "0", "9"]  # the city: stock, held, sold, left
    assert "<html" not in figures and "京口区大市口中心（JK01）" in figures and "润州区中心（RZ01）" not in figures
    refused = client.post(f"/drives/{city.drive.id}/stock", data={"center": "JK01", "stock-RICE-5KG": "2"})
    assert refused.status_code == 409 and "不能少于" in text_of(refused)
    assert stock_of(db, city.drive.id, "JK01", "RICE-5KG") == (10, 3, 0)
    assert "活动已经开始，时间不能再修改" in text_of(client.get(f"/drives/{city.drive.id}/edit"))


def test_the_stock_page_never_saves_one_centers_stock_at_another(site):
    """A form naming a center not taking part (an old page, a hand-edited form) is refused: it used to save the stock
    at the drive's first center instead."""
    app, db, city, people = site
    client = signed_in(app, people.admin)
    refused = client.post(f"/drives/{city.drive.id}/stock", data={"center": "NOPE", "stock-OIL-5L": "7"})
    assert refused.status_code == 422 and "请先选择参与本次活动的一个中心" in text_of(refused)
    assert stock_of(db, city.drive.id, "JK01", "OIL-5L") == (5, 0, 0)
    assert stock_of(db, city.drive.id, "RZ01", "OIL-5L") == (2, 0, 0)
    saved = client.post(f"/drives/{city.drive.id}/stock", data={"center": "RZ01", "stock-OIL-5L": "7"})
    assert saved.status_code == 302 and stock_of(db, city.drive.id, "RZ01", "OIL-5L") == (7, 0, 0)


def test_staff_see_their_centers_pick_list_and_download_it(site):
    app, db, city, people = site
    volunteer = signed_in(app, people.volunteer)
    _page, key = basket(volunteer, city.drive.id)
    reserve(volunteer, city.drive.id, key, RICE_5KG=2, OIL_5L=0)
    staff = signed_in(app, people.staff)
    listed = text_of(staff.get("/drives/"))
    assert city.drive.name in listed and f"/drives/{city.drive.id}/pick-list" in listed and "创建兑换活动" not in listed
    page = text_of(staff.get(f"/drives/{city.drive.id}/pick-list"))
    assert "备货单" in page and "需要备货" in page and city.jk.name in page and "data-print" in page
    assert re.search(r"大米 5公斤.*?<strong>2</strong>", page, re.S)
    assert "王小英" in page
    csv = staff.get(f"/drives/{city.drive.id}/pick-list.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data().decode("utf-8-sig")
    assert "RICE-5KG,大米 5公斤,袋,10,2,0" in text.splitlines() and "王小英" in text
    assert staff.get(f"/drives/{city.drive.id}/edit").status_code == 403
    assert staff.get("/catalog/").status_code == 403
    assert "食用油 5升 × " not in page  # the oil was not reserved


def test_after_pickup_the_voucher_and_the_record_book_say_so_in_words(site):
    app, db, city, people = site
    client = signed_in(app, people.volunteer)
    _page, key = basket(client, city.drive.id)
    voucher = reserve(client, city.drive.id, key, RICE_5KG=1).headers["Location"]
    [reservation] = mine(db, people)
    redeem_voucher(db, actor=city.staff(city.jk), text=reservation.voucher_short_code)
    page = text_of(client.get(voucher))
    assert "已领取" in page and "谢谢您" in page and 'class="voucher-qr"' not in page
    book = text_of(client.get("/record-book"))
    assert "兑换领取，时间币已扣除" in book and "兑换预留时间币" in book and "-12.50" in book
    assert book.count(city.drive.name) == 2  # the hold and its pickup both name the drive
    assert f"/exchange/reservations/{reservation.id}" not in book  # collected: no voucher left to show
    client.set_cookie("tb_lang", "en")
    late = text_of(client.get(f"/exchange/reservations/{reservation.id}/cancel", follow_redirects=True))
    assert "can no longer be cancelled: its status is “Collected”." in late  # it said "it is Collected."
