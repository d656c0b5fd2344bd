"""``timebank jobs …`` and ``timebank scheduler`` as operators run them: through Flask's CLI runner, and as real
processes — a run by hand while another process holds the job's lock, ``faketime '+40 days' timebank jobs run
expire-credits``, the scheduler starting, running its jobs and stopping on SIGTERM, and two schedulers started
together on PostgreSQL expiring every lot exactly once."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.jobs_helpers import expired_lot_ids, expiries_per_lot, mint_lots
from timebank import create_app
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database, get_db
from timebank.jobs.locks import job_lock
from timebank.jobs.services import list_runs
from timebank.ledger.check import check_ledger
from timebank.receipts import keys

ROOT = Path(__file__).resolve().parents[2]
TIMEBANK = str(Path(sys.executable).with_name("timebank"))
SYSTEM = Principal.system("test")
WAIT_S = 90  # a process's start on a loaded 2-core machine takes seconds; this is the bound, never a pause


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def environment(database_url: str, **settings) -> dict:
    env = {**os.environ, "TIMEBANK_DATABASE_URL": database_url, "TIMEBANK_SECRET_KEY": "test"}
    env.update({f"TIMEBANK_{name}": value for name, value in settings.items()})
    return env


def runs_of(db, job: str) -> list:
    return list(list_runs(db, actor=SYSTEM, job=job, per_page=200).items)


SETTLE_S = 3.0


def wait_for(condition, processes, what: str):
    """Poll ``condition`` until it holds; fail naming ``what`` (with the processes' output) when a process ended
    early or ``WAIT_S`` passed."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            for p in processes:
                if p.poll() is None:
                    p.kill()
            outputs = "\n".join(p.communicate()[1] or "" for p in processes)
            pytest.fail(f"{what}:\n{outputs}")
        time.sleep(0.1)


def test_jobs_run_says_what_it_did_and_exits_by_outcome(app, runner):
    db = get_db(app)
    now = utcnow()
    mint_lots(db, expiring=[now - timedelta(days=1)] * 2, minted_at=now - timedelta(days=800))
    done = runner.invoke(args=["jobs", "run", "expire-credits"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("expire-credits: succeeded (run ") and done.output.endswith(": lots_expired 2\n")

    with job_lock(db, "void-stale-holds") as held:
        assert held
        skipped = runner.invoke(args=["jobs", "run", "void-stale-holds"])
    assert skipped.exit_code == 3 and "void-stale-holds: skipped" in skipped.output

    unknown = runner.invoke(args=["jobs", "run", "expire-everything"])
    assert unknown.exit_code == 2 and "'expire-everything' is not one of 'expire-credits'" in unknown.output

    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    lines = dict(line.split(None, 1) for line in listed.output.splitlines())
    assert set(lines) == {"expire-credits", "void-stale-holds", "expiry-notices", "rotate-keys"}
    assert "last run succeeded at" in lines["expire-credits"] and "+08:00" in lines["expire-credits"]
    assert "last run skipped" in lines["void-stale-holds"] and lines["rotate-keys"].endswith("never run")


def test_a_failed_run_exits_1_with_its_error(app, database_url):
    keys.ensure_signing_key(get_db(app))
    other = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "another secret"})
    try:
        failed = other.test_cli_runner().invoke(args=["jobs", "run", "rotate-keys"])
    finally:
        get_db(other).dispose()
    assert failed.exit_code == 1
    assert "rotate-keys: failed" in failed.output and "error: signing_key_unavailable: " in failed.output


@pytest.mark.parametrize("setting, says", [("daily", "TIMEBANK_EXPIRE_CREDITS_SCHEDULE: 'daily' is not a schedule"),
                                           ("0 3 * * 0", "as a name")])
def test_the_scheduler_refuses_to_start_with_a_schedule_it_cannot_read(database_url, setting, says):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test",
                      "EXPIRE_CREDITS_SCHEDULE": setting})
    try:
        result = app.test_cli_runner().invoke(args=["scheduler"])
    finally:
        get_db(app).dispose()
    assert result.exit_code == 2 and says in result.output


