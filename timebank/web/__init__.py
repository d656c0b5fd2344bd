"""What every page shares: the layout, sign-in and sign-out, languages, the form and list macros, static assets.

Each feature's pages are one blueprint made by ``access.page_blueprint`` (one guard per blueprint), registered by the
feature itself; shared templates and static assets (CSS, icons: no external CDN, no inline script or style) live
beside this module.
"""
from __future__ import annotations

from flask import Blueprint

from timebank.web import access, i18n, layout, session

# Templates and static files shared by every page blueprint; served at /assets/… by the app itself.
assets = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


def init_app(app) -> None:
    i18n.init_app(app)
    access.init_app(app)
    layout.init_app(app)
    app.register_blueprint(assets)
    app.register_blueprint(session.bp)
    # An address that matches no route outside the API gets the site's own "not found" page.
    app.register_error_handler(404, access.page_not_found)
