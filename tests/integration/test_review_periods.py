"""Review periods on SQLite and PostgreSQL: opened once however many ask at once, a center's sample drawn once,
evaluations by two supervisors (and refused to one not assigned), an explained anomaly, closing, and the published
figures frozen: changing the data afterwards changes nothing published, and nothing of the period can be changed."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import func, select

from tests.review_helpers import SYSTEM, seed_review_city
from timebank.auth.access import Forbidden, Principal
from timebank.hours import services as hours
from timebank.supervision import queries, services
from timebank.supervision.models import ReviewPeriod
from timebank.users.services import create_user

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 on 20 November in Zhenjiang: period 2026 Nov–Dec
ZONE = "Asia/Shanghai"
pytestmark = pytest.mark.usefixtures("fast_password_hashing")
SCORES = {"punctuality": 5, "service_quality": 4, "record_keeping": 3, "satisfaction": 4}


@pytest.fixture(autouse=True)
def babel_context():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def supervisor(db, name: str, *centers) -> Principal:
    user = create_user(db, actor=SYSTEM, username=name, password="quiet-river-stone-42", role="supervisor",
                       supervised_centers=centers)
    from timebank.centers.services import list_centers
    ids = frozenset(c.id for c in list_centers(db, actor=SYSTEM, per_page=200).items if c.code in centers)
    return Principal(user_id=user.id, username=name, role="supervisor", supervised_center_ids=ids)


def test_the_current_period_is_opened_once_when_many_ask_at_once(db):
    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(lambda _: services.open_current_period(db, now=NOW, zone=ZONE).id, range(8)))
    assert len(set(opened)) == 1
    row = db.transaction(lambda s: s.execute(select(ReviewPeriod)).scalar_one(), readonly=True)
    # Nov–Dec on the city's clock: from 1 November 00:00 (UTC+8)
    assert (row.year, row.number, row.starts_at, row.ends_at) == (
        2026, 6, datetime(2026, 10, 31, 16, tzinfo=timezone.utc), datetime(2026, 12, 31, 16, tzinfo=timezone.utc))


def test_a_period_is_sampled_once_evaluated_closed_and_its_published_figures_stay_frozen(db):
    city = seed_review_city(db, now=NOW, zone=ZONE)
    admin = Principal(user_id=None, username="admin", role="admin")
    first, second = supervisor(db, "sup-one", "JK01"), supervisor(db, "sup-two", "JK01", "RZ02")
    stranger = supervisor(db, "sup-three", "RZ02")
    [item] = queries.list_periods(db, actor=first, now=NOW, zone=ZONE).items
    period_id = item.id
    assert [c.code for c in item.centers] == ["JK01"]

    # the sample: 10 of the 13 approved records, drawn once, the same for everyone afterwards
    detail = queries.period_detail(db, actor=first, period_id=period_id, center="JK01", now=NOW, zone=ZONE)
    sample = [r.id for r in detail.center.sample]
    assert len(sample) == 10 and len(set(sample)) == 10 and detail.center.approved_records == 13
    for reader in (first, second, city.staff, admin):
        again = queries.period_detail(db, actor=reader, period_id=period_id, center="JK01", now=NOW, zone=ZONE)
        assert [r.id for r in again.center.sample] == sample

    # evaluations: two supervisors, one edits theirs; one not assigned is refused
    services.evaluate_center(db, actor=first, period_id=period_id, center="JK01", scores=dict(SCORES, punctuality=1),
                             comment="first try", now=NOW)
    services.evaluate_center(db, actor=first, period_id=period_id, center="JK01", scores=SCORES,
                             comment="诸葛青云 来得很准时，电话13900000000", now=NOW)
    services.evaluate_center(db, actor=second, period_id=period_id, center="JK01",
                             scores={"punctuality": 3, "service_quality": 3, "record_keeping": 2, "satisfaction": 5},
                             comment=None, now=NOW)
    with pytest.raises(Forbidden):
        services.evaluate_center(db, actor=stranger, period_id=period_id, center="JK01", scores=SCORES, now=NOW)

    # staff explain the self-approval (twice: the note is replaced)
    detail = queries.period_detail(db, actor=city.staff, period_id=period_id, center="JK01", now=NOW, zone=ZONE)
    [anomaly] = [a.anomaly for a in detail.center.anomalies if a.anomaly.kind == "self_approval"]
    for note in ("draft", "The second staff member was ill; the head of the center checked it."):
        services.explain_anomaly(db, actor=city.staff, center="JK01", kind=anomaly.kind,
                                 record_ids=list(anomaly.record_ids), note=note, now=NOW, zone=ZONE)
    detail = queries.period_detail(db, actor=city.staff, period_id=period_id, center="JK01", now=NOW, zone=ZONE)
    assert [a.note for a in detail.center.anomalies if a.anomaly.kind == "self_approval"] == [
        "The second staff member was ill; the head of the center checked it."]
    assert len(detail.center.evaluations) == 2

    closed = services.close_period(db, actor=admin, period_id=period_id, now=NOW + timedelta(hours=1), zone=ZONE)
    assert closed.status == "closed"
    jk = queries.public_center(db, code="JK01")
    [published] = jk.periods
    assert published.figures == {
        "hours_served": "1.1", "volunteers_active": 7, "rating_average": "4.00", "rating_count": 6,
        "evaluations": [{"supervisor": 1, "scores": SCORES, "comment": "＊＊ 来得很准时，电话＊＊"},
                        {"supervisor": 2, "scores": {"punctuality": 3, "service_quality": 3, "record_keeping": 2,
                                                     "satisfaction": 5}, "comment": None}],
        "anomalies_found": len(detail.center.anomalies), "anomalies_resolved": 1}
    # the small-count rule: two volunteers and two ratings at RZ02
    [rz] = queries.public_center(db, code="RZ02").periods
    assert (rz.figures["hours_served"], rz.figures["volunteers_active"], rz.figures["rating_average"],
            rz.figures["rating_count"]) == (None, None, None, None)

    # nothing of the closed period can be changed
    for attempt in (
        lambda: services.evaluate_center(db, actor=second, period_id=period_id, center="JK01", scores=SCORES),
        lambda: services.explain_anomaly(db, actor=city.staff, center="JK01", kind=anomaly.kind,
                                         record_ids=list(anomaly.record_ids), note="later", zone=ZONE),
        lambda: services.close_period(db, actor=admin, period_id=period_id, zone=ZONE),
    ):
        with pytest.raises(services.PeriodClosed):
            attempt()

    # the data changes after close: what is published does not
    hours.reverse_record(db, actor=SYSTEM, record_id=city.approved[0], reason="entered twice", now=NOW)
    assert queries.public_center(db, code="JK01").periods[0].figures == published.figures
    listed = {c.code: c.latest.figures for c in queries.public_centers(db).items if c.latest}
    assert listed["JK01"] == published.figures
    count = db.transaction(lambda s: s.execute(select(func.count()).select_from(ReviewPeriod)).scalar_one())
    assert count == 1
