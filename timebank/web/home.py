"""The first page after signing in: what each role does most, one step away."""
from __future__ import annotations

from flask import render_template

from timebank.auth.access import ROLES, allow
from timebank.db import get_db
from timebank.people import services
from timebank.web.access import current_principal, page_blueprint

bp = page_blueprint("home", __name__)


@bp.get("/")
@allow(*ROLES)
def index():
    principal = current_principal()
    db = get_db()
    if principal.role == "volunteer":
        volunteer = services.get_volunteer(db, actor=principal, volunteer_id=principal.volunteer_id)
        return render_template("home/volunteer.html", volunteer=volunteer)
    if principal.role == "staff":
        center = services.get_center(db, actor=principal, center_id=principal.center_id)
        volunteers = services.list_volunteers(db, actor=principal, active=True, per_page=1)
        return render_template("home/staff.html", center=center, volunteer_count=volunteers.total)
    if principal.role == "supervisor":
        centers = services.list_centers(db, actor=principal, per_page=100)
        return render_template("home/supervisor.html", centers=centers)
    counts = {
        "centers": services.list_centers(db, actor=principal, active=True, per_page=1).total,
        "volunteers": services.list_volunteers(db, actor=principal, active=True, per_page=1).total,
        "users": services.list_users(db, actor=principal, per_page=1).total,
    }
    return render_template("home/admin.html", counts=counts)
