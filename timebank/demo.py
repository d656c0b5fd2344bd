"""``timebank demo``: a believable demo city — Zhenjiang's centers, their staff, a supervisor, service types and a
hundred volunteers with Chinese names — built through the same services as everything else.

Idempotent: what exists already (same code, phone or username) is left as it is, so running it twice changes
nothing the second time. Later features add their own steps (a month of service records, an open drive) to
``STEPS``; each step receives the ``DemoCity`` so far and adds to it.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.cli import exit_with_error
from timebank.db import Database, get_db
from timebank.errors import AlreadyExists, DomainError
from timebank.hours import services as hours
from timebank.hours.queries import list_records
from timebank.service_types.services import create_service_type
from timebank.users.rules import one_time_password
from timebank.users.services import create_user, ensure_first_admin
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
        if records or step is not _service_records:  # tests that place their own records on a quiet calendar
            step(db, city)
    return city


def _first_admin(db: Database, city: DemoCity) -> None:
    city.first_admin_password = ensure_first_admin(db)


def _centers(db: Database, city: DemoCity) -> None:
    for code, name, district in CENTERS:
        city.count("centers", _created(lambda: create_center(db, actor=ACTOR, code=code, name=name,
                                                                      district=district)))


def _service_types(db: Database, city: DemoCity) -> None:
    for code, name_zh, name_en, rate in SERVICE_TYPES:
        city.count("service types", _created(lambda: create_service_type(
            db, actor=ACTOR, code=code, name_zh=name_zh, name_en=name_en, credits_per_hour=rate)))


def _volunteers(db: Database, city: DemoCity) -> None:
    for volunteer in demo_volunteers():
        city.count("volunteers", _created(lambda: create_volunteer(db, actor=ACTOR, **volunteer)))


def _users(db: Database, city: DemoCity) -> None:
    def user(username: str, role: str, **scope) -> None:
        city.logins.append((username, role))
        city.count("users", _created(lambda: create_user(
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
    zone = ZoneInfo(city.timezone)
    now = city.now or datetime.now(zone)
    today = now.astimezone(zone).date()
    volunteers = {v.phone: v for v in _all_demo_volunteers(db)}
    logged = _logged_slots(db)  # a reversed record frees its time; the demo must not log it again
    approved: list[int] = []
    for number, volunteer in enumerate(demo_volunteers(), start=1):
        profile = volunteers.get(volunteer["phone"])
        if profile is None:
            continue
        for slot in range(RECORDS_PER_VOLUNTEER):
            chance = random.Random(f"{volunteer['phone']}/{slot}")  # the same record every run, whatever came before
            day = today - timedelta(days=1 + slot * 9 + number % 9)
            start = datetime.combine(day, time(chance.choice((8, 9, 10, 13, 14, 15)), chance.choice((0, 30))),
                                     tzinfo=zone)
            minutes = chance.choice((60, 90, 120, 120, 150, 180))
            service_type = chance.choice(SERVICE_TYPES)[0]
            rating = chance.choice((4, 5, 5, 5, 3)) if chance.random() < 0.6 else None
            if (profile.id, start) in logged:
                city.count("service records", False)
                continue
            try:
                record = hours.log_record(db, actor=ACTOR, volunteer_id=profile.id, center=volunteer["home_center"],
                                          service_type=service_type, started_at=start,
                                          ended_at=start + timedelta(minutes=minutes), now=now)
            except hours.Overlap:
                city.count("service records", False)
                continue
            city.count("service records", True)
            if rating is not None:
                hours.confirm_record(db, actor=ACTOR, record_id=record.id, rating=rating, now=now)
            if (today - day).days > PENDING_DAYS:
                approved.append(record.id)
    for start in range(0, len(approved), 50):
        hours.approve_records(db, actor=ACTOR, record_ids=approved[start:start + 50],
                              validity_days=city.validity_days, now=now)
    if approved and city.created.get("service records"):
        hours.reverse_record(db, actor=ACTOR, record_id=approved[0], reason="登记时选错了志愿者", now=now)


def _logged_slots(db: Database) -> set[tuple[int, datetime]]:
    slots, page = set(), 1
    while True:
        batch = list_records(db, actor=ACTOR, page=page, per_page=200)
        slots.update((record.volunteer_id, record.started_at) for record in batch.items)
        if page >= batch.pages:
            return slots
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


def _created(create: Callable[[], object]) -> bool:
    try:
        create()
    except AlreadyExists:
        return False
    return True


STEPS: list[Callable[[Database, DemoCity], None]] = [_first_admin, _centers, _service_types, _volunteers, _users,
                                                     _service_records]


@click.command("demo", help="Seed a believable demo city (Zhenjiang): centers, staff, a supervisor, service types, "
                            "a hundred volunteers and a month of their service records (approved with receipts, "
                            "pending, one reversed). Running it again adds only what is missing.")
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
