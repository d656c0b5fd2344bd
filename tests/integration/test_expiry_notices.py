"""Expiry notices on both databases, with the clock given to every call (no sleeping): the 30-day and 7-day windows,
never twice for a lot and window (also with two runs at once, in threads and in processes), the remainder a notice
names, the lots that get none, batches that go through every lot, and the outbox a channel reads and marks sent."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from tests import ledger_helpers
from tests.notice_helpers import CAUSE, SYSTEM, lot, new_volunteer, open_center
from timebank.auth.access import Principal
from timebank.db import Database
from timebank.ledger import standalone
from timebank.ledger.accounts import REDEMPTION_SINK
from timebank.notices.models import ExpiryNotice, OutboxMessage
from timebank.notices.queries import list_notices, live_notices
from timebank.notices.rules import WITHIN_7_DAYS, WITHIN_30_DAYS
from timebank.notices.services import mark_sent, pending_outbox, send_expiry_notices
from timebank.volunteers.services import VolunteerNotFound

N = ExpiryNotice.__table__
O = OutboxMessage.__table__  # noqa: E741
DAY = timedelta(days=1)
# 01:00 UTC is 09:00 in Shanghai; a lot expiring at 17:00 UTC expires the next day on the city's clock.
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)
MINTED = NOW - 700 * DAY


@pytest.fixture
def center(db):
    return open_center(db)


@pytest.fixture
def volunteer(db, center):
    return new_volunteer(db, center)


def notices(db) -> list:
    return db.transaction(lambda s: s.execute(
        select(N.c.lot_id, N.c.kind, N.c.credits, N.c.volunteer_id).order_by(N.c.id)).all(), readonly=True)


def outbox(db) -> list:
    return db.transaction(lambda s: s.execute(select(O).order_by(O.c.id)).all(), readonly=True)


def sink(db) -> int:
    return standalone.open_account(db, code=REDEMPTION_SINK, kind="redemption")


def spend(db, volunteer, amount: int, *, now: datetime) -> int:
    """Hold ``amount`` of the volunteer's credits (oldest lots first), then post it: spent. The hold's id."""
    hold = standalone.place_hold(db, account_id=volunteer.account_id, to_account_id=sink(db), amount=amount,
                                 timeout=14 * DAY, key=ledger_helpers.key(), cause=CAUSE, now=now)
    standalone.post_hold(db, hold_id=hold.id, key=ledger_helpers.key(), cause=CAUSE, now=now)
    return hold.id


# ---------------------------------------------------------------------------------------------------- the windows

def test_a_lot_expiring_within_30_days_gets_a_notice_and_a_message_in_chinese(db, center, volunteer):
    expires = datetime(2026, 12, 25, 17, 0, tzinfo=timezone.utc)  # 2026-12-26 01:00 in Shanghai
    lot_id = lot(db, volunteer, center, 1250, expires_at=expires, now=MINTED)

    assert send_expiry_notices(db, now=NOW) == 1

    assert notices(db) == [(lot_id, WITHIN_30_DAYS, 1250, volunteer.id)]
    [message] = outbox(db)
    assert (message.channel, message.volunteer_id, message.sent_at, message.created_at) == (
        "sms", volunteer.id, None, NOW)
    assert message.text == "【时间银行】您有 12.50 时间币将于 2026年12月26日 到期，请在兑换活动中使用。"
    [notice] = list_notices(db, actor=SYSTEM, volunteer_id=volunteer.id).items
    assert (notice.kind, notice.lot_id, notice.credits, notice.expires_at, notice.created_at) == (
        WITHIN_30_DAYS, lot_id, 1250, expires, NOW)


def test_the_same_lot_is_told_again_at_7_days_and_never_a_third_time(db, center, volunteer):
    expires = NOW + 20 * DAY
    lot_id = lot(db, volunteer, center, 300, expires_at=expires, now=MINTED)

    made = [send_expiry_notices(db, now=at) for at in (
        NOW, NOW, NOW + DAY,  # the 30-day notice once, whatever the reruns
        expires - 7 * DAY - timedelta(seconds=1),  # just before the week: nothing new
        expires - 7 * DAY, expires - 7 * DAY, expires - 3 * DAY,  # the 7-day notice once
        expires - timedelta(seconds=1))]

    assert made == [1, 0, 0, 0, 1, 0, 0, 0]
    assert notices(db) == [(lot_id, WITHIN_30_DAYS, 300, volunteer.id), (lot_id, WITHIN_7_DAYS, 300, volunteer.id)]
    assert [m.text for m in outbox(db)][1] == \
        "【时间银行】您有 3.00 时间币将于 2026年12月26日 到期，只剩几天了，请尽快在兑换活动中使用。"


def test_a_lot_first_seen_inside_the_week_gets_only_the_7_day_notice(db, center, volunteer):
    lot_id = lot(db, volunteer, center, 500, expires_at=NOW + 3 * DAY, now=MINTED)
    assert send_expiry_notices(db, now=NOW) == 1
    assert send_expiry_notices(db, now=NOW + DAY) == 0
    assert notices(db) == [(lot_id, WITHIN_7_DAYS, 500, volunteer.id)]


def test_the_windows_end_at_30_and_7_days_inclusive(db, center, volunteer):
    at_30 = lot(db, volunteer, center, 100, expires_at=NOW + 30 * DAY, now=MINTED)
    lot(db, volunteer, center, 100, expires_at=NOW + 30 * DAY + timedelta(seconds=1), now=MINTED)
    at_7 = lot(db, volunteer, center, 100, expires_at=NOW + 7 * DAY, now=MINTED)
    assert send_expiry_notices(db, now=NOW) == 2
    assert sorted((lot_id, kind) for lot_id, kind, *_ in notices(db)) == [(at_30, WITHIN_30_DAYS),
                                                                          (at_7, WITHIN_7_DAYS)]


# ------------------------------------------------------------------------------------- what a notice says, and to whom

def test_a_notice_names_what_is_left_in_the_lot_at_the_time(db, center, volunteer):
    lot_id = lot(db, volunteer, center, 1250, expires_at=NOW + 20 * DAY, now=MINTED)
    spend(db, volunteer, 500, now=NOW - DAY)
    assert send_expiry_notices(db, now=NOW) == 1
    standalone.place_hold(db, account_id=volunteer.account_id, to_account_id=sink(db), amount=250,
                          timeout=30 * DAY, key=ledger_helpers.key(), cause=CAUSE, now=NOW + DAY)  # held: not free
    assert send_expiry_notices(db, now=NOW + 13 * DAY) == 1
    assert notices(db) == [(lot_id, WITHIN_30_DAYS, 750, volunteer.id), (lot_id, WITHIN_7_DAYS, 500, volunteer.id)]
    assert [m.text.split(" ")[1] for m in outbox(db)] == ["7.50", "5.00"]


def test_expired_spent_and_held_lots_get_no_notice(db, center, volunteer):
    lot(db, volunteer, center, 100, expires_at=NOW - timedelta(seconds=1), now=MINTED)  # past due, not swept yet
    swept = lot(db, volunteer, center, 100, expires_at=NOW - DAY, now=MINTED)
    standalone.expire_lot(db, lot_id=swept, cause=CAUSE, now=NOW - DAY)
    lot(db, volunteer, center, 100, expires_at=NOW, now=MINTED)  # expires this very moment
    other = new_volunteer(db, center, name="陈桂兰")
    lot(db, other, center, 200, expires_at=NOW + 10 * DAY, now=MINTED)
    spend(db, other, 200, now=NOW - DAY)  # all of it spent
    held = new_volunteer(db, center, name="李建国")
    lot(db, held, center, 300, expires_at=NOW + 10 * DAY, now=MINTED)
    standalone.place_hold(db, account_id=held.account_id, to_account_id=sink(db), amount=300, timeout=30 * DAY,
                          key=ledger_helpers.key(), cause=CAUSE, now=NOW - DAY)  # all of it reserved

    assert send_expiry_notices(db, now=NOW) == 0
    assert notices(db) == [] and outbox(db) == []


def test_an_account_of_no_volunteer_gets_no_notice(db):
    ledger_helpers.funded(db, 500, days=10)  # a ledger account with a lot, but nobody's volunteer profile
    assert send_expiry_notices(db, now=datetime.now(timezone.utc)) == 0


def test_each_volunteer_is_told_about_their_own_lots(db, center, volunteer):
    other = new_volunteer(db, center, name="陈桂兰")
    mine = lot(db, volunteer, center, 100, expires_at=NOW + 10 * DAY, now=MINTED)
    theirs = lot(db, other, center, 200, expires_at=NOW + 10 * DAY, now=MINTED)
    assert send_expiry_notices(db, now=NOW) == 2
    assert sorted((lot_id, volunteer_id) for lot_id, _k, _c, volunteer_id in notices(db)) == sorted(
        [(mine, volunteer.id), (theirs, other.id)])
    assert {m.volunteer_id: m.text.split(" ")[1] for m in outbox(db)} == {volunteer.id: "1.00", other.id: "2.00"}


# ------------------------------------------------------------------------------------------------ set-based, bounded

def test_small_batches_reach_every_lot_even_when_many_expire_at_the_same_moment(db, center, volunteer):
    same_moment = NOW + 12 * DAY
    made = [lot(db, volunteer, center, 100 + n, expires_at=same_moment if n % 3 else NOW + (10 + n) * DAY,
                now=MINTED) for n in range(17)]
    assert send_expiry_notices(db, now=NOW, batch=4) == 17
    assert sorted(lot_id for lot_id, *_ in notices(db)) == made
    assert send_expiry_notices(db, now=NOW, batch=4) == 0


def count_statements(db: Database, work) -> int:
    seen = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return len(seen)


def test_the_statements_sent_do_not_grow_with_the_number_of_lots(db, center):
    few, many = new_volunteer(db, center), new_volunteer(db, center, name="陈桂兰")
    for n in range(3):
        lot(db, few, center, 100, expires_at=NOW + (10 + n) * DAY, now=MINTED)
    first = count_statements(db, lambda: send_expiry_notices(db, now=NOW))
    for n in range(60):
        lot(db, many, center, 100, expires_at=NOW + (10 + n % 15) * DAY, now=MINTED)
    second = count_statements(db, lambda: send_expiry_notices(db, now=NOW))
    assert len(notices(db)) == 63
    assert second == first, (first, second)  # a batch is the same few statements for 3 lots or 60


def test_the_database_refuses_a_second_notice_for_a_lot_and_window(db, center, volunteer):
    lot_id = lot(db, volunteer, center, 100, expires_at=NOW + 10 * DAY, now=MINTED)
    send_expiry_notices(db, now=NOW)
    assert notices(db) == [(lot_id, WITHIN_30_DAYS, 100, volunteer.id)]
    row = {"volunteer_id": volunteer.id, "lot_id": lot_id, "kind": WITHIN_30_DAYS, "credits": 100,
           "expires_at": NOW + 10 * DAY, "created_at": NOW}
    with pytest.raises(IntegrityError):
        db.transaction(lambda s: s.execute(insert(N).values(row)), attempts=1)


# ---------------------------------------------------------------------------------------------- two runs at once

LOTS_RACED = 45


def lots_to_race(db, center) -> list[int]:
    people = [new_volunteer(db, center, name="志愿者" + "甲乙丙丁戊"[n]) for n in range(5)]
    return [lot(db, people[n % 5], center, 100 + n, expires_at=NOW + (1 + n % 25) * DAY, now=MINTED)
            for n in range(LOTS_RACED)]


def test_two_runs_in_threads_at_once_make_each_notice_once(db, center, database_url):
    made = lots_to_race(db, center)
    databases = [Database(database_url, pool_size=2) for _ in range(2)]
    start, counts, errors = threading.Barrier(2), [], []

    def run(database: Database) -> None:
        try:
            start.wait(timeout=60)
            counts.append(send_expiry_notices(database, now=NOW, batch=4))
        except Exception as error:  # noqa: BLE001 - the test fails on it below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(database,)) for database in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    finally:
        for database in databases:
            database.dispose()
    assert errors == [] and len(counts) == 2
    assert sum(counts) == LOTS_RACED
    assert sorted(lot_id for lot_id, *_ in notices(db)) == made
    assert len(outbox(db)) == LOTS_RACED


def run_in_a_process(url: str, start, answers) -> None:
    database = Database(url, pool_size=1)
    try:
        start.wait(timeout=120)
        answers.put(send_expiry_notices(database, now=NOW, batch=3))
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        answers.put(f"error:{type(error).__name__}:{error!r}")
    finally:
        database.dispose()


def test_two_runs_in_processes_at_once_make_each_notice_once(db, center, database_url):
    made = lots_to_race(db, center)
    context = multiprocessing.get_context("spawn")
    start, answers = context.Barrier(2), context.Queue()
    processes = [context.Process(target=run_in_a_process, args=(database_url, start, answers)) for _ in range(2)]
    for process in processes:
        process.start()
    results = [answers.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == LOTS_RACED
    assert sorted(lot_id for lot_id, *_ in notices(db)) == made
    assert db.transaction(lambda s: s.execute(select(func.count()).select_from(O)).scalar_one(),
                          readonly=True) == LOTS_RACED


# --------------------------------------------------------------------------------------------------------- the outbox

def test_a_channel_reads_the_unsent_messages_oldest_first_and_marks_them_sent_once(db, center, volunteer):
    for n in range(5):
        lot(db, volunteer, center, 100 * (n + 1), expires_at=NOW + (10 + n) * DAY, now=MINTED)
    send_expiry_notices(db, now=NOW)
    first = pending_outbox(db, limit=3)
    assert [m.text.split(" ")[1] for m in first] == ["1.00", "2.00", "3.00"]
    assert [m.id for m in pending_outbox(db, limit=3, after=first[-1].id)] == [m.id for m in outbox(db)][3:]
    assert pending_outbox(db, channel="wechat") == []

    assert mark_sent(db, ids=[m.id for m in first], now=NOW + timedelta(minutes=1)) == 3
    assert mark_sent(db, ids=[m.id for m in first] + [2**63, 10**30], now=NOW + timedelta(minutes=9)) == 0
    assert [m.text.split(" ")[1] for m in pending_outbox(db, limit=10)] == ["4.00", "5.00"]
    sent = {m.id: m.sent_at for m in outbox(db)}
    assert [sent[m.id] for m in first] == [NOW + timedelta(minutes=1)] * 3  # the first time is kept
    assert mark_sent(db, ids=[], now=NOW) == 0
    with pytest.raises(ValueError):
        pending_outbox(db, limit=0)


# ------------------------------------------------------------------------------------ what pages show, and to whom

def test_a_live_notice_is_the_lots_newest_while_it_has_credits_to_lose(db, center, volunteer):
    told = lot(db, volunteer, center, 1000, expires_at=NOW + 20 * DAY, now=MINTED)
    later = lot(db, volunteer, center, 400, expires_at=NOW + 25 * DAY, now=MINTED)
    send_expiry_notices(db, now=NOW)
    send_expiry_notices(db, now=NOW + 13 * DAY)  # the first lot's week: its 7-day notice
    live = live_notices(db, actor=SYSTEM, volunteer_id=volunteer.id, now=NOW + 13 * DAY)
    assert [(n.notice.lot_id, n.notice.kind, n.amount) for n in live.items] == [
        (told, WITHIN_7_DAYS, 1000), (later, WITHIN_30_DAYS, 400)] and live.count == 2

    spend(db, volunteer, 1200, now=NOW + 14 * DAY)  # the first lot all spent, the second down to 2.00
    live = live_notices(db, actor=SYSTEM, volunteer_id=volunteer.id, now=NOW + 14 * DAY, limit=1)
    assert [(n.notice.lot_id, n.notice.credits, n.amount) for n in live.items] == [(later, 400, 200)]
    assert live.count == 1
    assert live_notices(db, actor=SYSTEM, volunteer_id=volunteer.id, now=NOW + 25 * DAY).items == ()
    assert list_notices(db, actor=SYSTEM, volunteer_id=volunteer.id).total == 3  # what was sent stays listed


def test_a_volunteer_reads_only_their_own_notices_and_staff_their_centers(db, center, volunteer):
    other_center = open_center(db, "RZ02", "金山街道养老服务中心")
    lot(db, volunteer, center, 100, expires_at=NOW + 10 * DAY, now=MINTED)
    send_expiry_notices(db, now=NOW)
    themselves = Principal(user_id=None, username="v", role="volunteer", volunteer_id=volunteer.id)
    someone_else = Principal(user_id=None, username="w", role="volunteer", volunteer_id=volunteer.id + 1)
    staff = Principal(user_id=None, username="s", role="staff", center_id=center.id)
    other_staff = Principal(user_id=None, username="t", role="staff", center_id=other_center.id)
    for reader in (themselves, staff, SYSTEM):
        assert list_notices(db, actor=reader, volunteer_id=volunteer.id).total == 1
    for reader in (someone_else, other_staff):
        with pytest.raises(VolunteerNotFound):
            list_notices(db, actor=reader, volunteer_id=volunteer.id)
        with pytest.raises(VolunteerNotFound):
            live_notices(db, actor=reader, volunteer_id=volunteer.id)
