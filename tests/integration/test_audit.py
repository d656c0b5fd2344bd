"""The audit log: written in the transaction of the change it describes, listed and filtered by admins only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from timebank.audit import services as audit
from timebank.audit.models import AuditEntry
from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center, set_center_active, update_center
from timebank.clock import utcnow
from timebank.errors import AlreadyExists
from timebank.volunteers.services import create_volunteer

ADMIN = Principal(user_id=41, username="city-admin", role="admin")


def entries(db) -> list[AuditEntry]:
    return db.transaction(lambda s: s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all(), readonly=True)


def test_a_change_writes_who_did_what_to_which_object_where_and_when(db):
    center = create_center(db, actor=ADMIN, code="JK01", name="京口区中心", district="京口区")
    staff = Principal(user_id=42, username="staff-jk01", role="staff", center_id=center.id)
    before = utcnow()
    volunteer = create_volunteer(db, actor=staff, name="王秀英", phone="13805291234", home_center="JK01")
    entry = entries(db)[-1]
    assert (entry.actor_user_id, entry.actor_name, entry.actor_role, entry.center_id, entry.action,
            entry.object_type, entry.object_id) == (42, "staff-jk01", "staff", center.id, "volunteer.create",
                                                     "volunteer", str(volunteer.id))
    assert entry.detail == {"name": "王秀英", "phone": "13805291234", "home_center": "JK01"}
    assert before - timedelta(seconds=1) <= entry.at <= utcnow()


def test_an_update_records_what_changed_from_what_to_what(db):
    center = create_center(db, actor=ADMIN, code="JK01", name="京口区中心", district="京口区")
    update_center(db, actor=ADMIN, center_id=center.id, name="京口区大市口街道养老服务中心")
    update_center(db, actor=ADMIN, center_id=center.id, name="京口区大市口街道养老服务中心")  # no change
    set_center_active(db, actor=ADMIN, center_id=center.id, active=False)
    assert [(e.action, e.detail.get("changed")) for e in entries(db)] == [
        ("center.create", None),
        ("center.update", {"name": ["京口区中心", "京口区大市口街道养老服务中心"]}),
        ("center.deactivate", {"active": [True, False]}),
    ]


def test_a_refused_change_leaves_no_entry(db):
    create_center(db, actor=ADMIN, code="JK01", name="京口区中心", district="京口区")
    create_volunteer(db, actor=ADMIN, name="王秀英", phone="13805291234", home_center="JK01")
    count = len(entries(db))
    with pytest.raises(AlreadyExists):
        create_volunteer(db, actor=ADMIN, name="李四", phone="13805291234", home_center="JK01")
    assert len(entries(db)) == count


def test_an_entry_is_rolled_back_with_its_transaction(db):
    class Boom(Exception):
        pass

    def change_then_fail(s):
        audit.record(s, actor=ADMIN, action="center.create", object_type="center", object_id=1)
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 1  # written, not committed
        raise Boom()

    with pytest.raises(Boom):
        db.transaction(change_then_fail)
    assert entries(db) == []


def test_admins_list_entries_newest_first_and_filter_them(db):
    jk = create_center(db, actor=ADMIN, code="JK01", name="京口区中心", district="京口区")
    rz = create_center(db, actor=ADMIN, code="RZ01", name="润州区中心", district="润州区")
    staff = Principal(user_id=42, username="staff-rz01", role="staff", center_id=rz.id)
    create_volunteer(db, actor=staff, name="李四", phone="13805291235", home_center="RZ01")
    create_volunteer(db, actor=ADMIN, name="王秀英", phone="13805291234", home_center="JK01")

    everything = audit.list_entries(db, actor=ADMIN)
    assert [e.action for e in everything.items] == ["volunteer.create", "volunteer.create", "center.create",
                                                    "center.create"]
    assert [e.detail["name"] for e in audit.list_entries(db, actor=ADMIN, action="volunteer.create").items] == [
        "王秀英", "李四"]
    assert [e.actor_name for e in audit.list_entries(db, actor=ADMIN, actor_user_id=42).items] == ["staff-rz01"]
    assert [e.object_type for e in audit.list_entries(db, actor=ADMIN, center_id=jk.id).items] == [
        "volunteer", "center"]
    assert audit.list_entries(db, actor=ADMIN, object_type="center").total == 2
    assert audit.list_entries(db, actor=ADMIN, since=utcnow() + timedelta(minutes=1)).total == 0
    page = audit.list_entries(db, actor=ADMIN, page=2, per_page=3)
    assert (page.total, page.pages, len(page.items)) == (4, 2, 1)


@pytest.mark.parametrize("role", ["staff", "supervisor", "volunteer"])
def test_only_admins_read_the_audit_log(db, role):
    with pytest.raises(Forbidden):
        audit.list_entries(db, actor=Principal(user_id=1, username="someone", role=role, center_id=1))
