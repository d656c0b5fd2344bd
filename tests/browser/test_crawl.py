"""A crawler keeps server errors and untranslated words out of every page a person can reach.

With the demo city loaded (6 centers, 100 volunteers: every list has more than one page), each role signs in as a
person would (changing the demo's one-time password first) and follows every same-origin link and every GET form
(search, filters, pager) reachable from the home page, in Chromium at 1280 px and at 360 px. Every page must answer
below 500, must not scroll sideways on the phone, and, being Chinese, must show no English word outside an
allow-list of codes and names. Pages of later features are reached through their links: they join without new code.
"""
from __future__ import annotations

import re
from pprint import pformat
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import sqlite_only
from timebank.db import get_db
from timebank.demo import SERVICE_TYPES, seed_demo
from timebank.hours.import_format import COLUMNS as RECORD_COLUMNS
from timebank.volunteers.csv_import import COLUMNS

pytestmark = [sqlite_only, pytest.mark.usefixtures("fast_password_hashing")]

DEMO_PASSWORD = "demo-lantern-2024"
OWN_PASSWORD = "my-own-harbor-58"
LOGINS = {"admin": "admin", "staff": "staff-jk01", "supervisor": "supervisor", "volunteer": "13951100001"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
MAX_PAGES = 90  # per person and screen: enough for every page kind, bounded on a busy machine
PER_SHAPE = 2  # pages of one shape (/volunteers/N/edit, ?page=N …) visited: the first ones tell the rest

# Latin words a Chinese page may show: file formats, products and abbreviations people use as they are, the demo's
# usernames, its service type codes and the import file's column names (identifiers, typed as they are). Anything
# else is English left untranslated.
ALLOWED_WORDS = {"CSV", "XLSX", "ID", "QR", "Excel", "WPS", "MB", "admin", "supervisor"} | \
    {code for code, *_ in SERVICE_TYPES} | set(COLUMNS) | set(RECORD_COLUMNS)
LATIN_WORD = re.compile(r"(?<![\w@.-])[A-Za-z][A-Za-z']+(?![\w@.-])")

# The page's visible words, leaving out what is marked as not to be translated (translate="no", lang="en": the
# language switch, usernames in the audit log) and what is never shown (scripts, styles).
VISIBLE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [translate=no], [lang]:not([lang^=zh])')) continue;
    parts.push(node.textContent);
  }
  for (const element of document.querySelectorAll('[aria-label], input[type=submit][value]'))
    if (!element.closest('[translate=no]')) parts.push(element.getAttribute('aria-label') || element.value);
  return parts.join(' ');
}"""

SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Every link and GET form of the page, as addresses: a form is sent as it stands, and once more per drop-down with
# its last choice picked (a filter in use), and with a search typed when it has a search box.
# Links that download a file (the import's templates): fetched and checked, never opened as a page.
DOWNLOADS = "() => [...document.querySelectorAll('a[href][download]')].map(a => a.href)"

REACHABLE = """() => {
  const found = [...document.querySelectorAll('a[href]:not([download])')].map(a => a.href);
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    const base = new FormData(form);
    const variants = [new URLSearchParams(base)];
    for (const select of form.querySelectorAll('select')) {
      const last = select.options[select.options.length - 1];
      const params = new URLSearchParams(base);
      params.set(select.name, last.value);
      variants.push(params);
    }
    const search = form.querySelector('input[type=search]');
    if (search) { const params = new URLSearchParams(base); params.set(search.name, '王'); variants.push(params); }
    for (const params of variants) found.push(new URL(form.action || location.href, location.href).pathname + '?' + params.toString());
  }
  return found;
}"""


@pytest.fixture
def demo_city(live_server):
    # The fixtures below place their own records (anomalies, a long record book, a pending list) for the same
    # volunteers; the demo's month of records would overlap them.
    city = seed_demo(get_db(live_server.app), password=DEMO_PASSWORD, records=False)
    _service_requests(get_db(live_server.app))
    return {**{role: (username, DEMO_PASSWORD) for role, username in LOGINS.items() if role != "admin"},
            "admin": ("admin", city.first_admin_password)}


@pytest.fixture
def demo_records(live_server, demo_city):
    """Service records with every kind of anomaly at the demo's JK01 (the demo has no records yet), so the
    anomalies and rating pages are crawled with rows, links and a rating form."""
    from tests.supervision_helpers import seed_anomalies
    from timebank.auth.access import Principal
    from timebank.users.services import list_users
    from timebank.volunteers.services import list_volunteers

    db = get_db(live_server.app)
    volunteers = list_volunteers(db, actor=Principal.system("test"), center="JK01", per_page=2).items
    return seed_anomalies(db, center="JK01", other_center="JK02", volunteer_ids=[v.id for v in volunteers],
                          service_type=SERVICE_TYPES[0][0],
                          staff_user_id=list_users(db, actor=Principal.system("test")).items[0].id)


@pytest.fixture
def receipt_pages(live_server, demo_city):
    """The public receipt pages (reached from a QR code, not from a link): a valid receipt by its token, a used
    voucher by its short code, and the short-code form."""
    from timebank.receipts.codec import Kind
    from tests.receipt_helpers import ReceiptCity
    from timebank.centers.services import list_centers
    from timebank.auth.access import Principal
    from timebank.volunteers.services import list_volunteers

    db, system = get_db(live_server.app), Principal.system("test")
    centers = list_centers(db, actor=system, per_page=2).items
    volunteer = list_volunteers(db, actor=system, per_page=1).items[0]
    city = ReceiptCity(db=db, center_id=centers[0].id, other_center_id=centers[1].id, volunteer_id=volunteer.id)
    valid, used = city.issue(Kind.SERVICE_RECORD), city.issue(Kind.VOUCHER, days=14)
    city.revoke(used, "redeemed", at_other_center=True)
    return ("/R/", f"/R/{valid.token}", f"/R/{used.display_code}")


def _service_requests(db) -> None:
    """Today's requests at JK01 (the demo's staff and first volunteer are there): one open, one claimed, one cancelled,
    so the crawler reaches every kind of request page for staff and the volunteer's open list."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from timebank.auth.access import Principal
    from timebank.service_requests import services

    system = Principal.system("test")
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    made = [services.post_request(db, actor=system, center="JK01", service_type=SERVICE_TYPES[0][0],
                                  resident="3号楼 张奶奶", starts_at=start + timedelta(hours=n),
                                  ends_at=start + timedelta(hours=n + 1), place="活动室", volunteers_needed=2)
            for n in range(3)]
    services.cancel_request(db, actor=system, request_id=made[2].id, reason="老人住院了")


