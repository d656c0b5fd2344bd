"""The HTML pages: sign-in, a home per role, and the admin pages for centers, users and volunteers.

Each feature's pages are one blueprint made by ``access.page_blueprint`` (one guard per blueprint); templates and static
assets (CSS, icons: no external CDN, no inline script or style) live beside this module.
"""
from __future__ import annotations

from flask import Blueprint

# The page blueprints, listed in one place.
PAGE_MODULES = (
    "timebank.web.session",
    "timebank.web.home",
    "timebank.web.centers",
    "timebank.web.users",
    "timebank.web.volunteers",
)

# Templates and static files shared by every page blueprint; served at /assets/… by the app itself.
assets = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


def init_app(app) -> None:
    from importlib import import_module

    from timebank.web import access, i18n, layout

    i18n.init_app(app)
    access.init_app(app)
    layout.init_app(app)
    app.register_blueprint(assets)
    for name in PAGE_MODULES:
        app.register_blueprint(import_module(name).bp)
    # An address that matches no route outside the API gets the site's own "not found" page.
    app.register_error_handler(404, access.page_not_found)
