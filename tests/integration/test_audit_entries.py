"""Every audited action writes an entry that can be read back: who did it, what and to which object, before/after.

``ACTIONS`` does each action through its service and says what its entry must hold; a test reads the source for
every action the services record, so an action added later without a case here fails the suite, and an action
whose ``record(...)`` goes missing fails its case.
"""
from __future__ import annotations

import io

import re
from pathlib import Path

import pytest
from PIL import Image

from datetime import datetime, timedelta, timezone

from timebank.audit.services import list_entries
from timebank.auth import services as auth
from timebank.auth.access import Principal
from timebank.check_ins import services as check_ins
from timebank.errors import AlreadyExists
from timebank.hours import services as hours
from timebank.hours.queries import list_records
from timebank.catalog import services as catalog
from timebank.centers.services import create_center, set_center_active, update_center
from timebank.receipts.keys import ensure_signing_key, rotate_keys
from timebank.service_types.services import create_service_type, update_service_type
from timebank.users import services as users
from timebank.volunteers.csv_import import import_volunteers
from timebank.volunteers.services import create_volunteer, set_volunteer_active, update_volunteer

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ROOT = Path(__file__).resolve().parents[2] / "timebank"
ADMIN = Principal(user_id=7, username="city-admin", role="admin")
PASSWORD = "harbor-lantern-77"


def world(db):
    """A center with one volunteer, and a staff user."""
    center = create_center(db, actor=ADMIN, code="JK01", name="大市口街道养老服务中心", district="京口区")
    volunteer = create_volunteer(db, actor=ADMIN, name="王秀英", phone="13805291234", home_center="JK01")
    staff = users.create_user(db, actor=ADMIN, username="staff-jk01", password=PASSWORD, role="staff", center="JK01")
    return {"center": center, "volunteer": volunteer, "staff": staff}


# action → what to do (returns the object's id), the object type, and what the entry's detail must contain.
def _center_update(db, w):
    update_center(db, actor=ADMIN, center_id=w["center"].id, name="大市口养老服务中心")
    return w["center"].id


def _center_deactivate(db, w):
    set_center_active(db, actor=ADMIN, center_id=w["center"].id, active=False)
    return w["center"].id


def _center_activate(db, w):
    set_center_active(db, actor=ADMIN, center_id=w["center"].id, active=False)
    set_center_active(db, actor=ADMIN, center_id=w["center"].id, active=True)
    return w["center"].id


def _volunteer_create(db, w):
    return create_volunteer(db, actor=ADMIN, name="李建国", phone="13805290000", home_center="JK01").id


def _volunteer_update(db, w):
    update_volunteer(db, actor=ADMIN, volunteer_id=w["volunteer"].id, birth_year=1956)
    return w["volunteer"].id


def _volunteer_deactivate(db, w):
    set_volunteer_active(db, actor=ADMIN, volunteer_id=w["volunteer"].id, active=False)
    return w["volunteer"].id


def _volunteer_activate(db, w):
    set_volunteer_active(db, actor=ADMIN, volunteer_id=w["volunteer"].id, active=False)
    set_volunteer_active(db, actor=ADMIN, volunteer_id=w["volunteer"].id, active=True)
    return w["volunteer"].id


def _volunteer_import(db, w):
    import_volunteers(db, actor=ADMIN, csv_text="name,phone,center\n张桂英,13805290001,JK01\n", dry_run=False)
    return None  # the entry names the range of the new volunteers' ids


def _user_create(db, w):
    return users.create_user(db, actor=ADMIN, username="wang.li", password=None, role="staff", center="JK01").id


def _user_update(db, w):
    users.update_user(db, actor=ADMIN, user_id=w["staff"].id, display_name="陈丽")
    return w["staff"].id


def _user_deactivate(db, w):
    users.set_user_active(db, actor=ADMIN, user_id=w["staff"].id, active=False)
    return w["staff"].id


def _user_activate(db, w):
    users.set_user_active(db, actor=ADMIN, user_id=w["staff"].id, active=False)
    users.set_user_active(db, actor=ADMIN, user_id=w["staff"].id, active=True)
    return w["staff"].id


def _user_reset_password(db, w):
    users.reset_password(db, actor=ADMIN, user_id=w["staff"].id)
    return w["staff"].id


def _user_change_password(db, w):
    principal = auth.load_principal(db, w["staff"].id)
    auth.change_password(db, principal=principal, current_password=PASSWORD, new_password="my-own-ridge-204",
                         address="127.0.0.1")
    return w["staff"].id


def _service_type_create(db, w):
    return create_service_type(db, actor=ADMIN, code="meal-delivery", name_zh="助餐送餐", credits_per_hour=100).id


def _service_type_update(db, w):
    kind = create_service_type(db, actor=ADMIN, code="cleaning", name_zh="居家保洁", credits_per_hour=100)
    update_service_type(db, actor=ADMIN, service_type_id=kind.id, credits_per_hour=150)
    return kind.id


def _signing_key_rotate(db, w):
    db.secret_key = "audit-test-secret"  # the test database is opened without one; sealing a key needs it
    first = ensure_signing_key(db)
    return rotate_keys(db).new_key_id, first


NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
VOLUNTEER_NAME = "volunteer-1"


def _staff(db, w) -> Principal:
    return auth.load_principal(db, w["staff"].id)


def _record(db, w, hours_ago: float = 5):
    try:
        create_service_type(db, actor=ADMIN, code="visit", name_zh="上门探访", credits_per_hour=150)
    except AlreadyExists:
        pass
    start = NOW - timedelta(hours=hours_ago)
    return hours.log_record(db, actor=_staff(db, w), volunteer_id=w["volunteer"].id, center="JK01", service_type="visit",
                            started_at=start, ended_at=start + timedelta(hours=2), now=NOW)


def _approved(db, w):
    db.secret_key = "audit-test-secret"  # the receipt's signing key is sealed with it
    record = _record(db, w)
    hours.approve_records(db, actor=_staff(db, w), record_ids=[record.id], validity_days=730, now=NOW)
    return record.id


def _record_reject(db, w):
    record = _record(db, w)
    hours.reject_record(db, actor=_staff(db, w), record_id=record.id, reason="重复登记", now=NOW)
    return record.id


def _record_reverse(db, w):
    record_id = _approved(db, w)
    hours.reverse_record(db, actor=_staff(db, w), record_id=record_id, reason="登记错了", now=NOW)
    return record_id


def _record_confirm(db, w):
    record = _record(db, w)
    hours.confirm_record(db, actor=_staff(db, w), record_id=record.id, rating=5, now=NOW)
    return record.id


def _record_review(db, w):
    record_id = _approved(db, w)
    supervisor = users.create_user(db, actor=ADMIN, username="supervisor-1", password=PASSWORD, role="supervisor",
                                   supervised_centers=["JK01"])
    hours.review_record(db, actor=auth.load_principal(db, supervisor.id), record_id=record_id, rating=4, now=NOW)
    return record_id


def _volunteer(w) -> Principal:
    return Principal(user_id=None, username=VOLUNTEER_NAME, role="volunteer", volunteer_id=w["volunteer"].id)


def _scan(db, w, at):
    db.secret_key = "audit-test-secret"  # the poster's code is signed with a key derived from it
    code = check_ins.poster_code(db, actor=ADMIN, center="JK01", prefix="HTTPS://TIMEBANK.EXAMPLE.CN", now=at)
    return check_ins.scan(db, actor=_volunteer(w), text=code.text, now=at)


def _check_in_open(db, w):
    create_service_type(db, actor=ADMIN, code="visit", name_zh="上门探访", credits_per_hour=150)
    _scan(db, w, NOW - timedelta(hours=3))
    return None


def _check_in_close(db, w):
    _check_in_open(db, w)
    _scan(db, w, NOW - timedelta(hours=1))
    return None


def _check_in_service_type(db, w):
    _check_in_open(db, w)
    create_service_type(db, actor=ADMIN, code="singing", name_zh="教唱歌", credits_per_hour=100)
    [open_entry] = list_entries(db, actor=ADMIN, action="check_in.open").items
    check_ins.choose_service_type(db, actor=_volunteer(w), check_in_id=int(open_entry.object_id),
                                  service_type="singing")
    return int(open_entry.object_id)


def _check_in_stale(db, w):
    _check_in_open(db, w)
    check_ins.close_stale_check_ins(db, now=NOW + timedelta(hours=13))
    return None


def _record_set_end(db, w):
    _check_in_stale(db, w)
    [record] = list_records(db, actor=_staff(db, w), volunteer_id=w["volunteer"].id).items
    hours.set_record_end(db, actor=_staff(db, w), record_id=record.id, ended_at=NOW - timedelta(hours=1),
                         now=NOW + timedelta(hours=13))
    return record.id


def _catalog_item_create(db, w):
    return catalog.create_item(db, actor=ADMIN, sku="RICE-5KG", name_zh="大米", name_en="Rice", unit="袋",
                               price=1200).id


def _catalog_item_update(db, w):
    item_id = _catalog_item_create(db, w)
    catalog.update_item(db, actor=ADMIN, item_id=item_id, price=1500)
    return item_id


def _catalog_item_photo(db, w):
    item_id = _catalog_item_create(db, w)
    catalog.set_photo(db, actor=ADMIN, item_id=item_id, data=_png(40, 30))
    return item_id


def _catalog_item_photo_remove(db, w):
    item_id = _catalog_item_photo(db, w)
    catalog.remove_photo(db, actor=ADMIN, item_id=item_id)
    return item_id


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 160, 60)).save(out, "PNG")
    return out.getvalue()