@pytest.fixture
def faketime():
    found = shutil.which("faketime")
    if found is None:
        message = "faketime is not installed (scripts/install-test-tools.sh installs Debian's faketime)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_another_process_waits_for_the_lock_and_faketime_moves_the_jobs_clock(app, runner, database_url, faketime):
    db = get_db(app)
    now = utcnow()
    [lot] = mint_lots(db, expiring=[now + timedelta(days=30)], minted_at=now)
    env = environment(database_url)
    assert runner.invoke(args=["jobs", "run", "expire-credits"]).output.endswith(": lots_expired 0\n")  # not yet

    # A second process asking while this one holds the lock (PostgreSQL: an advisory lock; SQLite: the lock row).
    with job_lock(db, "expire-credits") as held:
        assert held
        blocked = subprocess.run([faketime, "+40 days", TIMEBANK, "jobs", "run", "expire-credits"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=WAIT_S)
    assert blocked.returncode == 3, blocked.stderr
    assert expired_lot_ids(db) == set()

    moved = subprocess.run([faketime, "+40 days", TIMEBANK, "jobs", "run", "expire-credits"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=WAIT_S)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.endswith(": lots_expired 1\n")
    assert expired_lot_ids(db) == {lot}
    [last, skipped, first] = runs_of(db, "expire-credits")
    assert (first.counts, skipped.outcome, last.counts) == ({"lots_expired": 0}, "skipped", {"lots_expired": 1})
    assert timedelta(days=39) < last.started_at - now < timedelta(days=41)  # the run's clock, 40 days ahead
    assert check_ledger(db) == []


def start_scheduler(database_url: str, **schedules) -> subprocess.Popen:
    return subprocess.Popen([TIMEBANK, "scheduler"], cwd=ROOT, env=environment(database_url, **schedules),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"the scheduler did not stop on SIGTERM:\n{err}")
    return process.returncode, err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_scheduler_runs_its_jobs_and_stops_on_sigterm_with_status_0(database_url):
    db = Database(database_url, secret_key="test")
    try:
        now = utcnow()
        lots = mint_lots(db, expiring=[now - timedelta(days=2), now - timedelta(minutes=1)],
                         minted_at=now - timedelta(days=800))
        # Never run before, so it runs as soon as the scheduler starts; then every second.
        scheduler = start_scheduler(database_url, EXPIRE_CREDITS_SCHEDULE="every 1s", VOID_STALE_HOLDS_SCHEDULE="off",
                                    EXPIRY_NOTICES_SCHEDULE="off", ROTATE_KEYS_SCHEDULE="off")
        wait_for(lambda: len([r for r in runs_of(db, "expire-credits") if r.outcome != "running"]) >= 2, [scheduler],
                 "the scheduler did not run expire-credits twice")
        status, err = stop(scheduler)
        assert status == 0, err
        assert "stopping (SIGTERM)" in err and err.rstrip().endswith("scheduler: stopped")
        first, *later = reversed(runs_of(db, "expire-credits"))
        assert (first.started_via, first.started_by, first.outcome, first.counts) == (
            "schedule", "scheduler", "succeeded", {"lots_expired": 2})
        assert later and all(r.outcome == "succeeded" and r.counts == {"lots_expired": 0} for r in later)
        assert expired_lot_ids(db) == set(lots)
        for job in ("void-stale-holds", "expiry-notices", "rotate-keys"):
            assert runs_of(db, job) == [], job  # off
        assert "expire-credits: every 1s, missed a run: runs now" in err
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_schedulers_started_together_on_postgresql_expire_every_lot_exactly_once(database_url):
    db = Database(database_url, secret_key="test")
    try:
        now = utcnow()
        lots = mint_lots(db, expiring=[now - timedelta(minutes=n + 1) for n in range(300)],
                         minted_at=now - timedelta(days=800))
        schedules = dict(EXPIRE_CREDITS_SCHEDULE="every 1h", VOID_STALE_HOLDS_SCHEDULE="off",
                         EXPIRY_NOTICES_SCHEDULE="off", ROTATE_KEYS_SCHEDULE="off")
        schedulers = [start_scheduler(database_url, **schedules) for _ in range(2)]
        # Each catches up at its start unless it finds the other's run already succeeded (a batch of 300 lots takes
        # a fraction of a second): two runs at once (one skipped, or one with nothing left), one after the other,
        # or one run and a scheduler that saw nothing missed. Whichever: every lot expires once.
        wait_for(lambda: any(r.outcome not in ("running",) for r in runs_of(db, "expire-credits")), schedulers,
                 "no scheduler ran expire-credits")
        time.sleep(SETTLE_S)  # the other one starts, decides, and runs if it found a run missed
        wait_for(lambda: all(r.outcome != "running" for r in runs_of(db, "expire-credits")), schedulers,
                 "a run of expire-credits did not end")
        stopped = [stop(process) for process in schedulers]
        assert [status for status, _ in stopped] == [0, 0], [err for _, err in stopped]
        runs = runs_of(db, "expire-credits")
        caught_up = sum("expire-credits: every 1h, missed a run: runs now" in err for _, err in stopped)
        assert 1 <= len(runs) <= caught_up and {r.outcome for r in runs} <= {"succeeded", "skipped"}
        assert sum(r.counts.get("lots_expired", 0) for r in runs) == 300
        assert expiries_per_lot(db) == {lot: 1 for lot in lots}
        assert check_ledger(db) == []
    finally:
        db.dispose()
