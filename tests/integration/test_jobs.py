"""The jobs' runs on both databases, with a controlled clock: what a run does and records, failures and the retry,
one run at a time under the lock (threads racing, a lock held, a lock left by a dead process), a run cut short, and
one run of each job catching up after 400 days of downtime."""
from __future__ import annotations

import os
import socket
import subprocess
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import insert, select

from tests.drive_helpers import balance, collide, make_city, volunteer_with
from tests.jobs_helpers import expired_lot_ids, expiries_per_lot, mint_lots, seed_runs
from tests.ledger_helpers import CAUSE, key, sink
from timebank.auth.access import Forbidden, Principal
from timebank.clock import utcnow
from timebank.db import Database
from timebank.drives import reservations
from timebank.drives.reservation_queries import get_reservation
from timebank.jobs import services
from timebank.jobs.locks import LEASE, job_lock
from timebank.jobs.models import JobLock, JobRun
from timebank.jobs.rules import parse_schedule
from timebank.ledger import standalone
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Lot, Transfer
from timebank.receipts import keys
from timebank.volunteers.services import get_volunteer

SYSTEM = Principal.system("test")
SHANGHAI = ZoneInfo("Asia/Shanghai")
T = Transfer.__table__
L = Lot.__table__
R = JobRun.__table__


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


def run(db, name, now, **options):
    return services.run_job(db, actor=SYSTEM, name=name, started_via="command", now=now, **options)


def test_a_run_expires_what_is_due_and_is_recorded_with_its_outcome_and_counts(db, now):
    lots = mint_lots(db, expiring=[now - timedelta(days=3), now - timedelta(seconds=1), now + timedelta(days=1)],
                     minted_at=now - timedelta(days=800))
    first = run(db, "expire-credits", now)
    assert (first.job, first.outcome, first.counts, first.error) == ("expire-credits", "succeeded",
                                                                     {"lots_expired": 2}, None)
    assert first.started_at == now and first.finished_at >= now
    assert (first.started_via, first.started_by) == ("command", "test")
    assert expired_lot_ids(db) == set(lots[:2])
    # Every expiry names the run that made it (SPEC §4.10).
    causes = db.transaction(lambda s: s.execute(select(T.c.actor, T.c.reason_type, T.c.reason_id)
                                                .where(T.c.kind == "expire")).all(), readonly=True)
    assert {tuple(c) for c in causes} == {("job:expire-credits", "job_run", str(first.id))}

    second = run(db, "expire-credits", now + timedelta(minutes=1))
    assert (second.outcome, second.counts) == ("succeeded", {"lots_expired": 0})  # nothing twice
    later = run(db, "expire-credits", now + timedelta(days=2))
    assert later.counts == {"lots_expired": 1}
    page = services.list_runs(db, actor=SYSTEM)
    assert [r.id for r in page.items] == [later.id, second.id, first.id] and page.total == 3
    assert check_ledger(db) == []


def test_a_failing_run_records_its_error_and_the_next_run_tries_again(db, database_url, now):
    keys.ensure_signing_key(db, now=now - timedelta(days=40))
    # A process started with another secret cannot open the signing key: the rotation is refused, and recorded.
    wrong_secret = Database(database_url, secret_key="not the servers' secret")
    try:
        failed = run(wrong_secret, "rotate-keys", now)
    finally:
        wrong_secret.dispose()
    assert failed.outcome == "failed" and failed.counts == {}
    assert failed.error.startswith("signing_key_unavailable: The signing key cannot be opened")
    assert failed.finished_at is not None
    assert [k.status for k in keys.public_keys(db)] == ["active"]  # nothing changed

    retried = run(db, "rotate-keys", now + timedelta(minutes=5))
    # The old key signed nothing still valid: it is retired at once.
    assert (retried.outcome, retried.counts) == ("succeeded", {"keys_created": 1, "keys_retired": 1})
    assert [k.status for k in keys.public_keys(db)] == ["active", "retired"]
    assert [r.outcome for r in services.list_runs(db, actor=SYSTEM, job="rotate-keys").items] == ["succeeded",
                                                                                                 "failed"]
    assert services.last_successes(db) == {"rotate-keys": now + timedelta(minutes=5)}


def test_a_run_started_while_another_holds_the_lock_does_nothing_and_says_so(db, now):
    lots = mint_lots(db, expiring=[now - timedelta(days=1)] * 3, minted_at=now - timedelta(days=800))
    with job_lock(db, "expire-credits") as held:
        assert held
        with job_lock(db, "expire-credits") as again:
            assert not again  # not even this process gets it twice
        with job_lock(db, "rotate-keys") as other:
            assert other  # each job has its own lock
        skipped = run(db, "expire-credits", now)
        assert (skipped.outcome, skipped.counts, skipped.finished_at) == ("skipped", {}, now)
        assert expired_lot_ids(db) == set()
    done = run(db, "expire-credits", now)
    assert (done.outcome, done.counts) == ("succeeded", {"lots_expired": 3})
    assert expired_lot_ids(db) == set(lots)


