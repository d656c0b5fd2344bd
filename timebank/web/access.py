"""Who is signed in to the pages, and the one place each page blueprint enforces ``@allow``.

A page session is a ``user_session`` row; Flask's signed cookie carries only its random key (``Principal.get_id()``),
so any worker on any machine loads the person back in one statement, signing out deletes the row (a copied cookie
stops working), and a password change or a deactivation ends every session of that user.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from timebank.auth.access import Forbidden, PasswordChangeRequired, Principal, Unauthorized, check, policy_of
from timebank.auth.services import principal_for_session
from timebank.db import get_db
from timebank.errors import NotFound
from timebank.security import uses_cookie_session

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app) -> None:
    # The API authenticates with bearer tokens and needs no CSRF token; page blueprints check it themselves
    # (in ``enforce_page_policy``) on every form they receive.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session: a slow typist is not punished
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "session.sign_in"


@login_manager.user_loader
def _load_principal(session_id: str) -> Principal | None:
    return principal_for_session(get_db(), session_id)


def current_principal() -> Principal | None:
    """The signed-in person of this page request, or ``None`` (always for an API request: it has no cookie session,
    see ``timebank.security.SessionInterface``)."""
    if not uses_cookie_session():
        return None
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None  # type: ignore[return-value]


def page_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A blueprint for HTML pages: its views are guarded by ``enforce_page_policy`` and its errors become pages."""
    bp = Blueprint(name, import_name, **options)
    bp.before_request(enforce_page_policy)
    bp.register_error_handler(NotFound, _not_found)
    bp.register_error_handler(Forbidden, _forbidden)
    bp.register_error_handler(CSRFError, _form_expired)
    return bp


def enforce_page_policy():
    """The one access check of a page blueprint: ``@allow`` of the view, then CSRF on anything that changes state."""
    view = current_app.view_functions.get(request.endpoint)
    try:
        check(policy_of(view), current_principal())
    except Unauthorized:
        return redirect(url_for("session.sign_in", next=_here()))
    except PasswordChangeRequired:
        return redirect(url_for("session.change_password"))
    except Forbidden:
        return _forbidden(None)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # only for the methods that change state (WTF_CSRF_METHODS)
    return None


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _here() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def _not_found(_error):
    return render_template("errors/not_found.html"), 404


def page_not_found(error):
    """The app's 404 for addresses no blueprint claims (the API answers its own in JSON before this is reached)."""
    return _not_found(error)


def _forbidden(_error):
    return render_template("errors/forbidden.html"), 403


def _form_expired(_error):
    return render_template("errors/form_expired.html"), 400