def check_in_page(live_server) -> str:
    """What a volunteer's camera opens from the check-in poster (reached from its QR code, not from a link)."""
    from timebank.auth.access import Principal
    from timebank.centers.services import list_centers
    from timebank.check_ins.services import poster_code

    db, system = get_db(live_server.app), Principal.system("test")
    center = list_centers(db, actor=system, per_page=1).items[0].code
    text = poster_code(db, actor=system, center=center, prefix=live_server.url.upper()).text
    return "/C/" + text.split("/C/", 1)[1]


@pytest.fixture
def demo_record_book(live_server, demo_city):
    """The demo volunteer's record book with more than a page of entries (records, receipts, a reversal, a hold)."""
    from tests.record_book_helpers import fill_record_book
    from timebank.auth.access import Principal
    from timebank.volunteers.services import list_volunteers

    db = get_db(live_server.app)
    volunteer = list_volunteers(db, actor=Principal.system("test"), search=LOGINS["volunteer"], per_page=1).items[0]
    fill_record_book(db, volunteer.id, service_type=SERVICE_TYPES[0][0])
    return volunteer


@pytest.fixture
def record_pages(live_server, demo_city):
    """Service records of the demo volunteer at JK01, until the demo logs its own: 25 pending (the pending list
    pages), one approved with its receipt (its page shows the QR) and one rated; the volunteer reaches their own
    record's page from a link the record book will give, so it is visited directly."""
    from datetime import datetime, timedelta, timezone

    from timebank.auth.access import Principal
    from timebank.hours import services
    from timebank.volunteers.services import list_volunteers

    db, system = get_db(live_server.app), Principal.system("test")
    volunteer = list_volunteers(db, actor=system, search=LOGINS["volunteer"]).items[0]
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=40)  # clear of the other fixtures' records
    ids = [services.log_record(db, actor=system, volunteer_id=volunteer.id, center=volunteer.home_center,
                               service_type=SERVICE_TYPES[0][0], started_at=start - timedelta(hours=3 * n),
                               ended_at=start - timedelta(hours=3 * n - 2)).id for n in range(27)]
    services.approve_records(db, actor=system, record_ids=ids[:1], validity_days=730)
    services.confirm_record(db, actor=system, record_id=ids[1], rating=5, comment="很耐心")
    return (f"/records/{ids[0]}", f"/records/{ids[1]}")


def shape(url: str) -> str:
    """What kind of page an address is: the path with its numbers replaced, and the names of its arguments."""
    parts = urlsplit(url)
    names = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair and not pair.endswith("=")})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(names)


def normalized(url: str) -> str:
    parts = urlsplit(url)
    pairs = sorted(pair for pair in parts.query.split("&") if pair and not pair.endswith("="))
    return parts.path + ("?" + "&".join(pairs) if pairs else "")


def sign_in_as_a_person(page, server, username: str, password: str) -> None:
    """The sign-in form, then the forced change of a one-time password if it comes (the demo's passwords are)."""
    page.goto(server.at("/sign-in"))
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(password)
    page.locator("form.panel button[type=submit]").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/password":
        page.locator("#f-current_password").fill(password)
        page.locator("#f-new_password").fill(OWN_PASSWORD)
        page.locator("#f-confirm_password").fill(OWN_PASSWORD)
        page.locator("form.panel button[type=submit]").click()
        page.wait_for_load_state()
    assert urlsplit(page.url).path == "/", f"{username} is not signed in: {page.url}"


