"""What every page shares: the layout, sign-in and sign-out, languages, the form and list macros, static assets.

Each feature's pages are one blueprint made by ``access.page_blueprint`` (one guard per blueprint), registered by the
feature itself; shared templates and static assets (CSS, icons: no external CDN, no inline script or style) live
beside this module.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request

from timebank.web import access, i18n, layout, session, times

# Templates and static files shared by every page blueprint; served at /assets/… by the app itself.
assets = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


def init_app(app) -> None:
    i18n.init_app(app)
    access.init_app(app)
    layout.init_app(app)
    times.init_app(app)
    app.register_blueprint(assets)
    app.register_blueprint(session.bp)
    # An address that matches no route outside the API gets the site's own "not found" page.
    app.register_error_handler(404, access.page_not_found)
    # A body over the request limit (timebank.request_limits): a page that says so, not Werkzeug's English one.
    app.register_error_handler(413, _too_large)


def _too_large(_error):
    limit = request.max_content_length or 0
    size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return render_template("errors/too_large.html", limit=size), 413
