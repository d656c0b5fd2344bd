"""A volunteer's record book with something in it, for the page tests and the crawler: approved records (one
expiring within 30 days), a reversal, a rejection, a pending record and a hold; more entries than a page holds."""
from __future__ import annotations

from datetime import timedelta

from timebank.auth.access import Principal
from timebank.clock import utcnow
from timebank.hours import services
from timebank.ledger import standalone
from timebank.ledger.accounts import REDEMPTION_SINK, account_id_for
from timebank.ledger.postings import Cause
from timebank.volunteers.services import get_volunteer

SYSTEM = Principal.system("test")


def fill_record_book(db, volunteer_id: int, *, service_type: str, approved: int = 22) -> None:
    volunteer = get_volunteer(db, actor=SYSTEM, volunteer_id=volunteer_id)
    now = utcnow().replace(microsecond=0)
    ids = []
    for day in range(approved + 2, 0, -1):  # one record a day, oldest first
        started = now - timedelta(days=day, hours=4)
        ids.append(services.log_record(db, actor=SYSTEM, volunteer_id=volunteer_id, center=volunteer.home_center,
                                       service_type=service_type, started_at=started,
                                       ended_at=started + timedelta(hours=1, minutes=30),
                                       now=now - timedelta(days=day)).id)
    *to_approve, to_reject, pending = ids
    for n, record_id in enumerate(to_approve):
        # The second one was approved with a short validity: it expires within the next 30 days.
        services.approve_records(db, actor=SYSTEM, record_ids=[record_id], validity_days=40 if n == 1 else 730,
                                 now=now - timedelta(days=approved + 1 - n, hours=-1))
    services.reverse_record(db, actor=SYSTEM, record_id=to_approve[-1], reason="服务时长登记错了", now=now)
    services.reject_record(db, actor=SYSTEM, record_id=to_reject, reason="当天没有到岗", now=now)
    sink = standalone.run(db, lambda s: account_id_for(s, REDEMPTION_SINK))
    standalone.place_hold(db, account_id=volunteer.account_id, to_account_id=sink, amount=50,
                          timeout=timedelta(days=7), key=f"book-hold-{volunteer_id}",
                          cause=Cause.user(0, "test", volunteer_id), now=now)
    del pending  # stays pending
