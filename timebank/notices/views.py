"""The reminders page (``/notices``): every expiry notice the signed-in volunteer was sent, newest first. The
notices still worth saying are also on their home page and in their record book (``templates/notices/_notices.html``,
whose helpers this blueprint makes global to every template)."""
from __future__ import annotations

from flask import abort, render_template, request

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.notices import queries
from timebank.notices.display import notice_day, notice_sentence
from timebank.notices.permissions import READ_EXPIRY_NOTICES
from timebank.paging import MAX_PAGE
from timebank.web.access import current_principal, page_blueprint

bp = page_blueprint("notices", __name__, template_folder="templates")
bp.add_app_template_global(notice_sentence)
bp.add_app_template_global(notice_day)

PER_PAGE = 20


@bp.get("/notices")
@allow(READ_EXPIRY_NOTICES)
def mine():
    """The signed-in volunteer's reminders (anyone else has none here: 404)."""
    principal = current_principal()
    if principal.volunteer_id is None:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    notices = queries.list_notices(get_db(), actor=principal, volunteer_id=principal.volunteer_id,
                                   page=min(max(page, 1), MAX_PAGE), per_page=PER_PAGE)
    return render_template("notices/list.html", notices=notices)