def crawl(page, server, *, phone: bool, start: str = "/", also: tuple[str, ...] = ()) -> tuple[list[str], dict]:
    """Visit what is reachable from ``start`` and from the pages ``also`` (reached without a link: a receipt's
    QR code); return the pages seen and the problems per page."""
    origin = urlsplit(server.url).netloc
    queue, seen, visited, per_shape, problems, downloads = deque([start, *also]), {start, *also}, [], {}, {}, set()
    while queue and len(visited) < MAX_PAGES:
        address = queue.popleft()
        kind = shape(address)
        if per_shape.get(kind, 0) >= PER_SHAPE:
            continue
        per_shape[kind] = per_shape.get(kind, 0) + 1
        visited.append(address)
        found = []
        if address in downloads:
            fetched = page.request.get(server.at(address))
            if fetched.status >= 400 or "attachment" not in fetched.headers.get("content-disposition", ""):
                problems[address] = [f"download answered {fetched.status}"]
            continue
        response = page.goto(server.at(address))
        if response is None or response.status >= 500:
            found.append(f"answered {response.status if response else 'nothing'}")
        elif response.headers.get("content-type", "").startswith("text/html"):
            if page.evaluate("document.documentElement.lang") == "zh-CN":
                words = {word for word in LATIN_WORD.findall(page.evaluate(VISIBLE_TEXT)) if word not in ALLOWED_WORDS}
                if words:
                    found.append(f"English on a Chinese page: {sorted(words)}")
            if phone and page.evaluate(SIDEWAYS_SCROLL) > 1:
                found.append("scrolls sideways on a 360 px phone")
            downloads.update(normalized(urljoin(server.at(address), link)) for link in page.evaluate(DOWNLOADS))
            for link in page.evaluate(REACHABLE):
                target = urlsplit(urljoin(server.at(address), link))
                if target.netloc not in ("", origin) or target.path.startswith("/assets/") or \
                        target.path.startswith("/api/"):
                    continue
                key = normalized(target.geturl())
                if key not in seen:
                    seen.add(key)
                    queue.append(key)
        if found:
            problems[address] = found
    return visited, problems


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_reachable_page_answers_in_chinese_without_a_server_error(browser, live_server, demo_city, role,
                                                                         receipt_pages, demo_record_book, demo_records,
                                                                         record_pages):
    username, password = demo_city[role]
    also = receipt_pages + (check_in_page(live_server),) if role == "volunteer" else receipt_pages
    report = {}
    for screen, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        try:
            page = context.new_page()
            sign_in_as_a_person(page, live_server, username, password)
            password = OWN_PASSWORD
            also = also + (record_pages if role == "volunteer" else ())
            visited, problems = crawl(page, live_server, phone=screen == "phone", also=also)
        finally:
            context.close()
        report[screen] = problems
        # The crawl really went somewhere: past the home page, and through a pager where the role has long lists.
        assert "/password" in visited and len(visited) >= 2, f"{role} on {screen} reached only {visited}"
        assert set(receipt_pages) <= set(visited), f"{role} on {screen} never saw the receipt pages: {visited}"
        if role == "admin":
            assert any("page=2" in address for address in visited), f"{role} never reached a second page: {visited}"
        if role in ("staff", "volunteer"):
            assert any(a.startswith("/service-requests/") for a in visited), f"{role} never saw the requests"
        if role == "volunteer":
            assert {"/record-book", "/record-book?page=2"} <= set(visited), f"no record book pages: {visited}"
        if role in ("admin", "staff"):
            assert any(a.endswith("/record-book") for a in visited), f"{role} never saw a record book: {visited}"
        if role in ("admin", "staff"):  # the service records' pages, reached from the menu
            assert {"/records/new", "/records/new/group"} <= set(visited) and \
                any(re.fullmatch(r"/records/\d+", address) for address in visited), f"{role}: {visited}"
    assert report == {screen: {} for screen in VIEWPORTS}, pformat(report, width=120)


def test_the_receipt_pages_answer_an_anonymous_visitor_in_chinese(browser, live_server, receipt_pages):
    """What a family member's phone opens from a QR code, before anyone signs in, and where it leads."""
    report = {}
    for screen, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        try:
            visited, report[screen] = crawl(context.new_page(), live_server, phone=screen == "phone",
                                            start=receipt_pages[1], also=receipt_pages)
        finally:
            context.close()
        assert set(receipt_pages) <= set(visited) and "/" in visited, visited  # and on, to the sign-in page
    assert report == {screen: {} for screen in VIEWPORTS}, pformat(report, width=120)


def test_the_crawler_finds_english_and_server_errors(browser, live_server, demo_city):
    """The checks can fail: an English page and a 500 are both reported."""
    app = live_server.app

    @app.get("/__broken")
    def _broken():  # pragma: no cover - the route exists only to be found by the crawler
        raise RuntimeError("deliberately broken")

    @app.get("/__english")
    def _english():
        return '<html lang="zh-CN"><body><p>Please wait</p><a href="/__broken">x</a></body></html>'

    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        _, problems = crawl(page, live_server, phone=False, start="/__english")
    finally:
        context.close()
    assert "English on a Chinese page: ['Please', 'wait']" in problems["/__english"]
    assert problems["/__broken"] == ["answered 500"]