CENTER_CREATE = {"code": "JK01", "name": "大市口街道养老服务中心", "district": "京口区"}
ACTIONS = {
    "service_record.create": (lambda db, w: _record(db, w).id, "service_record", {"source": "staff"}, "staff"),
    "service_record.approve": (_approved, "service_record", {"credits": "3.00", "rate": "1.50"}, "staff"),
    "service_record.reject": (_record_reject, "service_record", {"reason": "重复登记"}, "staff"),
    "service_record.reverse": (_record_reverse, "service_record", {"reason": "登记错了", "credits": "3.00"}, "staff"),
    "service_record.confirm": (_record_confirm, "service_record", {"rating": 5}, "staff"),
    "service_record.review": (_record_review, "service_record", {"rating": 4}, "supervisor"),
    "service_record.set_end": (_record_set_end, "service_record", {}, "staff"),
    "check_in.open": (_check_in_open, "check_in", {}, "volunteer"),
    "check_in.close": (_check_in_close, "check_in", {}, "volunteer"),
    "check_in.service_type": (_check_in_service_type, "check_in", {"service_type": "singing"}, "volunteer"),
    "check_in.stale": (_check_in_stale, "check_in", {}, "any"),
    # action: (do it, object type, detail it must contain, who: "admin", "staff" or "system")
    "center.create": (lambda db, w: w["center"].id, "center", CENTER_CREATE, "admin"),
    "center.update": (_center_update, "center",
                      {"changed": {"name": ["大市口街道养老服务中心", "大市口养老服务中心"]}}, "admin"),
    "center.deactivate": (_center_deactivate, "center", {"changed": {"active": [True, False]}}, "admin"),
    "center.activate": (_center_activate, "center", {"changed": {"active": [False, True]}}, "admin"),
    "volunteer.create": (_volunteer_create, "volunteer",
                         {"name": "李建国", "phone": "13805290000", "home_center": "JK01"}, "admin"),
    "volunteer.update": (_volunteer_update, "volunteer", {"changed": {"birth_year": [None, 1956]}}, "admin"),
    "volunteer.deactivate": (_volunteer_deactivate, "volunteer", {"changed": {"active": [True, False]}}, "admin"),
    "volunteer.activate": (_volunteer_activate, "volunteer", {"changed": {"active": [False, True]}}, "admin"),
    "volunteer.import": (_volunteer_import, "volunteer_import", {"created": 1}, "admin"),
    "user.create": (_user_create, "user", {"username": "wang.li", "role": "staff", "center": "JK01"}, "admin"),
    "user.update": (_user_update, "user", {"changed": {"display_name": ["", "陈丽"]}}, "admin"),
    "user.deactivate": (_user_deactivate, "user", {"changed": {"active": [True, False]}}, "admin"),
    "user.activate": (_user_activate, "user", {"changed": {"active": [False, True]}}, "admin"),
    "user.reset_password": (_user_reset_password, "user", {}, "admin"),
    "user.change_password": (_user_change_password, "user", {}, "staff"),
    "service_type.create": (_service_type_create, "service_type",
                            {"code": "meal-delivery", "name_zh": "助餐送餐", "credits_per_hour": "1.00"}, "admin"),
    "service_type.update": (_service_type_update, "service_type",
                            {"changed": {"credits_per_hour": [100, 150]}}, "admin"),
    "catalog_item.create": (_catalog_item_create, "catalog_item",
                            {"sku": "RICE-5KG", "name_zh": "大米", "price": "12.00"}, "admin"),
    "catalog_item.update": (_catalog_item_update, "catalog_item", {"changed": {"price": [1200, 1500]}}, "admin"),
    "catalog_item.photo": (_catalog_item_photo, "catalog_item", {"width": 40, "height": 30}, "admin"),
    "catalog_item.photo_remove": (_catalog_item_photo_remove, "catalog_item", {}, "admin"),
    "signing_key.rotate": (_signing_key_rotate, "signing_key", {"replaces": "first"}, "system"),
}


def recorded_actions() -> set[str]:
    """Every action name the modules that record audit entries write (``action="noun.verb"`` or ``action = …``)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "record(" not in text and "record_many(" not in text:
            continue
        for line in text.splitlines():
            if re.search(r"\baction\s*=", line):
                found |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    return found


def test_every_action_the_services_record_has_a_case_here():
    assert recorded_actions() - set(ACTIONS) == set(), "add a case to ACTIONS for each new audited action"
    assert set(ACTIONS) - recorded_actions() == set(), "an action in ACTIONS is no longer recorded anywhere"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_audited_action_can_be_read_back(db, action):
    do, object_type, detail, who = ACTIONS[action]
    w = world(db)
    object_id = do(db, w)
    if action == "signing_key.rotate":  # the detail names the key it replaced, known only now
        object_id, replaced = object_id
        detail = {"replaces": replaced}
    found = list_entries(db, actor=ADMIN, action=action).items
    assert found, f"no {action} entry"
    entry = found[0]  # the newest
    actor = {"admin": (ADMIN.user_id, ADMIN.username, "admin"), "staff": (w["staff"].id, "staff-jk01", "staff"),
             "system": (None, "rotate-keys", "system"), "volunteer": (None, VOLUNTEER_NAME, "volunteer")}.get(who)
    if who == "supervisor":
        assert (entry.actor_name, entry.actor_role) == ("supervisor-1", "supervisor")
    elif actor is not None:
        assert (entry.actor_user_id, entry.actor_name, entry.actor_role) == actor
    assert entry.object_type == object_type
    if object_id is not None:
        assert entry.object_id == str(object_id)
    assert {key: entry.detail.get(key) for key in detail} == detail
