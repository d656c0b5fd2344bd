"""``Database.read_one`` / ``read_all``: one read-only statement in autocommit, compiled once, rows converted as the
ORM converts them; inside an open unit of work the read joins it."""
from __future__ import annotations

from datetime import timezone

import pytest
from sqlalchemy import bindparam, event, insert, select

from timebank.auth.access import Principal
from timebank.centers.models import Center
from timebank.centers.services import create_center
from timebank.volunteers.models import Volunteer
from timebank.clock import utcnow
from timebank.ledger.accounts import open_account

V = Volunteer.__table__
C = Center.__table__

BY_ID = select(V.c.id, V.c.name, V.c.active, V.c.created_at, C.c.code.label("home_center")).join(
    C, C.c.id == V.c.home_center_id).where(V.c.id == bindparam("volunteer_id"))
BY_CENTER = select(V.c.id).where(V.c.home_center_id == bindparam("center_id"), V.c.active.is_(True)).order_by(V.c.id)


def _volunteer(s, center_id: int, phone: str, *, active: bool = True) -> int:
    account_id = open_account(s, code=f"volunteer:test:{phone}", kind="volunteer", center_id=center_id)
    return s.execute(insert(V).values(name="王秀英", phone=phone, home_center_id=center_id, active=active,
                                      account_id=account_id, created_at=utcnow()).returning(V.c.id)).scalar_one()


@pytest.fixture
def center_id(db):
    return create_center(db, actor=Principal.system("test"), code="R01", name="读取中心", district="京口区").id


def test_a_row_comes_back_typed_and_named(db, center_id):
    volunteer_id = db.transaction(lambda s: _volunteer(s, center_id, "13900000001"))
    row = db.read_one(BY_ID, {"volunteer_id": volunteer_id})
    assert (row.id, row.name, row.home_center) == (volunteer_id, "王秀英", "R01")
    assert row.active is True  # SQLite stores 1: converted like the ORM does
    assert row.created_at.tzinfo is not None and row.created_at.utcoffset() == timezone.utc.utcoffset(None)
    assert row == tuple(row) and row[0] == volunteer_id
    assert db.read_one(BY_ID, {"volunteer_id": volunteer_id + 1000}) is None


def test_every_row_in_order_and_literal_values_of_the_statement_are_bound(db, center_id):
    ids = db.transaction(lambda s: [_volunteer(s, center_id, f"1390000001{i}", active=i != 1) for i in range(3)])
    assert [row.id for row in db.read_all(BY_CENTER, {"center_id": center_id})] == [ids[0], ids[2]]
    assert db.read_all(BY_CENTER, {"center_id": center_id + 1}) == []


def test_a_missing_parameter_is_refused(db):
    with pytest.raises(Exception, match="volunteer_id"):
        db.read_one(BY_ID, {})


def test_it_reads_committed_state_on_every_call(db, center_id):
    volunteer_id = db.transaction(lambda s: _volunteer(s, center_id, "13900000002"))
    assert db.read_one(BY_ID, {"volunteer_id": volunteer_id}).active is True
    db.transaction(lambda s: s.execute(V.update().where(V.c.id == volunteer_id).values(active=False)))
    assert db.read_one(BY_ID, {"volunteer_id": volunteer_id}).active is False  # nothing is cached


def test_inside_a_unit_of_work_it_joins_it_and_sees_its_writes(db, center_id):
    def work(s):
        volunteer_id = _volunteer(s, center_id, "13900000003")  # not committed yet
        return volunteer_id, db.read_one(BY_ID, {"volunteer_id": volunteer_id})

    volunteer_id, row = db.transaction(work)
    assert row is not None and row.id == volunteer_id


def test_it_opens_no_transaction_and_no_orm_session(db, center_id):
    """One statement: no BEGIN or COMMIT goes to the database (SQLAlchemy's begin/commit events stay silent)."""
    volunteer_id = db.transaction(lambda s: _volunteer(s, center_id, "13900000004"))
    seen = []
    listeners = [(db.engine, name, (lambda *a, name=name: seen.append(name))) for name in ("begin", "commit")]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        for _ in range(3):
            assert db.read_one(BY_ID, {"volunteer_id": volunteer_id}).id == volunteer_id
        assert seen == []
        db.transaction(lambda s: s.execute(BY_ID, {"volunteer_id": volunteer_id}).first())
        assert seen == ["begin", "commit"]  # the listeners do hear a unit of work
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


def test_a_statement_is_compiled_once_per_database(db, center_id):
    volunteer_id = db.transaction(lambda s: _volunteer(s, center_id, "13900000005"))
    db.read_one(BY_ID, {"volunteer_id": volunteer_id})
    compiled = db._compiled_read(BY_ID)
    db.read_one(BY_ID, {"volunteer_id": volunteer_id})
    assert db._compiled_read(BY_ID) is compiled
