"""The three reports on both databases, against figures the test computes from the data it made itself."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.report_helpers import seed_reports
from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.reports.services import run_report

ADMIN = Principal(user_id=None, username="admin", role="admin")
ZONE = "Asia/Shanghai"


@pytest.fixture
def seeded(db):
    return seed_reports(db)


def test_the_reports_add_up_to_what_was_made(db, seeded):
    report = run_report(db, actor=ADMIN, name="hours", zone=ZONE, now=seeded.now)
    got = {(r.center, r.service_type, r.month): [r.records, r.minutes, r.credits] for r in report.rows}
    assert got == seeded.hours
    assert len({month for _, _, month in got}) == 2  # the 01:30 record of the 1st counted in its local month
    assert report.totals.credits == sum(f[2] for f in seeded.hours.values())

    liability = run_report(db, actor=ADMIN, name="liability", zone=ZONE, now=seeded.now)
    by_center = {r.center: r for r in liability.rows}
    assert {c: r.outstanding for c, r in by_center.items()} == seeded.outstanding
    assert {c: r.held for c, r in by_center.items()} == seeded.held
    assert {c: r.expiring_30d for c, r in by_center.items() if r.expiring_30d} == seeded.expiring_30
    assert {c: r.expiring_90d for c, r in by_center.items() if r.expiring_90d} == seeded.expiring_90
    assert {c: r.stock_value for c, r in by_center.items()} == seeded.stock_value
    assert liability.drive.id == seeded.drive_id
    assert liability.total.outstanding == sum(seeded.outstanding.values())

    drive = run_report(db, actor=ADMIN, name="drive", zone=ZONE, now=seeded.now)
    jk = {r.center: r for r in drive.rows}["JK01"]
    assert (jk.reservations, jk.fulfilled, jk.held, jk.cancelled, jk.no_shows) == (3, 1, 1, 1, 0)
    # Once pickup is over, the reservation still held is a no-show.
    later = run_report(db, actor=ADMIN, name="drive", zone=ZONE, now=seeded.pickup_until + timedelta(minutes=1),
                       drive=seeded.drive_id)
    jk = {r.center: r for r in later.rows}["JK01"]
    assert (jk.held, jk.no_shows) == (0, 1)


def test_reports_of_a_city_with_nothing_yet(db):
    at = utcnow()
    assert run_report(db, actor=ADMIN, name="hours", zone=ZONE, now=at).rows == ()
    empty = run_report(db, actor=ADMIN, name="liability", zone=ZONE, now=at)
    assert empty.drive is None and empty.total.outstanding == 0
    assert run_report(db, actor=ADMIN, name="drive", zone=ZONE, now=at).drive is None
