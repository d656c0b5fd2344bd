"""The admin's pages for users (who can sign in, with which role): list, create, edit, deactivate, new password.

A new user gets a one-time password, shown once to the admin, which the user must change at first sign-in.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from timebank.auth.access import ROLES, allow
from timebank.centers.views import center_choices
from timebank.db import get_db
from timebank.users import services
from timebank.users.permissions import MANAGE_USERS, MANAGE_VOLUNTEER_LOGINS
from timebank.users.schemas import UserCreateSchema, UserListQuerySchema, UserUpdateSchema
from timebank.errors import AlreadyExists, ValidationFailed
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState, flash_refusal, load_and_call, query
from timebank.web.lists import ListFilter, add_active_toggle, status_filter
from timebank.web.layout import ROLE_NAMES

bp = page_blueprint("users", __name__, url_prefix="/users", template_folder="templates")

CREATE_FIELDS = ("username", "display_name", "role", "center", "supervised_centers", "volunteer_id")
EDIT_FIELDS = ("display_name", "role", "center", "supervised_centers", "volunteer_id")


@bp.get("/")
@allow(MANAGE_USERS)
def index():
    args = query(UserListQuerySchema())
    users = services.list_users(get_db(), actor=current_principal(), **args)
    filters = [ListFilter("role", _("Role"), tuple(_roles()), _("All roles")), status_filter()]
    return render_template("users/list.html", users=users, roles=dict(_roles()), filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGE_USERS)
def create():
    db, actor = get_db(), current_principal()
    # A link from a volunteer's page fills in the role and the profile.
    state = FormState(values={name: request.args[name] for name in ("role", "volunteer_id", "display_name")
                              if name in request.args})
    if request.method == "POST":
        user = load_and_call(UserCreateSchema(), lambda data: services.create_user(db, actor=actor, **data),
                             state=state, fields=CREATE_FIELDS, lists=("supervised_centers",))
        if user is not None:
            return _show_once(user, created=True)
    return render_template("users/form.html", state=state, user=None, roles=_roles(),
                           centers=center_choices(db, actor)), state.status


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@allow(MANAGE_USERS)
def edit(user_id: int):
    db, actor = get_db(), current_principal()
    user = services.get_user(db, actor=actor, user_id=user_id)
    state = FormState(values={"display_name": user.display_name, "role": user.role, "center": user.center,
                              "supervised_centers": list(user.supervised_centers), "volunteer_id": user.volunteer_id})
    if request.method == "POST":
        updated = load_and_call(UserUpdateSchema(), lambda data: services.update_user(
            db, actor=actor, user_id=user_id, **data), state=state, fields=EDIT_FIELDS, lists=("supervised_centers",))
        if updated is not None:
            flash(_("User %(username)s was saved.", username=updated.username), "success")
            return redirect(url_for("users.index", search=updated.username))
    return render_template("users/form.html", state=state, user=user, roles=_roles(),
                           centers=center_choices(db, actor)), state.status


add_active_toggle(
    bp, "/<int:user_id>/active", permission=MANAGE_USERS,
    change=lambda db, *, actor, active, user_id: services.set_user_active(
        db, actor=actor, user_id=user_id, active=active),
    activated=lambda user: _("User %(username)s is active again.", username=user.username),
    deactivated=lambda user: _("User %(username)s was deactivated and signed out everywhere.",
                               username=user.username),
    back="users.index")


@bp.post("/<int:user_id>/password")
@allow(MANAGE_VOLUNTEER_LOGINS)
def reset_password(user_id: int):
    """A new one-time password (admins: anyone's; staff: their center's volunteers'), shown once after a redirect."""
    user = services.reset_password(get_db(), actor=current_principal(), user_id=user_id)
    return _show_once(user, created=False)


@bp.post("/for-volunteer/<int:volunteer_id>")
@allow(MANAGE_VOLUNTEER_LOGINS)
def create_volunteer_login(volunteer_id: int):
    """The volunteer's page's "create a sign-in" button: username = their phone, a one-time password shown once."""
    try:
        user = services.create_volunteer_login(get_db(), actor=current_principal(), volunteer_id=volunteer_id)
    except AlreadyExists:
        flash(_("This volunteer's phone number is already someone's username. Ask the city admin."), "error")
        return redirect(url_for("volunteers.edit", volunteer_id=volunteer_id))
    except ValidationFailed as error:
        state = FormState()
        state.refuse(error)
        flash_refusal(state)
        return redirect(url_for("volunteers.edit", volunteer_id=volunteer_id))
    return _show_once(user, created=True)


@bp.get("/<int:user_id>/one-time-password")
@allow(MANAGE_VOLUNTEER_LOGINS)
def one_time_password(user_id: int):
    """Shows the password made by the POST just before, once: a reload (or another tab) finds it gone."""
    shown = session.pop(ONCE_KEY, None)
    user = services.get_user(get_db(), actor=current_principal(), user_id=user_id) \
        if current_principal().sees_everything else None
    if not shown or shown.get("user_id") != user_id:
        return render_template("users/password.html", user=user, password=None, username=None, created=False)
    return render_template("users/password.html", user=user, password=shown["password"],
                           username=shown["username"], name=shown["name"], created=shown["created"],
                           volunteer_id=shown.get("volunteer_id"))


ONCE_KEY = "one_time_password"


def _show_once(user, *, created: bool):
    """Keep the new password for the one page that shows it (redirect after POST: a reload sends nothing again).

    It waits in the signed session cookie of the admin or staff member who made it, for one request."""
    session[ONCE_KEY] = {"user_id": user.id, "password": user.one_time_password, "username": user.username,
                         "name": user.display_name or user.username, "created": created,
                         "volunteer_id": user.volunteer_id}
    return redirect(url_for("users.one_time_password", user_id=user.id))


def _roles() -> list[tuple[str, str]]:
    return [(role, str(ROLE_NAMES[role])) for role in ROLES]
