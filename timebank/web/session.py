"""Signing in and out, changing one's password, and the display preferences (language, text size).

A signed-in page session is a row in ``user_session``; the signed cookie carries its key (``Principal.get_id()``).
Signing out deletes the row, so a copy of the cookie stops working too.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
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
    throttled: list[auth.TooManyAttempts] = []

    def sign_in_or_wait(data):
        try:
            return auth.start_session(get_db(), username=data["username"], password=data["password"],
                                      address=request.remote_addr or "", ttl=_session_ttl())
        except auth.TooManyAttempts as wait:
            throttled.append(wait)  # not a mistake in the form: said on its own, above it
            return None

    if request.method == "POST":
        principal = load_and_call(TokenRequestSchema(), sign_in_or_wait, state=state)
        if principal is not None:
            session.clear()  # nothing from before signing in survives into the signed-in session
            login_user(principal)
            if principal.must_change_password:  # then on to where they were going (a scanned poster's code)
                return redirect(url_for("session.change_password", next=target if target != "/" else None))
            return redirect(target)
        state.values.pop("password", None)
    if throttled:
        page = render_template("session/sign_in.html", state=state, next=target, wait_minutes=throttled[0].minutes)
        return page, 429, {"Retry-After": str(throttled[0].retry_after)}
    return render_template("session/sign_in.html", state=state, next=target, wait_minutes=None), state.status


@bp.post("/sign-out")
@allow(*ROLES, allow_pending_password=True)
def sign_out():
    principal = current_principal()
    auth.end_session(get_db(), principal.get_id() if principal else None)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("session.sign_in"))


@bp.route("/password", methods=["GET", "POST"])
@allow(*ROLES, allow_pending_password=True)
def change_password():
    principal = current_principal()
    state = FormState()
    target = safe_next(request.values.get("next"), url_for("home.index"))
    if request.method == "POST":
        if request.form.get("new_password", "") != request.form.get("confirm_password", ""):
            state.errors["confirm_password"] = [_("The two new passwords are not the same.")]
        else:
            # The change ends every session of this user, this one included; the service opens a new one for
            # this browser in the same transaction.
            renewed = load_and_call(PasswordChangeSchema(), lambda data: auth.change_password(
                get_db(), principal=principal, current_password=data["current_password"],
                new_password=data["new_password"], address=request.remote_addr, keep_signed_in=True,
                session_ttl=_session_ttl()), state=state)
            if renewed is not None:
                login_user(renewed)
                flash(_("Your password has been changed."), "success")
                return redirect(target)
        state.values = {}  # never send a password back
    return render_template("session/change_password.html", state=state, forced=principal.must_change_password,
                           next=target), state.status


def _session_ttl() -> timedelta:
    seconds = current_app.config.get("SESSION_TTL_SECONDS")
    return timedelta(seconds=int(seconds)) if seconds else auth.DEFAULT_SESSION_TTL


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