def test_two_runs_at_once_expire_every_lot_exactly_once(db, now):
    lots = mint_lots(db, expiring=[now - timedelta(hours=n + 1) for n in range(120)],
                     minted_at=now - timedelta(days=800))
    outcomes = collide([lambda: run(db, "expire-credits", now), lambda: run(db, "expire-credits", now)])
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.outcome for o in outcomes) in (["skipped", "succeeded"], ["succeeded", "succeeded"])
    assert sum(o.counts.get("lots_expired", 0) for o in outcomes) == 120
    assert expiries_per_lot(db) == {lot: 1 for lot in lots}
    assert check_ledger(db) == []


def test_a_run_its_process_abandoned_is_marked_interrupted_by_the_next_run(db, now):
    db.transaction(lambda s: s.execute(insert(R).values(job="void-stale-holds", started_via="schedule",
                                                        started_by="scheduler", started_at=now - timedelta(hours=1),
                                                        outcome="running", counts={})))
    db.transaction(lambda s: s.execute(insert(R).values(job="expire-credits", started_via="schedule",
                                                        started_by="scheduler", started_at=now, outcome="running",
                                                        counts={})))
    fresh = run(db, "void-stale-holds", now)
    runs = {r.id: r for r in services.list_runs(db, actor=SYSTEM).items}
    abandoned = [r for r in runs.values() if r.job == "void-stale-holds" and r.id != fresh.id]
    assert [(r.outcome, r.finished_at, r.error) for r in abandoned] == [("interrupted", now, services.INTERRUPTED)]
    assert [r.outcome for r in runs.values() if r.job == "expire-credits"] == ["running"]  # another job's: untouched


def test_after_400_days_of_downtime_one_run_of_each_job_catches_up(db, now):
    city = make_city(db, now=now)
    wang = volunteer_with(db, city.jk, 0)
    account_id = get_volunteer(db, actor=SYSTEM, volunteer_id=wang.id).account_id
    for days, amount in ((10, 20_00), (100, 30_00), (401, 50_00)):
        standalone.mint(db, account_id=account_id, issuer_account_id=city.jk.issuance_account_id, amount=amount,
                        expires_at=now + timedelta(days=days), key=key(), cause=CAUSE, now=now)
    held = reservations.reserve(db, actor=city.volunteer_actor(wang.id), drive_id=city.drive.id, center="JK01",
                                lines=[{"sku": "RICE-5KG", "quantity": 1}], now=now)  # 12.50, pickup in 14 days
    # A hold of the ledger's own (no reservation), timing out in 30 days.
    [other_lot] = mint_lots(db, expiring=[now + timedelta(days=730)], amount=5_00, minted_at=now)
    other_account = db.transaction(lambda s: s.execute(select(L.c.account_id).where(L.c.id == other_lot))
                                   .scalar_one(), readonly=True)
    standalone.place_hold(db, account_id=other_account, to_account_id=sink(db), amount=2_00,
                          timeout=timedelta(days=30), key=key(), cause=CAUSE, now=now)
    keys.ensure_signing_key(db, now=now)

    later = now + timedelta(days=400)
    assert parse_schedule("10 0 * * *").missed(now, later, SHANGHAI)  # the scheduler runs them as soon as it starts
    voided = run(db, "void-stale-holds", later)
    assert voided.counts == {"reservations_voided": 1, "holds_timed_out": 1}
    assert get_reservation(db, actor=SYSTEM, reservation_id=held.id).status == "voided"
    expired = run(db, "expire-credits", later)
    assert expired.counts == {"lots_expired": 2}  # the 10- and 100-day lots, the rice's 12.50 back in the first
    account = balance(db, wang.id)
    assert (account.balance, account.held) == (50_00, 0)  # the 401-day lot is not due yet
    noticed = run(db, "expiry-notices", later, zone=SHANGHAI)
    assert noticed.counts == {"notices_sent": 1}  # that lot, a day before it expires: the 7-day notice only
    assert run(db, "expiry-notices", later, zone=SHANGHAI).counts == {"notices_sent": 0}  # never twice
    rotated = run(db, "rotate-keys", later, schedule=parse_schedule("0 3 1 * *"), zone=SHANGHAI)
    assert rotated.counts["keys_created"] == 1
    assert check_ledger(db) == []


