"""Units of work compose: a service's ``db.transaction`` inside an open unit of the same database joins it, and only
the outermost commits, rolls back, or retries. On both databases."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select

from timebank.audit import services as audit
from timebank.audit.models import AuditEntry
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.db import Database, WriteInReadonlyUnit
from timebank.errors import DomainError

SYSTEM = Principal.system("test")
E = AuditEntry.__table__


class Refused(DomainError):
    """Refused for the test."""

    code = "refused_for_the_test"


def note(s, label: str) -> None:
    audit.record(s, actor=SYSTEM, action="test.note", object_type="test", object_id=label)


def labels(db: Database) -> list[str]:
    return db.transaction(
        lambda s: sorted(s.scalars(select(E.c.object_id).where(E.c.action == "test.note")).all()), readonly=True)


def service_that_notes(db: Database, label: str, *, refuse: bool = False):
    """A service as every feature writes one: it owns its transaction when called alone."""

    def work(s):
        note(s, label)
        if refuse:
            raise Refused()
        return s

    return db.transaction(work)


def test_a_service_called_alone_commits_its_own_work(db):
    service_that_notes(db, "alone")
    assert labels(db) == ["alone"]
    assert not db.in_transaction


def test_a_service_called_inside_a_unit_of_work_joins_its_session_and_commits_with_it(db):
    def use_case(s):
        note(s, "outer")
        inner_session = service_that_notes(db, "inner")
        assert inner_session is s
        assert labels(db) == ["inner", "outer"]  # a read inside the unit joins it too, and sees both
        return "done"

    assert db.transaction(use_case) == "done"
    assert labels(db) == ["inner", "outer"]


def test_a_joined_services_writes_roll_back_when_the_outer_work_fails(db):
    def use_case(s):
        service_that_notes(db, "inner")
        note(s, "outer")
        raise Refused("the use case changed its mind")

    with pytest.raises(Refused, match="changed its mind"):
        db.transaction(use_case)
    assert labels(db) == []


def test_a_domain_error_in_joined_work_reaches_the_outermost_and_undoes_the_whole_unit(db):
    def use_case(s):
        note(s, "outer")
        service_that_notes(db, "inner", refuse=True)
        note(s, "never written")

    with pytest.raises(Refused):
        db.transaction(use_case)
    assert labels(db) == []
    assert not db.in_transaction


def test_an_outer_unit_that_catches_a_joined_refusal_in_a_savepoint_keeps_only_its_own_work(db):
    def use_case(s):
        note(s, "outer")
        try:
            with s.begin_nested():
                service_that_notes(db, "inner", refuse=True)
        except Refused:
            note(s, "refusal handled")

    db.transaction(use_case)
    assert labels(db) == ["outer", "refusal handled"]


def test_a_retryable_conflict_in_joined_work_reruns_the_whole_outer_work(db):
    """A real unique violation (retryable on both databases: a lost idempotency race) raised by the joined service
    on the first attempt: the runner reruns the OUTER work from the start, and the first attempt leaves nothing."""
    calls = {"outer": 0, "inner": 0}

    def conflicting_service():
        def work(s):
            calls["inner"] += 1
            note(s, f"inner attempt {calls['inner']}")
            if calls["inner"] == 1:
                row = {"id": 10_001, "at": utcnow(), "actor_name": "t", "actor_role": "system", "action": "x",
                       "object_type": "x", "object_id": "x", "detail": {}}
                s.execute(insert(E).values(**row))
                s.execute(insert(E).values(**row))  # the same primary key twice: a real integrity error
        return db.transaction(work)

    def use_case(s):
        calls["outer"] += 1
        note(s, f"outer attempt {calls['outer']}")
        conflicting_service()

    retries_before = db.stats.retries
    db.transaction(use_case)
    assert calls == {"outer": 2, "inner": 2}
    assert db.stats.retries - retries_before == 1
    assert labels(db) == ["inner attempt 2", "outer attempt 2"]


def test_a_joined_unit_does_not_retry_by_itself(db):
    """Only the outermost retries: with one attempt allowed there, a conflict in joined work is raised once, even
    though the joined call asked for many attempts."""
    from sqlalchemy.exc import DBAPIError

    calls = []

    def use_case(s):
        def work(inner):
            calls.append(1)
            row = {"id": 10_002, "at": utcnow(), "actor_name": "t", "actor_role": "system", "action": "x",
                   "object_type": "x", "object_id": "x", "detail": {}}
            inner.execute(insert(E).values(**row))
            inner.execute(insert(E).values(**row))
        db.transaction(work, attempts=12)

    with pytest.raises(DBAPIError):
        db.transaction(use_case, attempts=1)
    assert calls == [1]


def test_a_write_inside_a_readonly_unit_is_refused_as_a_bug(db):
    def report(s):
        return service_that_notes(db, "sneaky write")

    with pytest.raises(WriteInReadonlyUnit):
        db.transaction(report, readonly=True)
    assert labels(db) == []


def test_a_readonly_call_inside_a_readonly_unit_joins_it(db):
    def report(s):
        return db.transaction(lambda inner: inner is s, readonly=True)

    assert db.transaction(report, readonly=True) is True


def test_another_database_object_and_another_thread_open_their_own_units(db, database_url):
    """The ambient unit belongs to one Database and one context: others neither join it nor see its writes."""
    other = Database(database_url, pool_size=2)
    seen = {}
    try:
        def use_case(s):
            note(s, "uncommitted")
            seen["other database"] = labels(other)
            thread = threading.Thread(target=lambda: seen.__setitem__("other thread", labels(db)))
            thread.start()
            thread.join(timeout=30)
            seen["this unit"] = labels(db)

        db.transaction(use_case)
    finally:
        other.dispose()
    assert seen == {"other database": [], "other thread": [], "this unit": ["uncommitted"]}
    assert labels(db) == ["uncommitted"]


def test_entries_count_helper_sees_committed_rows(db):
    """Guards the helpers above: ``labels`` reads what was committed, so the empty lists above prove something."""
    db.transaction(lambda s: note(s, "committed"))
    assert labels(db) == ["committed"]
    assert db.transaction(lambda s: s.scalar(select(func.count()).select_from(E)), readonly=True) == 1
