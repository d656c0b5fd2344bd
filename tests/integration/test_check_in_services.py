"""Check-in and check-out by the poster, through the services, on SQLite and PostgreSQL, with an injected clock:
scans in and out, a pending record, the 2-minute limit, forged codes, another center, a check-in left open 12 hours,
setting the end of a flagged record, and double scans at once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel

from timebank.audit.services import list_entries
from timebank.auth.access import Forbidden, Principal
from timebank.centers.services import create_center
from timebank.check_ins import codes, services
from timebank.check_ins.errors import (
    CheckedInElsewhere,
    CheckInClosed,
    CheckInNotFound,
    CodeNotValid,
    CodeTooOld,
)
from timebank.errors import ValidationFailed
from timebank.hours import queries
from timebank.hours import services as hours
from timebank.service_types.services import create_service_type, update_service_type
from timebank.volunteers.services import create_volunteer

SYSTEM = Principal.system("test")
NOW = datetime(2026, 11, 20, 1, 0, 5, tzinfo=timezone.utc)  # 09:00 in Shanghai
PREFIX = "HTTPS://TIMEBANK.EXAMPLE.CN"


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


class City:
    pass


@pytest.fixture
def city(db):
    c = City()
    c.jk = create_center(db, actor=SYSTEM, code="JK01", name="大市口养老服务中心", district="京口区")
    c.rz = create_center(db, actor=SYSTEM, code="RZ_02", name="金山养老服务中心", district="润州区")
    c.visit = create_service_type(db, actor=SYSTEM, code="visit", name_zh="上门探访", credits_per_hour=100)
    c.sing = create_service_type(db, actor=SYSTEM, code="singing", name_zh="教唱歌", credits_per_hour=150)
    c.wang = create_volunteer(db, actor=SYSTEM, name="王秀英", phone="13800000001", home_center="JK01")
    c.li = create_volunteer(db, actor=SYSTEM, name="李建国", phone="13800000002", home_center="RZ_02")
    c.staff_jk = Principal(user_id=None, username="staff-jk", role="staff", center_id=c.jk.id)
    c.staff_rz = Principal(user_id=None, username="staff-rz", role="staff", center_id=c.rz.id)
    c.as_wang = Principal(user_id=None, username="wang", role="volunteer", volunteer_id=c.wang.id)
    c.as_li = Principal(user_id=None, username="li", role="volunteer", volunteer_id=c.li.id)
    return c


def poster(db, city, at: datetime, center: str = "JK01", actor=None):
    return services.poster_code(db, actor=actor or city.staff_jk, center=center, prefix=PREFIX, now=at)


def scan(db, city, at: datetime, *, shown: datetime | None = None, center: str = "JK01", who=None, **options):
    text = poster(db, city, shown or at, center, actor=SYSTEM).text
    return services.scan(db, actor=who or city.as_wang, text=text, now=at, **options)


def test_the_poster_code_is_an_uppercase_url_that_changes_every_30_seconds(db, city):
    first, same, next_one = poster(db, city, NOW), poster(db, city, NOW + timedelta(seconds=20)), \
        poster(db, city, NOW + timedelta(seconds=30))
    assert first.text == same.text != next_one.text
    assert first.text.startswith(PREFIX + "/C/") and first.text == first.text.upper() == first.url
    assert first.expires_at - first.shown_at == timedelta(minutes=2)
    assert first.refresh_at - first.shown_at == timedelta(seconds=30) and first.shown_at <= NOW < first.refresh_at


def test_the_poster_code_fits_a_low_qr_version(db, city):
    from timebank.receipts import qr

    assert qr.version_of(poster(db, city, NOW).text) <= 4


def test_staff_get_only_their_own_centers_poster(db, city):
    from timebank.centers.services import CenterNotFound

    with pytest.raises(CenterNotFound):
        poster(db, city, NOW, center="RZ_02")
    assert poster(db, city, NOW, center="RZ_02", actor=city.staff_rz).center == "RZ_02"
    with pytest.raises(Forbidden):
        poster(db, city, NOW, actor=city.as_wang)


def test_first_scan_checks_in_and_the_next_checks_out_leaving_a_pending_record(db, city):
    checked_in = scan(db, city, NOW)
    assert (checked_in.status, checked_in.record, checked_in.center) == ("checked_in", None, "JK01")
    later = NOW + timedelta(hours=2, minutes=30)
    checked_out = scan(db, city, later)
    record = checked_out.record
    assert checked_out.status == "checked_out" and checked_out.checked_out_at == later
    assert (record.status, record.source, record.minutes, record.missing_check_out) == ("pending", "check_in", 150,
                                                                                          False)
    assert (record.started_at, record.ended_at, record.center, record.volunteer_id) == (NOW, later, "JK01",
                                                                                       city.wang.id)
    assert record.service_type == "singing"  # no earlier record: the first active type by code
    again = scan(db, city, later + timedelta(hours=1))
    assert again.status == "checked_in"  # a new visit


def test_check_out_uses_the_volunteers_last_service_type_at_that_center_or_the_one_named(db, city):
    hours.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                     started_at=NOW - timedelta(days=1), ended_at=NOW - timedelta(days=1, hours=-1), now=NOW)
    scan(db, city, NOW)
    assert scan(db, city, NOW + timedelta(hours=1)).record.service_type == "visit"
    scan(db, city, NOW + timedelta(hours=2))
    assert scan(db, city, NOW + timedelta(hours=3), service_type="singing").record.service_type == "singing"


def choose(db, city, check_in_id, code, who=None):
    return services.choose_service_type(db, actor=who or city.as_wang, check_in_id=check_in_id, service_type=code)


def test_the_service_chosen_on_the_open_check_in_is_the_records_type(db, city):
    hours.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                     started_at=NOW - timedelta(days=1), ended_at=NOW - timedelta(days=1, hours=-1), now=NOW)
    checked_in = scan(db, city, NOW)
    assert (checked_in.service_type, checked_in.service_type_chosen) == ("visit", False)  # the guess: the last one
    chosen = choose(db, city, checked_in.check_in_id, "singing")
    assert (chosen.status, chosen.service_type, chosen.service_type_chosen) == ("checked_in", "singing", True)
    assert services.check_in_of(db, actor=city.as_wang, check_in_id=checked_in.check_in_id).service_type == "singing"
    out = scan(db, city, NOW + timedelta(hours=2))
    assert (out.check_in_id, out.record.service_type, out.service_type) == (checked_in.check_in_id, "singing",
                                                                            "singing")


def test_a_type_named_when_checking_in_is_kept_and_one_named_at_check_out_wins(db, city):
    checked_in = scan(db, city, NOW, service_type="VISIT")
    assert (checked_in.service_type, checked_in.service_type_chosen) == ("visit", True)
    assert scan(db, city, NOW + timedelta(hours=1)).record.service_type == "visit"
    scan(db, city, NOW + timedelta(hours=2), service_type="visit")
    assert scan(db, city, NOW + timedelta(hours=3), service_type="singing").record.service_type == "singing"


def test_an_unknown_or_inactive_type_is_refused_and_nothing_changes(db, city):
    update_service_type(db, actor=SYSTEM, service_type_id=city.visit.id, active=False)
    with pytest.raises(ValidationFailed) as refused:
        scan(db, city, NOW, service_type="visit")
    assert "service_type" in refused.value.fields
    checked_in = scan(db, city, NOW + timedelta(minutes=1))  # the refused scan opened nothing
    assert checked_in.repeat is False
    for code in ("visit", "no-such-type"):
        with pytest.raises(ValidationFailed):
            choose(db, city, checked_in.check_in_id, code)
    assert services.check_in_of(db, actor=city.as_wang, check_in_id=checked_in.check_in_id).service_type_chosen is False


def test_only_the_volunteer_of_an_open_check_in_may_choose_its_type(db, city):
    checked_in = scan(db, city, NOW)
    with pytest.raises(CheckInNotFound):
        choose(db, city, checked_in.check_in_id, "visit", who=city.as_li)
    with pytest.raises(CheckInNotFound):
        services.check_in_of(db, actor=city.as_li, check_in_id=checked_in.check_in_id)
    with pytest.raises(Forbidden):
        choose(db, city, checked_in.check_in_id, "visit", who=city.staff_jk)
    with pytest.raises(CheckInNotFound):
        choose(db, city, 999_999, "visit")
    out = scan(db, city, NOW + timedelta(hours=1))
    with pytest.raises(CheckInClosed) as refused:
        choose(db, city, checked_in.check_in_id, "visit")
    assert refused.value.status == 409 and refused.value.code == "check_in_closed"
    assert queries.get_record(db, actor=SYSTEM, record_id=out.record.id).service_type == "singing"  # unchanged


def test_choosing_is_audited_with_what_it_replaced(db, city):
    checked_in = scan(db, city, NOW, service_type="visit")
    choose(db, city, checked_in.check_in_id, "singing")
    choose(db, city, checked_in.check_in_id, "singing")  # the same again changes nothing, and says nothing
    entries = list_entries(db, actor=SYSTEM, action="check_in.service_type").items
    assert [(e.object_id, e.detail, e.actor_role) for e in entries] == [
        (str(checked_in.check_in_id), {"service_type": "singing", "before": "visit"}, "volunteer")]
    [opened] = list_entries(db, actor=SYSTEM, action="check_in.open").items
    assert opened.detail["service_type"] == "visit"


def test_a_chosen_type_deactivated_before_the_check_out_gives_way_to_the_usual_guess(db, city):
    checked_in = scan(db, city, NOW)
    choose(db, city, checked_in.check_in_id, "visit")
    update_service_type(db, actor=SYSTEM, service_type_id=city.visit.id, active=False)
    assert scan(db, city, NOW + timedelta(hours=1)).record.service_type == "singing"


def test_a_check_in_left_open_keeps_its_chosen_type_on_the_flagged_record(db, city):
    checked_in = scan(db, city, NOW)
    choose(db, city, checked_in.check_in_id, "visit")
    services.close_stale_check_ins(db, now=NOW + timedelta(hours=12))
    [record] = queries.list_records(db, actor=SYSTEM).items
    assert (record.missing_check_out, record.service_type) == (True, "visit")


def test_a_choice_racing_the_check_out_is_either_on_the_record_or_refused(db, city):
    for attempt in range(3):
        start = NOW + timedelta(hours=3 * attempt)
        checked_in = scan(db, city, start)
        guessed = checked_in.service_type
        wanted = "visit" if guessed == "singing" else "singing"
        later = start + timedelta(hours=1)
        text = poster(db, city, later).text
        def one(text=text, later=later, check_in_id=checked_in.check_in_id, wanted=wanted):
            if threading.current_thread().name == "out":
                return services.scan(db, actor=city.as_wang, text=text, now=later)
            return choose(db, city, check_in_id, wanted)

        _, errors = run_at_once(2, one, names=("out", "choice"))
        assert all(isinstance(error, CheckInClosed) for error in errors), errors
        record = services.check_in_of(db, actor=city.as_wang, check_in_id=checked_in.check_in_id).record
        assert record.service_type == (guessed if errors else wanted)


def test_a_second_scan_moments_later_answers_the_same_and_changes_nothing(db, city):
    scan(db, city, NOW)
    repeat = scan(db, city, NOW + timedelta(seconds=40))
    assert (repeat.status, repeat.repeat, repeat.checked_in_at) == ("checked_in", True, NOW)
    out = scan(db, city, NOW + timedelta(hours=1))
    repeat_out = scan(db, city, NOW + timedelta(hours=1, minutes=1))
    assert (repeat_out.status, repeat_out.repeat, repeat_out.record.id) == ("checked_out", True, out.record.id)
    assert queries.list_records(db, actor=SYSTEM).total == 1


@pytest.mark.parametrize("age, accepted", [(timedelta(seconds=119), True), (timedelta(minutes=2, seconds=30), False),
                                           (timedelta(hours=1), False)])
def test_a_code_more_than_2_minutes_old_is_refused(db, city, age, accepted):
    shown = NOW.replace(second=0)  # the start of a slot: its age is exact
    if accepted:
        assert scan(db, city, shown + age, shown=shown).status == "checked_in"
    else:
        with pytest.raises(CodeTooOld) as refused:
            scan(db, city, shown + age, shown=shown)
        assert "2" in refused.value.text()


@pytest.mark.parametrize("tamper", [
    lambda text: text[:-1] + ("A" if text[-1] != "A" else "B"),  # the MAC changed
    lambda text: text.replace("/C/", "/C/9"),  # another center's number under this MAC
    lambda text: text.rsplit("-", 2)[0] + "-" + str(int(text.rsplit("-", 2)[1]) + 1) + "-" + text.rsplit("-", 1)[1],
    lambda text: "HTTPS://EXAMPLE.CN/R/123456",
    lambda text: "",
])
def test_a_forged_or_foreign_code_is_refused(db, city, tamper):
    text = poster(db, city, NOW).text
    with pytest.raises(CodeNotValid):
        services.scan(db, actor=city.as_wang, text=tamper(text), now=NOW)


def test_a_code_signed_with_another_secret_is_refused(db, city):
    other_key = codes.derive_key("another secret")
    text = codes.text_for(PREFIX, other_key, codes.PosterCode(center_id=city.jk.id, slot=codes.slot_at(NOW)))
    with pytest.raises(CodeNotValid):
        services.scan(db, actor=city.as_wang, text=text, now=NOW)


def test_the_code_is_read_in_any_case_from_any_host(db, city):
    text = poster(db, city, NOW).text
    assert services.scan(db, actor=city.as_wang, text=" " + text.lower() + "/ ", now=NOW).status == "checked_in"


def test_a_check_out_at_another_center_is_refused_and_names_where_to_go(db, city):
    scan(db, city, NOW)
    with pytest.raises(CheckedInElsewhere) as refused:
        scan(db, city, NOW + timedelta(hours=1), center="RZ_02")
    assert "大市口养老服务中心" in refused.value.text()
    assert scan(db, city, NOW + timedelta(hours=1)).status == "checked_out"  # the right poster still works


def test_a_check_in_left_open_12_hours_becomes_a_flagged_record(db, city):
    scan(db, city, NOW)
    assert services.close_stale_check_ins(db, now=NOW + timedelta(hours=11, minutes=59)) == 0
    assert services.close_stale_check_ins(db, now=NOW + timedelta(hours=12)) == 1
    assert services.close_stale_check_ins(db, now=NOW + timedelta(hours=13)) == 0  # once
    [record] = queries.list_records(db, actor=SYSTEM).items
    assert (record.status, record.source, record.missing_check_out) == ("pending", "check_in", True)
    assert (record.started_at, record.ended_at) == (NOW, NOW + timedelta(hours=12))
    with pytest.raises(hours.CheckOutMissing):
        hours.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=730,
                              now=NOW + timedelta(hours=13))


def test_a_flagged_record_ends_where_the_volunteers_next_record_begins(db, city):
    scan(db, city, NOW)
    hours.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                     started_at=NOW + timedelta(hours=5), ended_at=NOW + timedelta(hours=6),
                     now=NOW + timedelta(hours=7))
    services.close_stale_check_ins(db, now=NOW + timedelta(hours=12))
    flagged = [r for r in queries.list_records(db, actor=SYSTEM).items if r.missing_check_out]
    assert [(r.started_at, r.ended_at) for r in flagged] == [(NOW, NOW + timedelta(hours=5))]


def test_the_next_scan_after_12_hours_closes_the_old_check_in_and_checks_in_afresh(db, city):
    scan(db, city, NOW)
    fresh = scan(db, city, NOW + timedelta(hours=14))
    assert (fresh.status, fresh.checked_in_at) == ("checked_in", NOW + timedelta(hours=14))
    [record] = queries.list_records(db, actor=SYSTEM).items
    assert record.missing_check_out and record.ended_at == NOW + timedelta(hours=12)


def test_staff_set_the_end_of_a_flagged_record_and_it_can_then_be_approved(db, city):
    scan(db, city, NOW)
    services.close_stale_check_ins(db, now=NOW + timedelta(hours=12))
    [record] = queries.list_records(db, actor=SYSTEM).items
    later = NOW + timedelta(hours=13)
    with pytest.raises(ValidationFailed) as refused:
        hours.set_record_end(db, actor=city.staff_jk, record_id=record.id, ended_at=NOW - timedelta(minutes=1),
                             now=later)
    assert "ended_at" in refused.value.fields
    with pytest.raises(queries.RecordNotFound):
        hours.set_record_end(db, actor=city.staff_rz, record_id=record.id, ended_at=NOW + timedelta(hours=3),
                             now=later)
    fixed = hours.set_record_end(db, actor=city.staff_jk, record_id=record.id, ended_at=NOW + timedelta(hours=3),
                                 now=later)
    assert (fixed.minutes, fixed.missing_check_out, fixed.ended_at) == (180, False, NOW + timedelta(hours=3))
    [approved] = hours.approve_records(db, actor=city.staff_jk, record_ids=[record.id], validity_days=730, now=later)
    assert approved.status == "approved" and approved.credits == 450  # 3 h of singing at 1.50
    with pytest.raises(hours.NotPending):
        hours.set_record_end(db, actor=city.staff_jk, record_id=record.id, ended_at=NOW + timedelta(hours=2),
                             now=later)


def test_setting_the_end_keeps_the_overlap_rule(db, city):
    scan(db, city, NOW)
    hours.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                     started_at=NOW + timedelta(hours=5), ended_at=NOW + timedelta(hours=6),
                     now=NOW + timedelta(hours=7))
    services.close_stale_check_ins(db, now=NOW + timedelta(hours=12))
    flagged = next(r for r in queries.list_records(db, actor=SYSTEM).items if r.missing_check_out)
    with pytest.raises(hours.Overlap):
        hours.set_record_end(db, actor=city.staff_jk, record_id=flagged.id, ended_at=NOW + timedelta(hours=5, minutes=30),
                             now=NOW + timedelta(hours=13))
    shorter = hours.set_record_end(db, actor=city.staff_jk, record_id=flagged.id, ended_at=NOW + timedelta(hours=4),
                                   now=NOW + timedelta(hours=13))
    assert shorter.minutes == 240


def test_a_record_with_its_end_cannot_be_given_another(db, city):
    scan(db, city, NOW)
    record = scan(db, city, NOW + timedelta(hours=1)).record
    with pytest.raises(ValidationFailed):
        hours.set_record_end(db, actor=city.staff_jk, record_id=record.id, ended_at=NOW + timedelta(hours=2),
                             now=NOW + timedelta(hours=3))


def test_a_check_out_whose_time_staff_already_logged_makes_no_second_record(db, city):
    scan(db, city, NOW)
    hours.log_record(db, actor=city.staff_jk, volunteer_id=city.wang.id, center="JK01", service_type="visit",
                     started_at=NOW, ended_at=NOW + timedelta(hours=1), now=NOW + timedelta(hours=1))
    out = scan(db, city, NOW + timedelta(hours=2))
    assert (out.status, out.record) == ("checked_out", None)
    assert queries.list_records(db, actor=SYSTEM).total == 1


def test_only_a_volunteer_scans(db, city):
    with pytest.raises(Forbidden):
        services.scan(db, actor=city.staff_jk, text=poster(db, city, NOW).text, now=NOW)


def run_at_once(count: int, action, names=()):
    barrier, results, errors = threading.Barrier(count), [], []

    def one():
        barrier.wait()
        try:
            results.append(action())
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=one, name=names[i] if i < len(names) else None) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_double_scans_at_once_make_one_check_in(db, city):
    text = poster(db, city, NOW).text
    results, errors = run_at_once(6, lambda: services.scan(db, actor=city.as_wang, text=text, now=NOW))
    assert errors == [] and {r.status for r in results} == {"checked_in"}
    assert sum(not r.repeat for r in results) == 1


def test_double_check_out_scans_at_once_make_one_record(db, city):
    scan(db, city, NOW)
    later = NOW + timedelta(hours=2)
    text = poster(db, city, later).text
    results, errors = run_at_once(6, lambda: services.scan(db, actor=city.as_wang, text=text, now=later))
    assert errors == [] and {r.status for r in results} == {"checked_out"}
    assert len({r.record.id for r in results}) == 1
    assert queries.list_records(db, actor=SYSTEM).total == 1


def test_the_stale_job_twice_at_once_makes_one_flagged_record(db, city):
    scan(db, city, NOW)
    scan(db, city, NOW, center="RZ_02", who=city.as_li)
    results, errors = run_at_once(4, lambda: services.close_stale_check_ins(db, now=NOW + timedelta(hours=12)))
    assert errors == [] and sum(results) == 2
    assert queries.list_records(db, actor=SYSTEM).total == 2
