"""Importing volunteers from CSV on SQLite and PostgreSQL: dry run, all or nothing, no duplicates on re-import."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from timebank.audit.models import AuditEntry
from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.ledger.check import check_ledger
from timebank.ledger.models import Account
from timebank.volunteers.csv_import import import_volunteers
from timebank.volunteers.models import Volunteer
from timebank.volunteers.services import create_volunteer, list_volunteers

ADMIN = Principal(user_id=None, username="city-admin", role="admin")

GOOD = ("姓名,手机号,服务中心,身份证后四位,出生年份\n"
        "王秀英,13805291234,JK01,123X,1956\n"
        "李建国,138 0529 1235,jk01,,1960\n"
        "赵丽娟,13805291236,RZ01,,\n")


def count(db, table) -> int:
    return db.transaction(lambda s: s.execute(select(func.count()).select_from(table)).scalar_one(), readonly=True)


@pytest.fixture
def centers(db):
    return (create_center(db, actor=ADMIN, code="JK01", name="京口区中心", district="京口区"),
            create_center(db, actor=ADMIN, code="RZ01", name="润州区中心", district="润州区"))


def test_a_good_file_creates_every_volunteer_with_an_account(db, centers):
    report = import_volunteers(db, actor=ADMIN, csv_text=GOOD, dry_run=False)
    assert (report.ok, report.total_lines, report.valid, report.created, report.skipped_existing) == (
        True, 3, 3, 3, 0)
    people = list_volunteers(db, actor=ADMIN).items
    assert sorted((v.name, v.phone, v.home_center, v.id_card_tail, v.birth_year) for v in people) == [
        ("李建国", "13805291235", "JK01", None, 1960),
        ("王秀英", "13805291234", "JK01", "123X", 1956),
        ("赵丽娟", "13805291236", "RZ01", None, None),
    ]
    codes = db.transaction(lambda s: set(s.scalars(select(Account.code).where(Account.kind == "volunteer"))),
                           readonly=True)
    assert codes == {f"volunteer:{v.id}" for v in people}
    assert check_ledger(db) == []


def test_a_dry_run_reports_every_bad_line_and_creates_nothing(db, centers):
    create_volunteer(db, actor=ADMIN, name="孙七", phone="13805291299", home_center="JK01")
    text = GOOD + ("钱六,12345,JK01,,\n"           # line 5: bad phone
                   ",13805291237,JK01,,\n"         # line 6: no name
                   "周八,13805291238,XQ09,,\n"     # line 7: unknown center
                   "吴九,13805291234,JK01,,\n"     # line 8: same phone as line 2
                   "郑十,13805291239,JK01,,1850\n"  # line 9: bad year
                   "孙琦,13805291299,JK01,,\n")    # line 10: phone registered to someone else
    volunteers, accounts, entries = count(db, Volunteer), count(db, Account), count(db, AuditEntry)
    report = import_volunteers(db, actor=ADMIN, csv_text=text, dry_run=True)
    assert [(e.line, e.field) for e in report.errors] == [(5, "phone"), (6, "name"), (7, "center"), (8, "phone"),
                                                          (9, "birth_year"), (10, "phone")]
    assert report.errors[2].reason == "There is no center with code XQ09."
    assert report.errors[3].reason == "The phone number 13805291234 is already on line 2."
    assert "belongs to volunteer" in report.errors[5].reason
    assert (report.dry_run, report.total_lines, report.valid, report.created) == (True, 9, 3, 3)
    assert (count(db, Volunteer), count(db, Account), count(db, AuditEntry)) == (volunteers, accounts, entries)


def test_one_bad_line_and_nothing_is_imported(db, centers):
    accounts, entries = count(db, Account), count(db, AuditEntry)
    report = import_volunteers(db, actor=ADMIN, csv_text=GOOD + "钱六,12345,JK01,,\n", dry_run=False)
    assert not report.ok and report.created == 0
    assert [(e.line, e.field) for e in report.errors] == [(5, "phone")]
    assert (count(db, Volunteer), count(db, Account), count(db, AuditEntry)) == (0, accounts, entries)


def test_importing_the_same_file_again_creates_no_duplicates(db, centers):
    import_volunteers(db, actor=ADMIN, csv_text=GOOD, dry_run=False)
    accounts = count(db, Account)
    again = import_volunteers(db, actor=ADMIN, csv_text=GOOD.encode("gb18030"), dry_run=False)
    assert (again.ok, again.created, again.skipped_existing, again.encoding) == (True, 0, 3, "gb18030")
    assert (count(db, Volunteer), count(db, Account)) == (3, accounts)
    grown = import_volunteers(db, actor=ADMIN, csv_text=GOOD + "钱六,13805291237,RZ01,,\n", dry_run=False)
    assert (grown.created, grown.skipped_existing, count(db, Volunteer)) == (1, 3, 4)


def test_a_known_phone_with_different_details_is_an_error_not_a_silent_change(db, centers):
    import_volunteers(db, actor=ADMIN, csv_text=GOOD, dry_run=False)
    changed = GOOD.replace("王秀英,13805291234,JK01", "王秀芳,13805291234,JK01")
    report = import_volunteers(db, actor=ADMIN, csv_text=changed, dry_run=False)
    assert [(e.line, e.field) for e in report.errors] == [(2, "phone")]
    assert "with other details" in report.errors[0].reason
    assert list_volunteers(db, actor=ADMIN, search="13805291234").items[0].name == "王秀英"


def test_staff_import_into_their_own_center_only(db, centers):
    jk, _ = centers
    staff = Principal(user_id=None, username="staff-jk01", role="staff", center_id=jk.id)
    report = import_volunteers(db, actor=staff, csv_text=GOOD, dry_run=False)
    assert [(e.line, e.reason) for e in report.errors] == [(4, "There is no center with code RZ01.")]
    assert count(db, Volunteer) == 0
    ours = "\n".join(GOOD.splitlines()[:3]) + "\n"
    assert import_volunteers(db, actor=staff, csv_text=ours, dry_run=False).created == 2


@pytest.mark.parametrize("role", ["supervisor", "volunteer"])
def test_only_staff_and_admins_import(db, centers, role):
    with pytest.raises(Forbidden):
        import_volunteers(db, actor=Principal(user_id=1, username="x", role=role, volunteer_id=1),
                                   csv_text=GOOD, dry_run=True)


def test_each_imported_volunteer_is_audited_in_the_import_transaction(db, centers):
    report = import_volunteers(db, actor=ADMIN, csv_text=GOOD, dry_run=False)
    rows = db.transaction(lambda s: s.scalars(select(AuditEntry).where(AuditEntry.action.like("volunteer.%"))
                                              .order_by(AuditEntry.id)).all(), readonly=True)
    assert [r.action for r in rows] == ["volunteer.create"] * 3 + ["volunteer.import"]
    assert sorted(int(r.object_id) for r in rows[:3]) == sorted(report.created_ids)
    assert all(r.detail["via"] == "import" for r in rows[:3])
    assert rows[-1].detail == {"created": 3}


def test_a_large_file_imports_in_one_go(db, centers):
    lines = ["name,phone,center"] + [f"志愿者{chr(0x4e00 + i)},139{i:08d},JK01" for i in range(2000)]
    report = import_volunteers(db, actor=ADMIN, csv_text="\n".join(lines), dry_run=False)
    assert (report.ok, report.created) == (True, 2000)
    assert count(db, Volunteer) == 2000
    assert check_ledger(db) == []
