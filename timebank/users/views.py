"""The admin's pages for users (who can sign in, with which role): list, create, edit, deactivate, new password.

A new user gets a one-time password, shown once to the admin, which the user must change at first sign-in.
"""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import ROLES, allow
from timebank.centers.services import list_centers
from timebank.db import get_db
from timebank.users import services
from timebank.users.permissions import MANAGE_USERS
from timebank.users.schemas import UserCreateSchema, UserListQuerySchema, UserUpdateSchema
from timebank.web.access import current_principal, page_blueprint, safe_next
from timebank.web.forms import FormState, flash_refusal, load_and_call, query
from timebank.web.layout import ROLE_NAMES

bp = page_blueprint("users", __name__, url_prefix="/users", template_folder="templates")

CREATE_FIELDS = ("username", "display_name", "role", "center", "supervised_centers", "volunteer_id")
EDIT_FIELDS = ("display_name", "role", "center", "supervised_centers", "volunteer_id")


@bp.get("/")
@allow(MANAGE_USERS)
def index():
    args = query(UserListQuerySchema())
    users = services.list_users(get_db(), actor=current_principal(), **args)
    return render_template("users/list.html", users=users, args=args, roles=_roles())


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
                           centers=_centers(db, actor)), state.status


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
                           centers=_centers(db, actor)), state.status


@bp.post("/<int:user_id>/active")
@allow(MANAGE_USERS)
def set_active(user_id: int):
    state = FormState()
    user = load_and_call(UserUpdateSchema(), lambda data: services.set_user_active(
        get_db(), actor=current_principal(), user_id=user_id, active=data.get("active")),
        state=state, fields=("active",))
    if user is None:
        flash_refusal(state)
    elif user.active:
        flash(_("User %(username)s is active again.", username=user.username), "success")
    else:
        flash(_("User %(username)s was deactivated and signed out everywhere.", username=user.username), "success")
    return redirect(safe_next(request.form.get("next"), url_for("users.index")))


@bp.post("/<int:user_id>/password")
@allow(MANAGE_USERS)
def reset_password(user_id: int):
    user = services.reset_password(get_db(), actor=current_principal(), user_id=user_id)
    return _show_once(user, created=False)


def _show_once(user, *, created: bool):
    """The page with a one-time password: never kept by a browser's or a proxy's cache."""
    response = make_response(render_template("users/password.html", user=user, created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


def _roles() -> list[tuple[str, str]]:
    return [(role, str(ROLE_NAMES[role])) for role in ROLES]


def _centers(db, actor) -> list[tuple[str, str]]:
    page = list_centers(db, actor=actor, active=True, per_page=200)
    return [(center.code, f"{center.code} {center.name}") for center in page.items]
