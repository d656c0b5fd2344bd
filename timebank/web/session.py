"""Signing in and out, changing one's password, and the display preferences (language, text size)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from timebank.auth import services as auth
from timebank.auth.access import ROLES, allow
from timebank.auth.schemas import PasswordChangeSchema, TokenRequestSchema
from timebank.db import get_db
from timebank.web import i18n
from timebank.web.access import current_principal, page_blueprint, safe_next
from timebank.web.forms import FormState, load_and_call
from timebank.users.services import set_own_language

bp = page_blueprint("session", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
@allow(public=True)
def sign_in():
    target = safe_next(request.values.get("next"))
    if request.method == "GET" and current_principal() is not None:
        return redirect(target)
    state = FormState()
    if request.method == "POST":
        principal = load_and_call(TokenRequestSchema(), lambda data: auth.authenticate(
            get_db(), username=data["username"], password=data["password"], address=request.remote_addr or ""),
            state=state)
        if principal is not None:
            session.clear()  # nothing from before signing in survives into the signed-in session
            login_user(principal)
            if principal.must_change_password:
                return redirect(url_for("session.change_password"))
            return redirect(target)
        state.values.pop("password", None)
    return render_template("session/sign_in.html", state=state, next=target), state.status


@bp.post("/sign-out")
@allow(*ROLES, allow_pending_password=True)
def sign_out():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("session.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@allow(*ROLES, allow_pending_password=True)
def change_password():
    principal = current_principal()
    state = FormState()
    if request.method == "POST":
        if request.form.get("new_password", "") != request.form.get("confirm_password", ""):
            state.errors["confirm_password"] = [_("The two new passwords are not the same.")]
        else:
            done = load_and_call(PasswordChangeSchema(), lambda data: auth.change_password(
                get_db(), principal=principal, current_password=data["current_password"],
                new_password=data["new_password"], address=request.remote_addr) or True, state=state)
            if done:
                # The change ended every session of this user, this one included: sign in again with the new epoch.
                login_user(auth.load_principal(get_db(), principal.user_id))
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("home.index"))
        state.values = {}  # never send a password back
    return render_template("session/change_password.html", state=state, forced=principal.must_change_password), \
        state.status


@bp.post("/preferences/language")
@allow(public=True)
def choose_language():
    response = redirect(safe_next(request.form.get("next")))
    language = request.form.get("language", "")
    if language in i18n.LANGUAGES:
        i18n.remember(response, i18n.LANGUAGE_COOKIE, language)
        principal = current_principal()
        if principal is not None:
            set_own_language(get_db(), actor=principal, language=language)
    return response


@bp.post("/preferences/text-size")
@allow(public=True)
def choose_text_size():
    response = redirect(safe_next(request.form.get("next")))
    size = request.form.get("size", "")
    if size.isdigit() and int(size) in i18n.TEXT_SIZES:
        i18n.remember(response, i18n.TEXT_SIZE_COOKIE, size)
    return response
