"""The first page after signing in: what each role does most, one step away."""
from __future__ import annotations

from flask import render_template

from timebank.auth.access import ROLES, allow
from timebank.centers.schemas import CenterListQuerySchema
from timebank.centers.services import get_center, list_centers
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives.pages import local_time
from timebank.drives.queries import list_drives
from timebank.drives.reservation_queries import list_reservations
from timebank.notices.queries import live_notices
from timebank.record_book.display import HELPERS as RECORD_BOOK_HELPERS
from timebank.record_book.queries import get_account
from timebank.service_types.services import list_service_types
from timebank.users.services import list_users
from timebank.volunteers.services import get_volunteer, list_volunteers
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import query

bp = page_blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@allow(*ROLES)
def index():
    principal = current_principal()
    db = get_db()
    if principal.role == "volunteer":
        volunteer = get_volunteer(db, actor=principal, volunteer_id=principal.volunteer_id)
        account = get_account(db, actor=principal, volunteer_id=volunteer.id, lot_limit=1)
        notices = live_notices(db, actor=principal, volunteer_id=volunteer.id, limit=1)
        return render_template("home/volunteer.html", volunteer=volunteer, account=account,
                               notice=_notice_to_show(account, notices), notices=notices,
                               exchange=_exchange(db, principal), local_time=local_time, **RECORD_BOOK_HELPERS)
    if principal.role == "staff":
        center = get_center(db, actor=principal, center_id=principal.center_id)
        volunteers = list_volunteers(db, actor=principal, active=True, per_page=1)
        return render_template("home/staff.html", center=center, volunteer_count=volunteers.total)
    if principal.role == "supervisor":
        centers = list_centers(db, actor=principal, **query(CenterListQuerySchema()))
        return render_template("home/supervisor.html", centers=centers)
    counts = {
        "centers": list_centers(db, actor=principal, active=True, per_page=1).total,
        "volunteers": list_volunteers(db, actor=principal, active=True, per_page=1).total,
        "users": list_users(db, actor=principal, per_page=1).total,
        "service_types": len(list_service_types(db, actor=principal, active=True)),
    }
    return render_template("home/admin.html", counts=counts)


def _notice_to_show(account, notices):
    """The one message about expiring credits: the reminder sent about the soonest lot, when there is one; else
    (no reminder yet, or a sooner lot not yet reminded of) the template says what the ledger says."""
    if not notices.items:
        return None
    soonest = notices.items[0]
    lots = account.expiring_lots
    return soonest if not lots or soonest.notice.expires_at <= lots[0].expires_at else None


def _exchange(db, principal) -> dict:
    """The exchange card: the drive open now (or the next to open) and how many vouchers wait to be collected."""
    now = utcnow()
    open_now = list_drives(db, actor=principal, status="open", per_page=1, now=now).items
    upcoming = () if open_now else list_drives(db, actor=principal, status="upcoming", per_page=50, now=now).items
    return {"open": open_now[0] if open_now else None,
            "next": min(upcoming, key=lambda drive: drive.opens_at) if upcoming else None,
            "to_collect": list_reservations(db, actor=principal, status="held", per_page=1).total}
