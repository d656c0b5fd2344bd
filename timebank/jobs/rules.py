"""Pure rules of the jobs: how a schedule is written and read, when a run was missed, and a job's lock key.

A schedule is one of (``TIMEBANK_<JOB>_SCHEDULE``):

- ``every 5m``: at a fixed interval (``s``, ``m``, ``h`` or ``d``), counted from when the scheduler started;
- a crontab line, ``10 0 * * *`` (minute, hour, day of month, month, day of week), in ``TIMEBANK_TIMEZONE``. Days of
  the week are written as names (``mon``, ``sun``): APScheduler 3 counts Monday as 0 where crontab counts Sunday, so
  a number there would silently run on the wrong day;
- ``off``: the scheduler does not run the job (``timebank jobs run`` still does).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask_babel import lazy_gettext as _l

OFF = "off"
_EVERY = re.compile(r"every\s+(\d{1,6})\s*([smhd])", re.IGNORECASE)
_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_LONGEST_INTERVAL = timedelta(days=400)
_PLAIN_NUMBER = re.compile(r"\d{1,2}")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: ``interval`` for ``every …``, ``crontab`` for a crontab line, neither for ``off``."""

    text: str
    interval: timedelta | None = None
    crontab: tuple[str, ...] | None = None

    @property
    def off(self) -> bool:
        return self.interval is None and self.crontab is None

    def trigger(self, zone: tzinfo) -> BaseTrigger:
        """The APScheduler trigger that fires on this schedule (not for ``off``)."""
        if self.interval is not None:
            return IntervalTrigger(seconds=int(self.interval.total_seconds()), timezone=zone)
        if self.crontab is not None:
            return CronTrigger.from_crontab(" ".join(self.crontab), timezone=zone)
        raise ValueError("a schedule that is off has no trigger")

    def next_after(self, moment: datetime, zone: tzinfo) -> datetime | None:
        """When the schedule fires first after ``moment`` (``None`` when off). An interval counts from ``moment``."""
        if self.interval is not None:
            return moment + self.interval
        if self.crontab is not None:
            return self.trigger(zone).get_next_fire_time(None, moment + timedelta(seconds=1))
        return None

    def missed(self, last_success: datetime | None, now: datetime, zone: tzinfo) -> bool:
        """Whether a run fell due since the last one that succeeded (or none ever did): the scheduler then runs the
        job as soon as it starts, instead of waiting for the next time (a daily job after a night of downtime, a
        monthly one after a day). One run catches up on everything: the jobs take ``now``."""
        if self.off:
            return False
        if last_success is None:
            return True
        due = self.next_after(last_success, zone)
        return due is not None and due <= now

    def period(self, around: datetime, zone: tzinfo) -> timedelta | None:
        """How long the schedule waits between two runs, near ``around`` (a crontab's months differ in length)."""
        if self.interval is not None:
            return self.interval
        if self.crontab is None:
            return None
        first = self.next_after(around, zone)
        second = self.next_after(first, zone)
        return second - first

    def describe(self):
        """The schedule as a person says it ("每天 00:10", "Every 5 minutes"); the crontab line itself when it is
        not one of the plain daily or monthly forms."""
        if self.interval is not None:
            return _describe_interval(self.interval)
        if self.crontab is None:
            return _l("Not scheduled")
        minute, hour, day, month, weekday = self.crontab
        if _PLAIN_NUMBER.fullmatch(minute) and _PLAIN_NUMBER.fullmatch(hour) and month == "*" and weekday == "*":
            time = f"{int(hour):02d}:{int(minute):02d}"
            if day == "*":
                return _l("Daily at %(time)s", time=time)
            if _PLAIN_NUMBER.fullmatch(day):
                return _l("Monthly on day %(day)s at %(time)s", day=int(day), time=time)
        return _l("On the schedule %(crontab)s", crontab=" ".join(self.crontab))


def parse_schedule(text) -> Schedule:
    """Read a schedule as the operator wrote it; ``ValueError`` saying what is wrong (operators read it in English,
    in the scheduler's output)."""
    written = " ".join(str(text).split())
    if written.lower() == OFF:
        return Schedule(text=OFF)
    every = _EVERY.fullmatch(written)
    if every:
        interval = int(every.group(1)) * _UNITS[every.group(2).lower()]
        if not timedelta(seconds=1) <= interval <= _LONGEST_INTERVAL:
            raise ValueError(f"{written!r}: an interval must be from 1 second to 400 days")
        return Schedule(text=written, interval=interval)
    fields = tuple(written.split(" "))
    if len(fields) != 5:
        raise ValueError(f"{written!r} is not a schedule: write 'every 5m' (s, m, h, d), a crontab line of five "
                         "fields ('10 0 * * *': minute, hour, day of month, month, day of week) or 'off'")
    if any(character.isdigit() for character in fields[4]):
        raise ValueError(f"{written!r}: write the day of the week as a name (mon, tue … sun, or mon-fri), not a "
                         "number (APScheduler counts Monday as 0, crontab counts Sunday)")
    try:
        CronTrigger.from_crontab(written, timezone=timezone.utc)
    except ValueError as error:
        raise ValueError(f"{written!r} is not a valid crontab line: {error}") from None
    return Schedule(text=written, crontab=fields)


def advisory_lock_key(job_name: str) -> int:
    """The PostgreSQL advisory lock that one run of ``job_name`` holds: a signed 64-bit number of the name, so each
    job has its own lock and nothing else in the database picks the same one by chance."""
    digest = hashlib.sha256(f"timebank job {job_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _describe_interval(interval: timedelta):
    seconds = int(interval.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return _l("Every day") if days == 1 else _l("Every %(num)s days", num=days)
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return _l("Every hour") if hours == 1 else _l("Every %(num)s hours", num=hours)
    if seconds % 60 == 0:
        minutes = seconds // 60
        return _l("Every minute") if minutes == 1 else _l("Every %(num)s minutes", num=minutes)
    return _l("Every second") if seconds == 1 else _l("Every %(num)s seconds", num=seconds)
