"""``timebank demo``: a believable demo city — Zhenjiang's centers, their staff, a supervisor, service types and a
hundred volunteers with Chinese names — built through the same services as everything else.

Idempotent: what exists already (same code, phone or username; the same record, request or check-in) is left as it
is, so running it twice changes nothing the second time. The month of service ends on the day the demo city was
founded, so a run on a later day finds that month instead of adding another. Later features add their own steps (the
open drive, from ``timebank.drives.demo``) to ``STEPS``; each step receives the ``DemoCity`` so far and adds to it.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from timebank.auth.access import Principal
from timebank.auth.services import load_principal
from timebank.centers.services import create_center, list_centers
from timebank.check_ins import services as check_ins
from timebank.cli import exit_with_error
from timebank.db import Database, get_db
from timebank.drives.demo import seed_drive
from timebank.errors import DomainError, created
from timebank.hours import services as hours
from timebank.hours.queries import list_records
from timebank.service_requests import queries as request_queries
from timebank.service_requests import services as service_requests
from timebank.service_requests.rules import LIVE_STATUSES
from timebank.service_types.services import create_service_type
from timebank.supervision.queries import period_detail
from timebank.supervision.services import evaluate_center, open_current_period
from timebank.users.rules import one_time_password
from timebank.users.services import create_user, ensure_first_admin, list_users
from timebank.volunteers.services import create_volunteer, list_volunteers

ACTOR = Principal.system("demo")

CENTERS = (
    # code, name, district
    ("JK01", "京口区大市口街道养老服务中心", "京口区"),
    ("JK02", "京口区正东路街道养老服务中心", "京口区"),
    ("RZ01", "润州区宝塔路街道养老服务中心", "润州区"),
    ("RZ02", "润州区金山街道养老服务中心", "润州区"),
    ("DT01", "丹徒区高资街道养老服务中心", "丹徒区"),
    ("XQ01", "镇江新区丁卯街道养老服务中心", "镇江新区"),
)

SERVICE_TYPES = (
    # code, Chinese name, English name, credits per hour (hundredths)
    ("companionship", "陪伴聊天", "Companionship", 100),
    ("meal-delivery", "助餐送餐", "Meal delivery", 100),
    ("cleaning", "居家保洁", "Home cleaning", 100),
    ("smartphone-class", "智能手机教学", "Smartphone class", 150),
    ("singing-class", "唱歌教学", "Singing class", 150),
    ("medical-escort", "陪同就医", "Medical escort", 120),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
GIVEN_NAMES = (
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "凤英", "建国", "建华", "国强", "志强", "卫东", "红梅", "丽华", "淑珍",
    "德明", "永庆", "海燕", "丽娟", "文杰", "晓东", "子涵", "浩然", "欣怡", "梓萱", "雨轩", "俊杰", "婷婷", "明",
    "伟", "芳", "敏", "静", "磊", "洋", "勇", "军", "杰", "娟", "涛", "超", "霞", "平", "刚", "琳", "慧", "宁",
)
STAFF_NAMES = ("陈丽", "王芳", "刘洋", "赵敏", "孙静", "周磊")
PHONE_PREFIX = "1395110"  # 13951100001 …: obviously a block of demo numbers
VOLUNTEERS = 100


RECORDS_PER_VOLUNTEER = 3  # over the last month: a living record book for everyone
PENDING_DAYS = 3  # the last days' records still wait for staff


@dataclass
class DemoCity:
    password: str
    validity_days: int = 730
    timezone: str = "Asia/Shanghai"
    now: datetime | None = None
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, role) of the demo users
    first_admin_password: str | None = None

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1


def seed_demo(db: Database, *, password: str | None = None, validity_days: int = 730,
              timezone: str = "Asia/Shanghai", now: datetime | None = None, records: bool = True) -> DemoCity:
    """Build (or complete) the demo city. Demo users get ``password`` (generated when omitted) as a one-time
    password: everyone who signs in with it chooses their own at once, so the shared password opens nothing for
    long."""
    city = DemoCity(password=password or one_time_password(), validity_days=validity_days, timezone=timezone,
                    now=now)
    for step in STEPS:
        if records or step not in SERVICE_STEPS:  # tests that place their own records on a quiet calendar
            step(db, city)
    return city


def _first_admin(db: Database, city: DemoCity) -> None:
    city.first_admin_password = ensure_first_admin(db)


def _centers(db: Database, city: DemoCity) -> None:
    for code, name, district in CENTERS:
        city.count("centers", created(lambda: create_center(db, actor=ACTOR, code=code, name=name,
                                                                      district=district)))


def _service_types(db: Database, city: DemoCity) -> None:
    for code, name_zh, name_en, rate in SERVICE_TYPES:
        city.count("service types", created(lambda: create_service_type(
            db, actor=ACTOR, code=code, name_zh=name_zh, name_en=name_en, credits_per_hour=rate)))


def _volunteers(db: Database, city: DemoCity) -> None:
    for volunteer in demo_volunteers():
        city.count("volunteers", created(lambda: create_volunteer(db, actor=ACTOR, **volunteer)))


def _users(db: Database, city: DemoCity) -> None:
    def user(username: str, role: str, **scope) -> None:
        city.logins.append((username, role))
        city.count("users", created(lambda: create_user(
            db, actor=ACTOR, username=username, password=city.password, role=role, must_change_password=True,
            **scope)))

    for (code, _, _), display_name in zip(CENTERS, STAFF_NAMES):
        user(f"staff-{code.lower()}", "staff", center=code, display_name=display_name)
    user("supervisor", "supervisor", supervised_centers=("JK01", "JK02", "RZ01"), display_name="顾建华")
    # Two volunteers who sign in with their phone numbers, to see the volunteer's pages.
    for number in (1, 2):
        phone = f"{PHONE_PREFIX}{number:04d}"
        [profile] = list_volunteers(db, actor=ACTOR, search=phone).items
        user(phone, "volunteer", volunteer_id=profile.id, display_name=profile.name)


def _service_records(db: Database, city: DemoCity) -> None:
    """A month of service: three records a volunteer at their home center, in daytime hours. Older ones approved
    (credits and a receipt), the last days' pending, one reversed, many rated by the resident. Running it again
    finds each slot taken (``overlap``) and adds nothing."""
    zone, now = _clock(city)
    today = _last_day(db, city)
    volunteers = {v.phone: v for v in _all_demo_volunteers(db)}
    logged = _logged_slots(db)  # a reversed record frees its time; the demo must not log it again
    approved: list[int] = []
    by_morning: dict[datetime, list[int]] = {}
    for number, volunteer in enumerate(demo_volunteers(), start=1):
        profile = volunteers.get(volunteer["phone"])
        if profile is None:
            continue
        for slot in range(RECORDS_PER_VOLUNTEER):
            chance = random.Random(f"{volunteer['phone']}/{slot}")  # the same record every run, whatever came before
            day = today - timedelta(days=_staff_days(number)[slot])
            start = datetime.combine(day, time(chance.choice((8, 9, 10, 13, 14, 15)), chance.choice((0, 30))),
                                     tzinfo=zone)
            minutes = chance.choice((60, 90, 120, 120, 150, 180))
            service_type = chance.choice(SERVICE_TYPES)[0]
            rating = chance.choice((4, 5, 5, 5, 3)) if chance.random() < 0.6 else None
            if (profile.id, start) in logged:
                city.count("service records", False)
                continue
            try:
                # Staff write it up the same afternoon, as centers do (not today: that would be a late entry).
                entered = start + timedelta(minutes=minutes + chance.randint(15, 240))
                record = hours.log_record(db, actor=ACTOR, volunteer_id=profile.id, center=volunteer["home_center"],
                                          service_type=service_type, started_at=start,
                                          ended_at=start + timedelta(minutes=minutes), now=min(entered, now))
            except hours.Overlap:
                city.count("service records", False)
                continue
            city.count("service records", True)
            if rating is not None:
                hours.confirm_record(db, actor=ACTOR, record_id=record.id, rating=rating, now=min(entered, now))
            if (today - day).days > PENDING_DAYS:
                approved.append(record.id)
                # Staff approve the next morning: credits, receipts and lots dated in service order, not all today.
                by_morning.setdefault(min(datetime.combine(day + timedelta(days=1), time(10), tzinfo=zone), now),
                                      []).append(record.id)
    for morning, record_ids in sorted(by_morning.items()):
        for start in range(0, len(record_ids), 50):
            hours.approve_records(db, actor=ACTOR, record_ids=record_ids[start:start + 50],
                                  validity_days=city.validity_days, now=morning)
    if approved and city.created.get("service records"):
        hours.reverse_record(db, actor=ACTOR, record_id=approved[0], reason="登记时选错了志愿者", now=now)


# --- Requests (点单 → 领办) and check-ins: where the rest of the month's service came from ---------------------------

PAST_REQUESTS = ((15, 27), (8, 14), (4, 7), (1, 3))  # per center, how many days ago each was served (the last pending)
UPCOMING_DAYS = (1, 2, 4)  # per center, requests in the coming days: open to claim (a few claimed, one cancelled)
CHECK_IN_DAYS = ((5, 27), (1, 3))  # per center, how many days ago volunteers checked in and out at the poster
LEFT_OPEN = ("DT01", (6, 12))  # one check-in never closed: 12 hours later a record flagged "no check-out"
# Upcoming requests that are not simply open: (center, index) → fate. The first demo volunteer (JK01, who signs
# in) has claimed one and still sees two at JK01 to claim; staff see one cancelled.
UPCOMING_FATES = {("JK01", 0): "claimed", ("JK01", 1): "half-claimed", ("RZ01", 2): "cancelled"}
# The poster's text goes straight to the check-in service (as a phone's camera would hand it over): no one opens the
# address, so its host only has to be one a poster code can carry.
POSTER_PREFIX = "HTTP://LOCALHOST"

# Where the residents live: two neighbourhoods (小区) of each center's street.
NEIGHBOURHOODS = {
    "JK01": ("花山湾新村", "鼎石山小区"),
    "JK02": ("梳儿巷小区", "桃花坞新村"),
    "RZ01": ("宝塔路新村", "朱方路小区"),
    "RZ02": ("金山新村", "西津渡小区"),
    "DT01": ("高资新村", "高资老街小区"),
    "XQ01": ("丁卯新村", "檀山路小区"),
}
ELDERS = ("张奶奶", "李爷爷", "王阿姨", "刘奶奶", "陈爷爷", "赵奶奶", "孙爷爷", "周阿姨", "吴奶奶", "徐爷爷",
          "朱奶奶", "马爷爷", "胡奶奶", "杨爷爷")
HOSPITALS = ("江苏大学附属医院", "镇江市第一人民医院", "镇江市中医院", "镇江市第四人民医院")
# A service at the resident's home (or, escorting, at the hospital): (type, minutes it takes, hours it starts, notes).
HOME_SERVICES = (
    ("companionship", (60, 90, 120), (9, 10, 14, 15),
     ("老人独居，子女在外地，想有人陪着说说话", "陪老人下楼晒晒太阳，在小区里走一走", "老伴走了不久，老人心里闷，多陪老人聊聊")),
    ("meal-delivery", (60,), (10, 11),
     ("把助餐点的午饭送上门，少油少盐", "老人牙口不好，饭菜要软一些", "送餐时看看老人有没有按时吃药")),
    ("cleaning", (120, 150), (9, 14),
     ("擦窗户、拖地，老人腰不好弯不下去", "天冷了，帮忙把厚被子翻出来晒一晒", "厨房油烟机和灶台要清洗一下")),
    ("medical-escort", (150, 180), (7, 8),
     ("复查血压，帮忙挂号、取药，从家里接送", "去眼科复诊，老人看不清路，需要全程陪同", "抽血化验要空腹，早上从家里出发")),
)
# A class at the center, taught by two volunteers: (type, room, who it is for, notes).
CLASSES = (
    ("smartphone-class", "中心二楼活动室", "社区老年学员（约15人）",
     ("教大家用微信视频通话、发语音", "教大家在手机上预约挂号、查医保")),
    ("singing-class", "中心一楼多功能厅", "老年合唱队（约20人）",
     ("排练《茉莉花》，准备社区新年联欢会", "教唱《我和我的祖国》，顺便练练气息")),
)
CENTER_ACTIVITIES = ("companionship", "singing-class", "smartphone-class")  # what volunteers check in at the center for
COMMENTS = ("小伙子很耐心，谢谢", "来得准时，做事细致", "陪我说了好多话，心里舒坦", "打扫得真干净", "讲得慢，我都学会了",
            "饭菜送来还是热的", None, None)
CANCEL_REASON = "老人的女儿这周从南京回来照顾，暂时不用上门了"


@dataclass(frozen=True)
class RequestPlan:
    center: str
    service_type: str
    resident: str
    place: str
    note: str
    starts_at: datetime
    ends_at: datetime
    volunteers_needed: int
    volunteers: tuple[str, ...]  # the phones of who takes it: a volunteer who signs in claims it, staff assign others
    fate: str  # done | claimed | half-claimed | open | cancelled
    days_ago: int  # negative: in the coming days
    rating: int | None = None
    comment: str | None = None

    @property
    def key(self) -> tuple[str, datetime, str]:
        return self.center, self.starts_at, self.resident


@dataclass(frozen=True)
class CheckInPlan:
    center: str
    phone: str
    service_type: str
    checked_in_at: datetime
    checked_out_at: datetime | None  # None: never checked out
    days_ago: int


def demo_plans(today: date, zone: ZoneInfo) -> tuple[list[RequestPlan], list[CheckInPlan]]:
    """The requests and check-ins of the demo month ending ``today``: the same ones every run of a day, whatever the
    database holds. A volunteer serves at most once a day, never on a day the staff logged their records, so no
    record overlaps another."""
    people = demo_volunteers()
    busy = {(person["phone"], day) for number, person in enumerate(people, start=1) for day in _staff_days(number)}
    by_center = {code: [p["phone"] for p in people if p["home_center"] == code] for code, _, _ in CENTERS}

    def take(chance: random.Random, code: str, days: range, count: int, first: str | None = None,
             besides: str | None = None):
        """A day in ``days`` and ``count`` of the center's volunteers free that day (``first`` among them, ``besides``
        not)."""
        for day in chance.sample(list(days), len(days)):
            if first is not None and (first, day) in busy:
                continue
            others = [phone for phone in by_center[code]
                      if phone not in (first, besides) and (phone, day) not in busy]
            chance.shuffle(others)
            chosen = ([first] if first else []) + others
            if len(chosen) >= count:
                busy.update((phone, day) for phone in chosen[:count])
                return day, tuple(chosen[:count])
        raise RuntimeError(f"no free volunteers at {code}")  # a hundred volunteers leave plenty: a bug if seen

    def at(day: int, hour: int, minute: int) -> datetime:
        return datetime.combine(today - timedelta(days=day), time(hour, minute), tzinfo=zone)

    requests: list[RequestPlan] = []
    for code, _, _ in CENTERS:
        first = by_center[code][0]  # each center's first volunteer (the first two sign in): a request, a check-in
        past = [(band, "done") for band in PAST_REQUESTS]
        upcoming = [((-ahead, -ahead), UPCOMING_FATES.get((code, index), "open"))
                    for index, ahead in enumerate(UPCOMING_DAYS)]
        for index, ((low, high), fate) in enumerate(past + upcoming):
            chance = random.Random(f"demo-request/{code}/{index}")
            kind = chance.choice(("home",) * 3 + ("class",)) if fate != "half-claimed" else "class"
            if kind == "class":
                service_type, place, resident, notes = chance.choice(CLASSES)
                hour, minutes, needed = chance.choice((9, 14)), 90, 2
            else:
                service_type, durations, hours_, notes = chance.choice(HOME_SERVICES)
                hour, minutes, needed = chance.choice(hours_), chance.choice(durations), 1
                building, elder = chance.randint(1, 28), chance.choice(ELDERS)
                resident = f"{building}号楼 {elder}"
                home = (f"{chance.choice(NEIGHBOURHOODS[code])}{building}号楼{chance.randint(1, 3)}单元"
                        f"{chance.randint(1, 6)}0{chance.randint(1, 2)}室")
                place = f"{chance.choice(HOSPITALS)}（从{home}接送）" if service_type == "medical-escort" else home
            claimants = {"done": needed, "claimed": needed, "half-claimed": 1}.get(fate, 0)
            # The first volunteer takes the center's first request and its claimed one, and leaves the half-claimed
            # one's last place for themselves to claim on the phone.
            day, volunteers = take(chance, code, range(low, high + 1), claimants,
                                   first=first if (index == 0 or fate == "claimed") and claimants else None,
                                   besides=first if fate == "half-claimed" else None)
            starts_at = at(day, hour, chance.choice((0, 30)))
            rating = chance.choice((5, 5, 5, 4, 4, 3)) if fate == "done" and chance.random() < 0.7 else None
            requests.append(RequestPlan(
                center=code, service_type=service_type, resident=resident, place=place, note=chance.choice(notes),
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), volunteers_needed=needed,
                volunteers=volunteers, fate=fate, days_ago=day, rating=rating,
                comment=chance.choice(COMMENTS) if rating else None))

    check_ins: list[CheckInPlan] = []
    bands = [(code, index, band) for code, _, _ in CENTERS for index, band in enumerate(CHECK_IN_DAYS)]
    for code, index, (low, high) in bands + [(LEFT_OPEN[0], "left-open", LEFT_OPEN[1])]:
        chance = random.Random(f"demo-check-in/{code}/{index}")
        day, (phone,) = take(chance, code, range(low, high + 1), 1, first=by_center[code][0] if index == 0 else None)
        arrived = at(day, chance.choice((8, 13)), chance.randint(30, 59))
        left = None if index == "left-open" else arrived + timedelta(minutes=chance.randint(80, 170))
        check_ins.append(CheckInPlan(center=code, phone=phone, service_type=chance.choice(CENTER_ACTIVITIES),
                                     checked_in_at=arrived, checked_out_at=left, days_ago=day))
    return requests, check_ins


def _service_requests(db: Database, city: DemoCity) -> None:
    """Requests of the month through the requests' own use cases: staff post them (点单), the volunteers claim them
    (领办: the ones who sign in themselves, staff assign the others), and those done are completed into pending
    records, rated by the resident, and approved but for the last days'. A few wait in the coming days, open to
    claim; one was cancelled. Running it again finds each request (same center, start and resident) and adds
    nothing."""
    zone, now = _clock(city)
    plans, _ = demo_plans(_last_day(db, city), zone)
    volunteers = {v.phone: v for v in _all_demo_volunteers(db)}
    staff, signed_in = _staff_principals(db), _volunteer_principals(db)
    existing = {(r.center, r.starts_at, r.resident): r for r in _all_requests(db)}
    occupied = _occupied(db)
    approved: list[int] = []
    for plan in plans:
        people = [volunteers.get(phone) for phone in plan.volunteers]
        if None in people:
            continue
        actor = staff.get(plan.center, ACTOR)
        request = existing.get(plan.key)
        city.count("service requests", request is None)
        if request is None:
            if plan.fate == "done" and not all(_free(occupied, p.id, plan.starts_at, plan.ends_at) for p in people):
                continue  # someone's time was logged meanwhile: leave this one out rather than overlap it
            posted = plan.starts_at - timedelta(days=2) if plan.days_ago > 0 else now - timedelta(hours=3)
            request = service_requests.post_request(
                db, actor=actor, center=plan.center, service_type=plan.service_type, resident=plan.resident,
                starts_at=plan.starts_at, ends_at=plan.ends_at, place=plan.place, note=plan.note,
                volunteers_needed=plan.volunteers_needed, now=posted)
        if request.status not in LIVE_STATUSES:
            continue  # done before (or changed by someone trying the demo): left as it is
        claimed_at = min(request.created_at + timedelta(hours=1), now)
        for person in people:
            if person.id not in request.volunteer_ids:
                volunteer = signed_in.get(person.id)
                request = service_requests.claim_request(db, actor=volunteer or actor, request_id=request.id,
                                                         volunteer_id=None if volunteer else person.id,
                                                         now=claimed_at)
        if plan.fate == "cancelled":
            service_requests.cancel_request(db, actor=actor, request_id=request.id, reason=CANCEL_REASON,
                                            now=now - timedelta(hours=1))
        if plan.fate != "done":
            continue
        closed_at = min(plan.ends_at + timedelta(minutes=40), now)
        request = service_requests.complete_request(db, actor=actor, request_id=request.id,
                                                    started_at=plan.starts_at, ended_at=plan.ends_at, now=closed_at)
        for record in request.records:
            occupied.setdefault(record.volunteer_id, []).append((plan.starts_at, plan.ends_at))
            if plan.rating is not None:
                hours.confirm_record(db, actor=actor, record_id=record.id, rating=plan.rating, comment=plan.comment,
                                     now=closed_at)
            if plan.days_ago > PENDING_DAYS:
                approved.append(record.id)
    _approve(db, city, approved)


def _check_ins(db: Database, city: DemoCity) -> None:
    """Volunteers checking in and out at their center's poster, through the check-in use cases with the clock of
    that day: each pair of scans leaves a pending record (approved but for the last days'); one check-in was never
    closed and, 12 hours on, became a record flagged "no check-out" that waits for staff to set its end. Running it
    again finds each record (same volunteer and start) and adds nothing."""
    zone, now = _clock(city)
    _, plans = demo_plans(_last_day(db, city), zone)
    volunteers = {v.phone: v for v in _all_demo_volunteers(db)}
    staff, signed_in = _staff_principals(db), _volunteer_principals(db)
    records = _all_records(db)
    logged = {(record.volunteer_id, record.started_at) for record in records}
    occupied = _occupied(db, records)
    approved: list[int] = []
    left_open: list[datetime] = []
    for plan in sorted(plans, key=lambda p: p.checked_in_at):
        person = volunteers.get(plan.phone)
        if person is None:
            continue
        if (person.id, plan.checked_in_at) in logged:
            city.count("check-ins", False)
            continue
        if not _free(occupied, person.id, plan.checked_in_at,
                     plan.checked_out_at or plan.checked_in_at + check_ins.STALE_AFTER):
            continue
        # A volunteer without a sign-in of their own scans as themselves all the same (the demo has two sign-ins).
        volunteer = signed_in.get(person.id) or Principal(user_id=None, username=person.phone, role="volunteer",
                                                          volunteer_id=person.id, display_name=person.name)
        poster = staff.get(plan.center, ACTOR)
        arrived = _scan(db, poster, volunteer, plan, plan.checked_in_at)
        city.count("check-ins", not arrived.repeat)
        if plan.checked_out_at is None:
            left_open.append(plan.checked_in_at)
            continue
        left = _scan(db, poster, volunteer, plan, plan.checked_out_at)
        if left.record is not None and plan.days_ago > PENDING_DAYS:
            approved.append(left.record.id)
    for opened in left_open:  # the job, run that evening: the open check-in becomes a flagged record
        check_ins.close_stale_check_ins(db, now=min(opened + check_ins.STALE_AFTER + timedelta(minutes=5), now))
    _approve(db, city, approved)


def _scan(db: Database, poster: Principal, volunteer: Principal, plan: CheckInPlan, at: datetime):
    """The volunteer scans the code the center's poster showed a few seconds before ``at``."""
    shown = check_ins.poster_code(db, actor=poster, center=plan.center, prefix=POSTER_PREFIX,
                                  now=at - timedelta(seconds=12))
    return check_ins.scan(db, actor=volunteer, text=shown.text, service_type=plan.service_type, now=at)


def _approve(db: Database, city: DemoCity, record_ids: list[int]) -> None:
    _, now = _clock(city)
    for start in range(0, len(record_ids), 50):
        hours.approve_records(db, actor=ACTOR, record_ids=record_ids[start:start + 50],
                              validity_days=city.validity_days, now=now)


def _clock(city: DemoCity) -> tuple[ZoneInfo, datetime]:
    zone = ZoneInfo(city.timezone)
    return zone, city.now or datetime.now(zone)


def _last_day(db: Database, city: DemoCity) -> date:
    """The day the demo month ends: the day the demo city was founded (its first center was created), not today, so
    a run on a later day finds the same month instead of adding another one beside it."""
    zone, now = _clock(city)
    today = now.astimezone(zone).date()
    code = CENTERS[0][0]
    founded = [c.created_at.astimezone(zone).date() for c in list_centers(db, actor=ACTOR, search=code).items
               if c.code == code]
    return min(founded + [today])


def _staff_principals(db: Database) -> dict[str, Principal]:
    """Each center's demo staff member, as they act on the center's requests and poster."""
    found = {}
    for code, _, _ in CENTERS:
        username = f"staff-{code.lower()}"
        for user in list_users(db, actor=ACTOR, search=username, role="staff").items:
            principal = load_principal(db, user.id) if user.username == username else None
            if principal is not None:
                found[code] = principal
    return found


def _volunteer_principals(db: Database) -> dict[int, Principal]:
    """The demo volunteers who sign in, by volunteer id."""
    users = list_users(db, actor=ACTOR, search=PHONE_PREFIX, role="volunteer", per_page=200).items
    principals = (load_principal(db, user.id) for user in users)
    return {p.volunteer_id: p for p in principals if p is not None and p.volunteer_id is not None}


def _all_requests(db: Database) -> list:
    found, page = [], 1
    while True:
        batch = request_queries.list_requests(db, actor=ACTOR, page=page, per_page=200)
        found.extend(batch.items)
        if page >= batch.pages:
            return found
        page += 1


def _occupied(db: Database, records: list | None = None) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each volunteer's time already taken by a pending or approved record."""
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    for record in _all_records(db) if records is None else records:
        if record.status in ("pending", "approved"):
            taken.setdefault(record.volunteer_id, []).append((record.started_at, record.ended_at))
    return taken


def _free(occupied: dict, volunteer_id: int, start: datetime, end: datetime) -> bool:
    return all(not (taken_start < end and taken_end > start)
               for taken_start, taken_end in occupied.get(volunteer_id, ()))


def _staff_days(number: int) -> tuple[int, ...]:
    """How many days ago the staff logged volunteer ``number``'s records (fixed: the later steps keep off them)."""
    return tuple(1 + slot * 9 + number % 9 for slot in range(RECORDS_PER_VOLUNTEER))


def _logged_slots(db: Database) -> set[tuple[int, datetime]]:
    return {(record.volunteer_id, record.started_at) for record in _all_records(db)}


def _all_records(db: Database) -> list:
    found, page = [], 1
    while True:
        batch = list_records(db, actor=ACTOR, page=page, per_page=200)
        found.extend(batch.items)
        if page >= batch.pages:
            return found
        page += 1


def _all_demo_volunteers(db: Database) -> list:
    found, page = [], 1
    while True:
        batch = list_volunteers(db, actor=ACTOR, search=PHONE_PREFIX, page=page, per_page=200)
        found.extend(batch.items)
        if page >= batch.pages:
            return found
        page += 1


def demo_volunteers() -> list[dict]:
    """The same hundred volunteers every time: names, phones, centers and birth years from a fixed seed."""
    chance = random.Random(20240611)
    people, names = [], set()
    while len(people) < VOLUNTEERS:
        name = chance.choice(SURNAMES) + chance.choice(GIVEN_NAMES)
        if name in names:
            continue
        names.add(name)
        number = len(people) + 1
        # Most are active retirees (低龄老人 serving their elders); some are students and working people.
        birth_year = chance.choice((chance.randint(1950, 1966),) * 3 + (chance.randint(1975, 2006),))
        people.append({
            "name": name,
            "phone": f"{PHONE_PREFIX}{number:04d}",
            "home_center": CENTERS[(number - 1) % len(CENTERS)][0],
            "id_card_tail": f"{chance.randint(0, 999):03d}{chance.choice('0123456789X')}",
            "birth_year": birth_year,
        })
    return people


def _drive(db: Database, city: DemoCity) -> None:
    """The catalog of daily goods and the quarter's open drive, with reservations paid from the month's credits."""
    zone, now = _clock(city)
    seeded = seed_drive(db, actor=ACTOR, centers=[code for code, _, _ in CENTERS], staff=_staff_principals(db),
                        volunteers=_all_demo_volunteers(db), signing_in=_volunteer_principals(db),
                        last_day=_last_day(db, city), zone=zone, now=now)
    for kind in set(seeded.created) | set(seeded.existing):
        city.created[kind] = city.created.get(kind, 0) + seeded.created.get(kind, 0)
        city.existing[kind] = city.existing.get(kind, 0) + seeded.existing.get(kind, 0)


EVALUATIONS = (  # the supervisor's 过程评价 of their centers: center, scores, comment
    ("JK01", {"punctuality": 5, "service_quality": 4, "record_keeping": 4, "satisfaction": 5},
     "服务准时，老人评价好；个别记录补录较晚，已提醒。"),
    ("JK02", {"punctuality": 4, "service_quality": 4, "record_keeping": 3, "satisfaction": 4},
     "签到海报使用正常，有一次签到未签退，需要及时处理。"),
)


def _supervision(db: Database, city: DemoCity) -> None:
    """The supervisor's evaluations of the current two months (the sample drawn as they open each center), left
    open: an admin publishes them with 结束本周期并公示. The period is the one of the demo month's last day, so a run
    on a later day adds nothing."""
    zone, now = _clock(city)
    at = min(now, datetime.combine(_last_day(db, city), time(12), zone))
    users = [u for u in list_users(db, actor=ACTOR, search="supervisor", role="supervisor").items
             if u.username == "supervisor"]
    supervisor = load_principal(db, users[0].id) if users else None
    if supervisor is None:
        return
    period = open_current_period(db, now=at, zone=city.timezone)
    for code, scores, comment in EVALUATIONS:
        detail = period_detail(db, actor=supervisor, period_id=period.id, center=code, now=now, zone=city.timezone)
        if period.status != "open" or detail.center is None or detail.center.mine is not None:
            city.count("evaluations", False)
            continue
        evaluate_center(db, actor=supervisor, period_id=period.id, center=code, scores=scores, comment=comment,
                        now=now)
        city.count("evaluations", True)


STEPS: list[Callable[[Database, DemoCity], None]] = [_first_admin, _centers, _service_types, _volunteers, _users,
                                                     _service_records, _service_requests, _check_ins, _drive,
                                                     _supervision]
# The steps that put service, a drive and evaluations on the calendar (left out by tests that place their own).
SERVICE_STEPS = (_service_records, _service_requests, _check_ins, _drive, _supervision)


@click.command("demo", help="Seed a believable demo city (Zhenjiang): centers, staff, a supervisor, service types, "
                            "a hundred volunteers and a month of their service records (approved with receipts, "
                            "pending, one reversed), some logged by staff, some from service requests the volunteers "
                            "claimed and some from check-ins at the centers' posters (one never checked out), and "
                            "requests in the coming days open to claim (one cancelled); a catalog of daily goods and "
                            "the quarter's open redemption drive with reservations. Running it again adds only what "
                            "is missing.")
@click.option("--password-stdin", is_flag=True, help="read the demo users' password from standard input "
                                                     "(default: a generated one, printed)")
@with_appcontext
def demo_command(password_stdin):
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        city = seed_demo(get_db(), password=password, validity_days=int(current_app.config["CREDIT_VALIDITY_DAYS"]),
                         timezone=current_app.config["TIMEZONE"])
    except DomainError as error:
        exit_with_error(error)
    for kind in sorted(set(city.created) | set(city.existing)):
        click.echo(f"{kind}: {city.created.get(kind, 0)} created, {city.existing.get(kind, 0)} already there")
    if city.first_admin_password:
        click.echo(f"first admin: admin, one-time password {city.first_admin_password} (change it at first sign-in)")
    if city.created.get("users"):
        click.echo(f"new demo users sign in with the password: {city.password}  (one-time: each chooses their own "
                   "at first sign-in)")
        for username, role in city.logins:
            click.echo(f"  {username:<14} {role}")
    else:
        click.echo("demo users already existed and keep their passwords (`timebank users reset-password NAME`)")
