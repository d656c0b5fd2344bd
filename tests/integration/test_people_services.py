"""Centers, volunteers, service types and users through their services, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from timebank.auth import passwords
from timebank.auth.access import Forbidden, Principal
from timebank.auth.models import User
from timebank.auth.services import load_principal
from timebank.centers.services import create_center, get_center, list_centers, set_center_active, update_center
from timebank.errors import AlreadyExists, NotFound, ValidationFailed
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account
from timebank.service_types.services import create_service_type, list_service_types, update_service_type
from timebank.users.errors import LastAdmin
from timebank.users.services import (
    create_user,
    ensure_first_admin,
    get_user,
    list_users,
    reset_password,
    set_user_active,
    update_user,
)
from timebank.volunteers.services import (
    create_volunteer,
    get_volunteer,
    list_volunteers,
    set_volunteer_active,
    update_volunteer,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ADMIN = Principal(user_id=None, username="city-admin", role="admin")
SYSTEM = Principal.system("test")
PASSWORD = "quiet-river-stone-42"


def staff_at(center_id: int) -> Principal:
    return Principal(user_id=None, username="staff", role="staff", center_id=center_id)


def supervisor_of(*center_ids: int) -> Principal:
    return Principal(user_id=None, username="supervisor", role="supervisor",
                     supervised_center_ids=frozenset(center_ids))


def volunteer_as(volunteer_id: int) -> Principal:
    return Principal(user_id=None, username="volunteer", role="volunteer", volunteer_id=volunteer_id)


def open_center(db, code: str, district: str = "京口区"):
    return create_center(db, actor=ADMIN, code=code, name=f"{code} 养老服务中心", district=district)


def register(db, name: str, phone: str, center: str, actor: Principal = ADMIN, **extra):
    return create_volunteer(db, actor=actor, name=name, phone=phone, home_center=center, **extra)


def account(db, account_id: int):
    return db.transaction(lambda s: s.get(Account, account_id), readonly=True)


@pytest.fixture
def two_centers(db):
    return open_center(db, "JK01"), open_center(db, "RZ01", "润州区")


# ------------------------------------------------------------------------------------------------------------ centers

def test_a_new_center_has_its_own_issuance_account(db):
    center = create_center(db, actor=ADMIN, code=" jk01 ", name="京口区大市口街道养老服务中心", district="京口区")
    assert (center.code, center.name, center.district, center.active) == ("JK01", "京口区大市口街道养老服务中心",
                                                                          "京口区", True)
    issuance = db.transaction(lambda s: s.execute(select(Account).where(Account.code == "issuance:JK01")).scalar_one(),
                              readonly=True)
    assert (issuance.kind, issuance.center_id, issuance.no_overdraft) == ("issuance", center.id, False)
    assert check_ledger(db) == []


def test_center_codes_are_unique_whatever_their_case(db):
    open_center(db, "JK01")
    with pytest.raises(AlreadyExists) as refused:
        open_center(db, "jk01")
    assert "code" in refused.value.fields


def test_only_an_admin_opens_or_changes_centers(db, two_centers):
    jk, _ = two_centers
    with pytest.raises(Forbidden):
        create_center(db, actor=staff_at(jk.id), code="X1", name="x", district="x")
    with pytest.raises(Forbidden):
        update_center(db, actor=staff_at(jk.id), center_id=jk.id, name="renamed")


def test_staff_and_supervisors_see_only_their_centers(db, two_centers):
    jk, rz = two_centers
    assert [c.code for c in list_centers(db, actor=ADMIN).items] == ["JK01", "RZ01"]
    assert [c.code for c in list_centers(db, actor=staff_at(jk.id)).items] == ["JK01"]
    assert [c.code for c in list_centers(db, actor=supervisor_of(rz.id)).items] == ["RZ01"]
    with pytest.raises(NotFound):
        get_center(db, actor=staff_at(jk.id), center_id=rz.id)
    assert get_center(db, actor=staff_at(jk.id), center_id=jk.id).code == "JK01"


def test_a_deactivated_center_takes_no_new_volunteers(db, two_centers):
    jk, _ = two_centers
    assert set_center_active(db, actor=ADMIN, center_id=jk.id, active=False).active is False
    assert [c.code for c in list_centers(db, actor=ADMIN, active=True).items] == ["RZ01"]
    with pytest.raises(ValidationFailed) as refused:
        register(db, "王秀英", "13805291234", "JK01")
    assert refused.value.fields == {"home_center": ["Center JK01 is deactivated."]}


# --------------------------------------------------------------------------------------------------------- volunteers

def test_a_new_volunteer_has_a_normalized_phone_and_an_account_named_after_them(db, two_centers):
    volunteer = register(db, " 王秀英 ", "+86 138-0529-1234", "jk01", id_card_tail="123x", birth_year=1956)
    assert (volunteer.name, volunteer.phone, volunteer.home_center, volunteer.id_card_tail, volunteer.birth_year,
            volunteer.active) == ("王秀英", "13805291234", "JK01", "123X", 1956, True)
    ledger_account = account(db, volunteer.account_id)
    assert (ledger_account.code, ledger_account.kind, ledger_account.no_overdraft) == (
        f"volunteer:{volunteer.id}", "volunteer", True)
    assert check_ledger(db) == []


def test_a_phone_number_belongs_to_one_volunteer(db, two_centers):
    register(db, "王秀英", "13805291234", "JK01")
    with pytest.raises(AlreadyExists) as refused:
        register(db, "李四", "138 0529 1234", "RZ01")
    assert list(refused.value.fields) == ["phone"]
    assert list_volunteers(db, actor=ADMIN).total == 1


def test_every_bad_field_is_reported_at_once(db, two_centers):
    with pytest.raises(ValidationFailed) as refused:
        register(db, "", "12345", "JK01", id_card_tail="12", birth_year=1850)
    assert set(refused.value.fields) == {"name", "phone", "id_card_tail", "birth_year"}


def test_staff_register_volunteers_in_their_own_center_only(db, two_centers):
    jk, _ = two_centers
    assert register(db, "王秀英", "13805291234", "JK01", actor=staff_at(jk.id)).home_center == "JK01"
    with pytest.raises(ValidationFailed) as refused:
        register(db, "李四", "13805291235", "RZ01", actor=staff_at(jk.id))
    assert refused.value.fields == {"home_center": ["There is no center with code RZ01."]}  # as if it did not exist
    for role in (supervisor_of(jk.id), volunteer_as(1)):
        with pytest.raises(Forbidden):
            register(db, "赵五", "13805291236", "JK01", actor=role)


def test_staff_of_one_center_cannot_see_or_change_another_centers_volunteer(db, two_centers):
    jk, rz = two_centers
    ours = register(db, "王秀英", "13805291234", "JK01")
    theirs = register(db, "李四", "13805291235", "RZ01")
    staff = staff_at(jk.id)
    assert [v.id for v in list_volunteers(db, actor=staff).items] == [ours.id]
    assert list_volunteers(db, actor=staff, center="RZ01").total == 0
    assert get_volunteer(db, actor=staff, volunteer_id=ours.id).name == "王秀英"
    with pytest.raises(NotFound):
        get_volunteer(db, actor=staff, volunteer_id=theirs.id)
    with pytest.raises(NotFound):
        update_volunteer(db, actor=staff, volunteer_id=theirs.id, name="改名")
    with pytest.raises(ValidationFailed):
        update_volunteer(db, actor=staff, volunteer_id=ours.id, home_center="RZ01")
    assert get_volunteer(db, actor=ADMIN, volunteer_id=theirs.id).name == "李四"


def test_a_supervisor_sees_the_volunteers_of_the_assigned_centers(db, two_centers):
    jk, rz = two_centers
    register(db, "王秀英", "13805291234", "JK01")
    theirs = register(db, "李四", "13805291235", "RZ01")
    assert [v.id for v in list_volunteers(db, actor=supervisor_of(rz.id)).items] == [theirs.id]
    assert list_volunteers(db, actor=supervisor_of(jk.id, rz.id)).total == 2
    assert list_volunteers(db, actor=supervisor_of()).total == 0


def test_a_volunteer_sees_only_themselves(db, two_centers):
    me = register(db, "王秀英", "13805291234", "JK01")
    neighbour = register(db, "李四", "13805291235", "JK01")
    assert get_volunteer(db, actor=volunteer_as(me.id), volunteer_id=me.id).id == me.id
    with pytest.raises(NotFound):
        get_volunteer(db, actor=volunteer_as(me.id), volunteer_id=neighbour.id)
    assert [v.id for v in list_volunteers(db, actor=volunteer_as(me.id)).items] == [me.id]


def test_volunteers_are_found_by_part_of_a_name_or_phone_and_paged(db, two_centers):
    for number, name in enumerate(["王秀英", "王建国", "李四", "赵五", "钱六"], start=1):
        register(db, name, f"1380529000{number}", "JK01")
    assert sorted(v.name for v in list_volunteers(db, actor=ADMIN, search="王").items) == ["王建国", "王秀英"]
    assert [v.name for v in list_volunteers(db, actor=ADMIN, search="0003").items] == ["李四"]
    page = list_volunteers(db, actor=ADMIN, page=2, per_page=2)
    assert (page.total, page.pages, page.page, [v.name for v in page.items]) == (5, 3, 2, ["李四", "王建国"])
    with pytest.raises(ValidationFailed):
        list_volunteers(db, actor=ADMIN, per_page=0)


def test_a_volunteer_is_corrected_moved_and_deactivated(db, two_centers):
    volunteer = register(db, "王秀英", "13805291234", "JK01", birth_year=1956)
    taken = register(db, "李四", "13805291235", "JK01")
    changed = update_volunteer(db, actor=ADMIN, volunteer_id=volunteer.id, name="王秀芳",
                                        home_center="RZ01", birth_year=None)
    assert (changed.name, changed.home_center, changed.birth_year) == ("王秀芳", "RZ01", None)
    with pytest.raises(AlreadyExists):
        update_volunteer(db, actor=ADMIN, volunteer_id=volunteer.id, phone=taken.phone)
    with pytest.raises(ValidationFailed):
        update_volunteer(db, actor=ADMIN, volunteer_id=volunteer.id, account_id=1)
    assert set_volunteer_active(db, actor=ADMIN, volunteer_id=volunteer.id, active=False).active is False
    assert [v.name for v in list_volunteers(db, actor=ADMIN, active=True).items] == ["李四"]


# ------------------------------------------------------------------------------------------------------ service types

def test_a_service_type_has_a_rate_in_hundredths_of_a_credit(db):
    made = create_service_type(db, actor=ADMIN, code="Smartphone-Class", name_zh="智能手机教学",
                                        name_en="Smartphone class", credits_per_hour=150)
    assert (made.code, made.name, made.name_en, made.credits_per_hour) == ("smartphone-class", "智能手机教学",
                                                                           "Smartphone class", 150)
    create_service_type(db, actor=ADMIN, code="companionship", name_zh="陪伴聊天", credits_per_hour=100)
    listed = list_service_types(db, actor=volunteer_as(1))
    assert [(t.code, t.name_en) for t in listed] == [("companionship", "陪伴聊天"),
                                                      ("smartphone-class", "Smartphone class")]
    with pytest.raises(AlreadyExists):
        create_service_type(db, actor=ADMIN, code="companionship", name_zh="陪伴", credits_per_hour=100)
    with pytest.raises(ValidationFailed):
        create_service_type(db, actor=ADMIN, code="cleaning", name_zh="保洁", credits_per_hour=0)
    with pytest.raises(Forbidden):
        create_service_type(db, actor=staff_at(1), code="cleaning", name_zh="保洁", credits_per_hour=100)
    updated = update_service_type(db, actor=ADMIN, service_type_id=made.id, credits_per_hour=200,
                                           active=False)
    assert (updated.credits_per_hour, updated.active) == (200, False)
    assert [t.code for t in list_service_types(db, actor=ADMIN, active=True)] == ["companionship"]


# -------------------------------------------------------------------------------------------------------------- users

def test_users_of_each_role_carry_what_their_role_needs(db, two_centers):
    jk, rz = two_centers
    volunteer = register(db, "王秀英", "13805291234", "JK01")
    staff = create_user(db, actor=ADMIN, username="Staff-JK01", password=PASSWORD, role="staff",
                                 center="jk01", display_name="陈丽")
    supervisor = create_user(db, actor=ADMIN, username="jiandu", password=PASSWORD, role="supervisor",
                                      supervised_centers=["RZ01", "JK01", "RZ01"])
    linked = create_user(db, actor=ADMIN, username="13805291234", password=PASSWORD, role="volunteer",
                                  volunteer_id=volunteer.id)
    assert (staff.username, staff.role, staff.center, staff.display_name) == ("staff-jk01", "staff", "JK01", "陈丽")
    assert supervisor.supervised_centers == ("JK01", "RZ01")
    assert linked.volunteer_id == volunteer.id
    assert load_principal(db, supervisor.id).visible_center_ids() == {jk.id, rz.id}
    assert load_principal(db, staff.id).visible_center_ids() == {jk.id}
    assert [u.username for u in list_users(db, actor=ADMIN).items] == ["13805291234", "jiandu",
                                                                               "staff-jk01"]
    assert [u.username for u in list_users(db, actor=ADMIN, role="staff").items] == ["staff-jk01"]


@pytest.mark.parametrize("role, scope, field", [
    ("staff", {}, "center"),
    ("staff", {"center": "NOPE"}, "center"),
    ("admin", {"center": "JK01"}, "center"),
    ("volunteer", {}, "volunteer_id"),
    ("volunteer", {"volunteer_id": 999_999}, "volunteer_id"),
    ("staff", {"center": "JK01", "supervised_centers": ["RZ01"]}, "supervised_centers"),
])
def test_a_user_without_what_their_role_needs_is_refused(db, two_centers, role, scope, field):
    with pytest.raises(ValidationFailed) as refused:
        create_user(db, actor=ADMIN, username="someone", password=PASSWORD, role=role, **scope)
    assert field in refused.value.fields
    assert list_users(db, actor=ADMIN).total == 0


def test_weak_passwords_and_taken_usernames_are_refused(db):
    with pytest.raises(ValidationFailed) as refused:
        create_user(db, actor=ADMIN, username="someone", password="password", role="admin")
    assert "password" in refused.value.fields
    create_user(db, actor=ADMIN, username="someone", password=PASSWORD, role="admin")
    with pytest.raises(AlreadyExists):
        create_user(db, actor=ADMIN, username="SOMEONE", password=PASSWORD, role="admin")


def test_without_a_password_a_one_time_password_is_generated_and_must_be_changed(db):
    user = create_user(db, actor=ADMIN, username="newcomer", password=None, role="admin")
    assert user.must_change_password and user.one_time_password
    stored = db.transaction(lambda s: s.get(User, user.id), readonly=True)
    assert passwords.verify_password(stored.password_hash, user.one_time_password)
    assert get_user(db, actor=ADMIN, user_id=user.id).one_time_password is None  # shown once only


def test_only_admins_manage_users_but_everyone_reads_themselves(db, two_centers):
    jk, _ = two_centers
    staff = create_user(db, actor=ADMIN, username="staff-jk01", password=PASSWORD, role="staff",
                                 center="JK01")
    other = create_user(db, actor=ADMIN, username="staff-2", password=PASSWORD, role="staff", center="JK01")
    me = load_principal(db, staff.id)
    assert get_user(db, actor=me, user_id=staff.id).username == "staff-jk01"
    with pytest.raises(NotFound):
        get_user(db, actor=me, user_id=other.id)
    for attempt in (lambda: list_users(db, actor=me),
                    lambda: create_user(db, actor=me, username="x-y-z", password=PASSWORD, role="admin"),
                    lambda: update_user(db, actor=me, user_id=staff.id, role="admin")):
        with pytest.raises(Forbidden):
            attempt()


def test_changing_what_a_user_may_do_ends_their_sessions(db, two_centers):
    user = create_user(db, actor=ADMIN, username="staff-jk01", password=PASSWORD, role="staff",
                                center="JK01")
    before = load_principal(db, user.id)
    moved = update_user(db, actor=ADMIN, user_id=user.id, role="supervisor",
                                 supervised_centers=["JK01", "RZ01"])
    assert (moved.role, moved.center, moved.supervised_centers) == ("supervisor", None, ("JK01", "RZ01"))
    after = load_principal(db, user.id)
    assert after.auth_epoch == before.auth_epoch + 1
    renamed = update_user(db, actor=ADMIN, user_id=user.id, display_name="顾建华")
    assert renamed.display_name == "顾建华" and load_principal(db, user.id).auth_epoch == after.auth_epoch
    set_user_active(db, actor=ADMIN, user_id=user.id, active=False)
    assert load_principal(db, user.id) is None


def test_a_password_reset_gives_a_new_one_time_password(db):
    user = create_user(db, actor=ADMIN, username="forgetful", password=PASSWORD, role="admin")
    reset = reset_password(db, actor=ADMIN, user_id=user.id)
    stored = db.transaction(lambda s: s.get(User, user.id), readonly=True)
    assert reset.must_change_password and stored.auth_epoch == 1
    assert passwords.verify_password(stored.password_hash, reset.one_time_password)
    assert not passwords.verify_password(stored.password_hash, PASSWORD)


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(db, two_centers):
    only = create_user(db, actor=ADMIN, username="only-admin", password=PASSWORD, role="admin")
    with pytest.raises(LastAdmin):
        set_user_active(db, actor=ADMIN, user_id=only.id, active=False)
    with pytest.raises(LastAdmin):
        update_user(db, actor=ADMIN, user_id=only.id, role="staff", center="JK01")
    create_user(db, actor=ADMIN, username="second-admin", password=PASSWORD, role="admin")
    assert set_user_active(db, actor=ADMIN, user_id=only.id, active=False).active is False


def test_the_first_admin_is_created_once_with_a_one_time_password(db):
    password = ensure_first_admin(db)
    assert password
    assert ensure_first_admin(db) is None
    [admin] = list_users(db, actor=ADMIN).items
    assert (admin.username, admin.role, admin.must_change_password) == ("admin", "admin", True)
    stored = db.transaction(lambda s: s.get(User, admin.id), readonly=True)
    assert passwords.verify_password(stored.password_hash, password)


# ---------------------------------------------------------------------------------------------- permissions, bugs 6/7

def _views_and_their_services(db, jk):
    """Each state-changing API view, beside a call of the service it serves (that passes every check but the role)."""
    from timebank.centers import api as centers_api
    from timebank.service_types import api as service_types_api
    from timebank.users import api as users_api
    from timebank.volunteers import api as volunteers_api

    serial = iter(range(10_000))

    def phone():
        return f"1380529{next(serial):04d}"

    volunteer = register(db, "王秀英", phone(), "JK01")
    return [
        (centers_api.create_center, lambda actor: create_center(
            db, actor=actor, code=f"N{next(serial)}", name="新中心", district="京口区")),
        (centers_api.update_center, lambda actor: update_center(db, actor=actor, center_id=jk.id, district="京口区")),
        (volunteers_api.create_volunteer, lambda actor: register(db, "李四", phone(), "JK01", actor=actor)),
        (volunteers_api.update_volunteer, lambda actor: update_volunteer(
            db, actor=actor, volunteer_id=volunteer.id, birth_year=1956)),
        (users_api.create_user, lambda actor: create_user(
            db, actor=actor, username=f"user-{next(serial)}", password=None, role="admin")),
        (users_api.list_users, lambda actor: list_users(db, actor=actor)),
        (service_types_api.create_service_type, lambda actor: create_service_type(
            db, actor=actor, code=f"t{next(serial)}", name_zh="陪伴", credits_per_hour=100)),
    ]


def test_each_view_lets_in_exactly_the_roles_its_service_allows(db, two_centers):
    from timebank.auth.access import policy_of

    jk, _ = two_centers
    actors = {"admin": ADMIN, "staff": staff_at(jk.id), "supervisor": supervisor_of(jk.id),
              "volunteer": volunteer_as(1)}
    for view, call in _views_and_their_services(db, jk):
        policy = policy_of(view)
        assert policy.permission is not None, view.__name__
        for role, actor in actors.items():
            try:
                call(actor)
                allowed = True
            except Forbidden:
                allowed = False
            assert allowed == (role in policy.roles), f"{view.__name__} as {role}"


def test_a_service_reports_every_bad_field_with_one_message_each(db, two_centers):
    with pytest.raises(ValidationFailed) as refused:
        register(db, "王秀英", "1380013800", "JK01", id_card_tail="12a", birth_year=1890)
    assert {field: len(messages) for field, messages in refused.value.fields.items()} == {
        "phone": 1, "id_card_tail": 1, "birth_year": 1}


def test_a_center_and_a_volunteer_keep_what_was_typed(db, two_centers):
    center = open_center(db, "QJ01")
    renamed = update_center(db, actor=ADMIN, center_id=center.id, name="全角（测试）中心，第１号")
    assert renamed.name == "全角（测试）中心，第１号"
    assert [c.code for c in list_centers(db, actor=ADMIN, search="(测试)").items] == ["QJ01"]
    volunteer = register(db, "阿依古丽・吐尔逊", "13805291299", "QJ01")
    assert get_volunteer(db, actor=ADMIN, volunteer_id=volunteer.id).name == "阿依古丽・吐尔逊"
    assert [v.id for v in list_volunteers(db, actor=ADMIN, search="阿依古丽・").items] == [volunteer.id]
    with pytest.raises(ValidationFailed) as refused:
        register(db, "王芳（小）", "13805291298", "QJ01")
    assert refused.value.fields == {"name": ["A name may not contain “（”."]}
