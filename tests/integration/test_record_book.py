"""The account and the record book through their queries, on SQLite and PostgreSQL: figures after approvals, a
rejection, a reversal and a hold; the running balance on every page; who may read whose."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.hours import services
from timebank.ledger import standalone
from timebank.ledger.accounts import REDEMPTION_SINK, account_id_for
from timebank.ledger.postings import Cause
from timebank.paging import MAX_PER_PAGE
from timebank.record_book import queries
from timebank.service_types.services import create_service_type
from timebank.volunteers.services import VolunteerNotFound, create_volunteer

SYSTEM = Principal.system("test")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def city(db):
    jk = create_center(db, actor=SYSTEM, code="JK01", name="京口区大市口中心", district="京口区")
    rz = create_center(db, actor=SYSTEM, code="RZ01", name="润州区中心", district="润州区")
    create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=100)
    wang = create_volunteer(db, actor=SYSTEM, name="王小英", phone="13800000001", home_center="JK01")
    zhao = create_volunteer(db, actor=SYSTEM, name="赵六", phone="13800000003", home_center="RZ01")
    staff_jk = Principal(user_id=None, username="staff-jk", role="staff", center_id=jk.id)
    return type("City", (), dict(jk=jk, rz=rz, wang=wang, zhao=zhao, staff_jk=staff_jk))


def log(db, city, volunteer, day: int, hours: float, *, center="JK01"):
    """A record on day ``day`` before NOW (one a day, so they never overlap), logged then."""
    started = NOW - timedelta(days=day, hours=3)
    return services.log_record(db, actor=SYSTEM, volunteer_id=volunteer.id, center=center, service_type="visit",
                               started_at=started, ended_at=started + timedelta(hours=hours),
                               now=NOW - timedelta(days=day) + timedelta(minutes=1))


def approve(db, city, record, *, at, validity_days=730):
    [approved] = services.approve_records(db, actor=city.staff_jk, record_ids=[record.id],
                                          validity_days=validity_days, now=at)
    return approved


@pytest.fixture
def history(db, city):
    """王小英: three approved (1.00, 2.00 expiring in 20 days, 0.50), one reversed, one rejected, one pending,
    and a hold of 0.30."""
    first = approve(db, city, log(db, city, city.wang, 9, 1), at=NOW - timedelta(days=8))
    soon = approve(db, city, log(db, city, city.wang, 8, 2), at=NOW - timedelta(days=7), validity_days=27)
    third = approve(db, city, log(db, city, city.wang, 7, 0.5), at=NOW - timedelta(days=6))
    mistaken = approve(db, city, log(db, city, city.wang, 6, 1.5), at=NOW - timedelta(days=5))
    services.reverse_record(db, actor=city.staff_jk, record_id=mistaken.id, reason="录错了",
                            now=NOW - timedelta(days=4))
    rejected = log(db, city, city.wang, 5, 1)
    services.reject_record(db, actor=city.staff_jk, record_id=rejected.id, reason="不是服务", now=NOW)
    pending = log(db, city, city.wang, 3, 1)
    sink = standalone.run(db, lambda s: account_id_for(s, REDEMPTION_SINK))
    hold = standalone.place_hold(db, account_id=city.wang.account_id, to_account_id=sink, amount=30,
                                 timeout=timedelta(days=3), key="hold-rice", cause=Cause.user(1, "test", 1),
                                 now=NOW - timedelta(days=2))
    return type("History", (), dict(first=first, soon=soon, third=third, mistaken=mistaken, rejected=rejected,
                                    pending=pending, hold=hold))


def test_the_account_says_balance_held_available_lots_and_what_expires_within_30_days(db, city, history):
    account = queries.get_account(db, actor=city.staff_jk, volunteer_id=city.wang.id, now=NOW)
    assert (account.balance, account.held, account.available) == (350, 30, 320)
    # the hold took 0.30 from the oldest-expiring lot (the 2.00 one, expiring in 20 days)
    assert [(lot.remaining, lot.expires_at) for lot in account.lots] == [
        (170, NOW - timedelta(days=7) + timedelta(days=27)),
        (100, NOW - timedelta(days=8) + timedelta(days=730)),
        (50, NOW - timedelta(days=6) + timedelta(days=730)),
    ]
    assert account.expiring_30d == 170 and len(account.expiring_lots) == 1
    assert sum(lot.remaining for lot in account.lots) == account.available


def test_the_record_book_lists_every_record_and_movement_newest_first_with_the_balance_after_each(db, city, history):
    book = queries.get_record_book(db, actor=city.staff_jk, volunteer_id=city.wang.id, per_page=50, now=NOW)
    entries = book.entries.items
    assert [(e.kind, e.change, e.balance, e.held) for e in entries] == [
        ("pending", 0, 350, 30),      # the hold: the balance stays, 0.30 held
        ("record", 0, 350, 0),        # the pending record, logged 3 days ago
        ("reversal", -150, 350, 0),   # 4 days ago
        ("record", 0, 500, 0),        # the rejected one, logged 5 days ago (a minute after the mint below)
        ("mint", 150, 500, 0),
        ("mint", 50, 350, 0),
        ("mint", 200, 300, 0),
        ("mint", 100, 100, 0),
    ]
    assert [e.record.id if e.record else None for e in entries] == [
        None, history.pending.id, history.mistaken.id, history.rejected.id, history.mistaken.id, history.third.id,
        history.soon.id, history.first.id]
    assert entries[2].record.status == "reversed" and entries[3].record.status == "rejected"
    assert all(e.record.receipt_short_code for e in entries if e.kind == "mint")
    assert entries[1].record.receipt_token is None
    assert book.entries.total == 8
    assert book.account.balance == entries[0].balance


@pytest.mark.parametrize("per_page", [1, 3, 5])
def test_every_page_carries_the_same_running_balance_as_the_whole_book(db, city, history, per_page):
    whole = queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.wang.id, per_page=MAX_PER_PAGE, now=NOW)
    paged = []
    book = queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.wang.id, per_page=per_page, now=NOW)
    assert book.entries.pages == -(-8 // per_page)
    for page in range(1, book.entries.pages + 1):
        paged += queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.wang.id, page=page,
                                         per_page=per_page, now=NOW).entries.items
    assert [(e.kind, e.transfer_id, e.balance, e.held) for e in paged] == \
        [(e.kind, e.transfer_id, e.balance, e.held) for e in whole.entries.items]


def test_a_page_past_the_end_is_empty(db, city, history):
    book = queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.wang.id, page=9, per_page=5, now=NOW)
    assert book.entries.items == () and book.entries.total == 8


def test_a_posted_hold_and_an_expired_lot_lower_the_balance_in_the_book(db, city, history):
    standalone.post_hold(db, hold_id=history.hold.id, key="post-rice", cause=Cause.user(1, "test", 1),
                         now=NOW - timedelta(days=1))
    later = NOW + timedelta(days=30)
    standalone.expire_due_lots(db, cause=Cause.job("expire-credits", 1), now=later)
    book = queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.wang.id, per_page=3, now=later)
    assert [(e.kind, e.change, e.balance, e.held) for e in book.entries.items] == [
        ("expire", -170, 150, 0), ("post", -30, 320, 0), ("pending", 0, 350, 30)]
    assert (book.account.balance, book.account.held, book.account.expiring_30d) == (150, 0, 0)


def test_a_volunteer_reads_only_their_own_account_and_book(db, city, history):
    wang = Principal(user_id=None, username="wang", role="volunteer", volunteer_id=city.wang.id)
    assert queries.get_account(db, actor=wang, volunteer_id=city.wang.id, now=NOW).balance == 350
    with pytest.raises(VolunteerNotFound):
        queries.get_account(db, actor=wang, volunteer_id=city.zhao.id)
    with pytest.raises(VolunteerNotFound):
        queries.get_record_book(db, actor=wang, volunteer_id=city.zhao.id)


def test_staff_read_their_centers_volunteers_supervisors_theirs_admins_all(db, city, history):
    with pytest.raises(VolunteerNotFound):
        queries.get_record_book(db, actor=city.staff_jk, volunteer_id=city.zhao.id)
    supervisor = Principal(user_id=None, username="gu", role="supervisor",
                           supervised_center_ids=frozenset({city.jk.id}))
    assert queries.get_record_book(db, actor=supervisor, volunteer_id=city.wang.id).entries.total == 8
    with pytest.raises(VolunteerNotFound):
        queries.get_account(db, actor=supervisor, volunteer_id=city.zhao.id)
    admin = Principal(user_id=None, username="admin", role="admin")
    assert queries.get_account(db, actor=admin, volunteer_id=city.zhao.id).balance == 0
    assert queries.get_record_book(db, actor=admin, volunteer_id=city.zhao.id).entries.total == 0


def test_an_empty_book_has_one_empty_page(db, city):
    book = queries.get_record_book(db, actor=SYSTEM, volunteer_id=city.zhao.id)
    assert (book.entries.items, book.entries.total, book.entries.pages, book.account.lots) == ((), 0, 1, ())


def test_a_page_reads_a_few_lots_and_the_same_totals_as_the_whole_account(db, city, history):
    whole = queries.get_account(db, actor=SYSTEM, volunteer_id=city.wang.id, now=NOW)
    few = queries.get_account(db, actor=SYSTEM, volunteer_id=city.wang.id, now=NOW, lot_limit=1)
    assert few.lots == whole.lots[:1] and (few.lot_count, whole.lot_count) == (3, 3)
    assert (few.expiring_30d, few.balance, few.available) == (whole.expiring_30d, whole.balance, whole.available)


def test_a_page_costs_the_same_statements_however_long_the_book(db, city, history):
    """No query per entry: page 2 of a long book runs as many statements as page 2 of a short one."""
    from sqlalchemy import event

    def statements(volunteer, page):
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            queries.get_record_book(db, actor=SYSTEM, volunteer_id=volunteer.id, page=page, per_page=3, now=NOW,
                                    lot_limit=2)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    short = create_volunteer(db, actor=SYSTEM, name="钱七", phone="13800000009", home_center="JK01")
    for day in (3, 2, 1):
        approve(db, city, log(db, city, short, day, 1), at=NOW - timedelta(days=day) + timedelta(hours=1))
    assert statements(city.wang, 2) == statements(short, 1) + 1  # page 2 adds the one sum of the newer entries
