"""What every page template can use: the signed-in person, the navigation for their role, paging links."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from timebank.web.access import current_principal

ROLE_NAMES = {
    "admin": _l("City admin"),
    "staff": _l("Center staff"),
    "supervisor": _l("Supervisor"),
    "volunteer": _l("Volunteer"),
}

STAFF_ROLES = frozenset({"admin", "staff", "supervisor"})


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object  # a lazy translation
    roles: frozenset[str]

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        here = request.endpoint or ""
        if self.endpoint.startswith("session."):
            return here == self.endpoint
        return here.split(".")[0] == self.endpoint.split(".")[0]


NAVIGATION = (
    NavLink("home.index", _l("Home"), frozenset({"admin", "staff", "supervisor", "volunteer"})),
    NavLink("record_book.mine", _l("My record book"), frozenset({"volunteer"})),
    NavLink("exchange.index", _l("Exchange goods"), frozenset({"volunteer"})),
    NavLink("centers.index", _l("Centers"), frozenset({"admin"})),
    NavLink("service_requests.index", _l("Service requests"), frozenset({"admin", "staff", "volunteer"})),
    NavLink("volunteers.index", _l("Volunteers"), frozenset({"admin", "staff"})),
    NavLink("hours.index", _l("Service records"), frozenset({"admin", "staff"})),
    NavLink("hours_import.index", _l("Import records"), frozenset({"admin", "staff"})),
    NavLink("users.index", _l("Users"), frozenset({"admin"})),
    NavLink("service_types.index", _l("Service types"), frozenset({"admin"})),
    NavLink("catalog.index", _l("Catalog"), frozenset({"admin"})),
    NavLink("drives.index", _l("Drives"), frozenset({"admin", "staff"})),
    NavLink("record_reviews.index", _l("Rate service records"), frozenset({"supervisor"})),
    NavLink("anomalies.index", _l("Anomalies"), frozenset({"admin", "staff", "supervisor"})),
    NavLink("reports.index", _l("Reports"), frozenset({"admin", "staff"})),
    NavLink("review_periods.index", _l("Supervision periods"), frozenset({"admin", "staff", "supervisor"})),
    NavLink("audit.index", _l("Audit log"), frozenset({"admin"})),
    NavLink("jobs.index", _l("Scheduled jobs"), frozenset({"admin"})),
    NavLink("check_ins.index", _l("Check-in"), frozenset({"admin", "staff"})),
    NavLink("desk.index", _l("Pickup desk"), frozenset({"admin", "staff"})),
    NavLink("session.change_password", _l("Change password"), STAFF_ROLES),
)


def init_app(app) -> None:
    # A global, not a context variable: macros imported without context (the list's pager) can call it too.
    app.jinja_env.globals["page_url"] = page_url

    @app.context_processor
    def _layout():
        principal = current_principal()
        role = principal.role if principal else None
        return {
            "principal": principal,
            "role_name": ROLE_NAMES.get(role, "") if role else "",
            "navigation": [link for link in NAVIGATION if role in link.roles and link.endpoint in app.view_functions]
            if principal else [],
            # Volunteers (and everyone before signing in, who may be one) get the larger type and targets.
            "large_print": principal is None or role == "volunteer",
        }

    @app.after_request
    def _never_cache_personal_pages(response):
        """A signed-in page shows people's names and phones: no browser or proxy may keep a copy."""
        if current_principal() is not None and not (request.endpoint or "").endswith("static"):
            response.headers["Cache-Control"] = "no-store"
        return response


def page_url(page: int) -> str:
    """This list's address at another page, keeping its search and filters."""
    args = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint, **(request.view_args or {}), **args)
