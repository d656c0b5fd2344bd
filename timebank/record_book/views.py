"""The record book page (时间银行记录本): ``/record-book`` for the signed-in volunteer, ``/volunteers/<id>/record-book``
for staff, supervisors and admins. Phone first, elder-friendly sizes; a print stylesheet makes it an A4 booklet."""
from __future__ import annotations

from flask import abort, render_template, request

from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.notices.queries import live_notices
from timebank.paging import MAX_PAGE
from timebank.record_book import queries
from timebank.record_book.display import HELPERS
from timebank.record_book.permissions import READ_RECORD_BOOK
from timebank.web.access import current_principal, page_blueprint

bp = page_blueprint("record_book", __name__, template_folder="templates")

PER_PAGE = 20
LOTS_SHOWN = 8  # the soonest to expire; the rest are counted
NOTICES_SHOWN = 5  # the reminders still worth saying, soonest first; the rest are counted


@bp.get("/record-book")
@allow(READ_RECORD_BOOK)
def mine():
    """The signed-in volunteer's own record book (anyone else has none here: 404; staff open a volunteer's)."""
    return _page(current_principal().volunteer_id, own=True)


@bp.get("/volunteers/<int:volunteer_id>/record-book")
@allow(READ_RECORD_BOOK)
def of_volunteer(volunteer_id: int):
    """A volunteer's record book, for the people who look after them (a volunteer sees only their own)."""
    return _page(volunteer_id, own=False)


def _page(volunteer_id: int | None, *, own: bool):
    if volunteer_id is None:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    book = queries.get_record_book(get_db(), actor=current_principal(), volunteer_id=volunteer_id,
                                   page=min(max(page, 1), MAX_PAGE), per_page=PER_PAGE, lot_limit=LOTS_SHOWN)
    notices = live_notices(get_db(), actor=current_principal(), volunteer_id=volunteer_id, limit=NOTICES_SHOWN)
    return render_template("record_book/book.html", book=book, own=own, now=utcnow(), notices=notices, **HELPERS)