def test_rotate_keys_on_its_schedule_makes_one_key_however_often_it_fires_and_by_hand_always_one(db, now):
    keys.ensure_signing_key(db, now=now - timedelta(days=31))
    monthly = parse_schedule("0 3 1 * *")
    scheduled = [run(db, "rotate-keys", now + timedelta(seconds=n), schedule=monthly, zone=SHANGHAI).counts
                 for n in range(2)]
    assert [c["keys_created"] for c in scheduled] == [1, 0]  # a second scheduler firing at the same time: no key
    by_hand = [run(db, "rotate-keys", now + timedelta(minutes=n + 1)).counts["keys_created"] for n in range(2)]
    assert by_hand == [1, 1]  # SPEC §6: run by hand, as if it were due
    assert [k.status for k in keys.public_keys(db)].count("active") == 1


def test_the_runs_list_pages_newest_first_and_filters_by_job_and_outcome(db, now):
    seed_runs(db, 45, now=now)
    done = run(db, "expire-credits", now + timedelta(seconds=1))
    first = services.list_runs(db, actor=SYSTEM, per_page=20)
    assert (first.total, first.pages, len(first.items), first.items[0].id) == (46, 3, 20, done.id)
    last = services.list_runs(db, actor=SYSTEM, per_page=20, page=3)
    assert len(last.items) == 6
    starts = [r.started_at for p in (1, 2, 3) for r in services.list_runs(db, actor=SYSTEM, per_page=20,
                                                                           page=p).items]
    assert starts == sorted(starts, reverse=True) and len(starts) == 46
    assert services.list_runs(db, actor=SYSTEM, job="expire-credits").total == 1
    assert services.list_runs(db, actor=SYSTEM, outcome="failed").total == 9
    assert services.list_runs(db, actor=SYSTEM, job="void-stale-holds", outcome="succeeded").total == 36


@pytest.mark.parametrize("role", ["staff", "supervisor", "volunteer"])
def test_only_an_admin_reads_runs_or_runs_a_job(db, now, role):
    person = Principal(user_id=7, username="someone", role=role, center_id=1, volunteer_id=1)
    with pytest.raises(Forbidden):
        services.list_runs(db, actor=person)
    with pytest.raises(Forbidden):
        services.run_job(db, actor=person, name="expire-credits", started_via="api", now=now)
    assert services.list_runs(db, actor=SYSTEM).total == 0  # nothing was run or recorded
    admin = Principal(user_id=8, username="city-admin", role="admin")
    made = services.run_job(db, actor=admin, name="void-stale-holds", started_via="api", now=now)
    assert (made.outcome, made.started_by) == ("succeeded", "city-admin")


def test_an_unknown_job_is_not_found(db, now):
    with pytest.raises(services.UnknownJob):
        run(db, "expire-everything", now)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_a_lock_is_taken_over_only_from_a_process_that_is_gone(db, now):
    here, me = socket.gethostname(), os.getpid()
    ended = subprocess.Popen(["true"])  # a process that has ended: its number names no process now
    ended.wait()
    # On this machine the process decides, never the clock: a live holder keeps it however old its renewal looks
    # (a process under faketime sees every renewal as 40 days old).
    _lock_row(db, "expire-credits", host=here, pid=me, started=_started(me), renewed=now - timedelta(days=40))
    assert run(db, "expire-credits", now).outcome == "skipped"
    _lock_row(db, "expire-credits", host=here, pid=ended.pid, started=None, renewed=now)
    assert run(db, "expire-credits", now).outcome == "succeeded"
    # A number the system gave to another process since: this process started at another time.
    _lock_row(db, "rotate-keys", host=here, pid=me, started="1", renewed=now)
    assert run(db, "rotate-keys", now).outcome == "succeeded"
    # Written on another machine (a container started again under a new name): only the lease says it is gone.
    _lock_row(db, "void-stale-holds", host="elsewhere", pid=me, started=None, renewed=utcnow())
    assert run(db, "void-stale-holds", now).outcome == "skipped"
    _lock_row(db, "void-stale-holds", host="elsewhere", pid=me, started=None,
              renewed=utcnow() - LEASE - timedelta(seconds=1))
    assert run(db, "void-stale-holds", now).outcome == "succeeded"
    rows = db.transaction(lambda s: s.execute(select(JobLock.__table__)).all(), readonly=True)
    assert {(r.job, r.holder, r.pid) for r in rows} == {(job, None, None) for job in ("expire-credits", "rotate-keys",
                                                                                      "void-stale-holds")}


def _started(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]


def _lock_row(db, job, *, host, pid, started, renewed):
    table = JobLock.__table__

    def work(s):
        s.execute(table.delete().where(table.c.job == job))
        s.execute(insert(table).values(job=job, holder="f" * 32, host=host, pid=pid, process_started=started,
                                       acquired_at=renewed, renewed_at=renewed))

    db.transaction(work)
