"""The admin's page for the audit log: who changed what and when, newest first, filtered by action and object."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from timebank.audit import services
from timebank.audit.schemas import AuditListQuerySchema
from timebank.audit.permissions import READ_AUDIT_LOG
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import query
from timebank.web.lists import ListFilter
from timebank.web.layout import ROLE_NAMES

PER_PAGE = 20
bp = page_blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

# What each audited action is called on the page. An action missing here is shown by its code (a later feature adds
# its own, and tests/integration/test_audit_entries.py lists every action the services record).
ACTIONS = {
    "center.create": _l("Center added"),
    "center.update": _l("Center changed"),
    "center.activate": _l("Center reactivated"),
    "center.deactivate": _l("Center deactivated"),
    "volunteer.create": _l("Volunteer registered"),
    "volunteer.update": _l("Volunteer changed"),
    "volunteer.activate": _l("Volunteer reactivated"),
    "volunteer.deactivate": _l("Volunteer deactivated"),
    "volunteer.import": _l("Volunteers imported"),
    "user.create": _l("User added"),
    "user.update": _l("User changed"),
    "user.activate": _l("User reactivated"),
    "user.deactivate": _l("User deactivated"),
    "user.reset_password": _l("One-time password made"),
    "user.change_password": _l("Password changed"),
    "service_type.create": _l("Service type added"),
    "service_type.update": _l("Service type changed"),
    "service_record.create": _l("Service record logged"),
    "service_record.approve": _l("Service record approved"),
    "service_record.reject": _l("Service record rejected"),
    "service_record.reverse": _l("Service record reversed"),
    "service_record.confirm": _l("Resident's rating recorded"),
    "service_record.review": _l("Supervisor's rating recorded"),
}
OBJECT_TYPES = {
    "center": _l("Centers"),
    "volunteer": _l("Volunteers"),
    "user": _l("Users"),
    "service_type": _l("Service types"),
    "volunteer_import": _l("Volunteers imported"),
    "service_record": _l("Service records"),
}
# The names of changed fields, as the detail column shows them.
FIELDS = {
    "name": _l("Name"), "district": _l("District"), "active": _l("Status"), "phone": _l("Phone"),
    "home_center_id": _l("Home center"), "id_card_tail": _l("Last 4 characters of the ID card"),
    "birth_year": _l("Year of birth"), "display_name": _l("Name shown on pages"), "role": _l("Role"),
    "center_id": _l("Center"), "supervised_centers": _l("Centers to supervise"), "volunteer_id": _l("Volunteer"),
    "locale": _l("Language"), "name_zh": _l("Chinese name"), "name_en": _l("English name"),
    "credits_per_hour": _l("Credits per hour"), "username": _l("Username"), "center": _l("Center"),
    "home_center": _l("Home center"), "code": _l("Code"), "first_admin": _l("First admin"), "via": _l("How"),
    "created": _l("Registered"),
    "source": _l("How it was logged"), "started_at": _l("Start time"), "ended_at": _l("End time"),
    "credits": _l("Credits"), "rate": _l("Credits per hour"), "rating": _l("Rating"), "reason": _l("Reason"),
}


@bp.get("/")
@allow(READ_AUDIT_LOG)
def index():
    args = query(AuditListQuerySchema())
    if "per_page" not in request.args:
        args["per_page"] = PER_PAGE  # the API's 50 entries make a very long page on a phone
    entries = services.list_entries(get_db(), actor=current_principal(), **args)
    filters = [ListFilter("action", _l("Action"), tuple(ACTIONS.items()), _l("All actions")),
               ListFilter("object_type", _l("Object"), tuple(OBJECT_TYPES.items()), _l("Everything"))]
    return render_template("audit/list.html", entries=entries, filters=filters, actions=ACTIONS,
                           object_types=OBJECT_TYPES, field_names=FIELDS, role_names=ROLE_NAMES)
