"""timebank: a city's volunteer time bank. ``create_app`` reads as the table of contents."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)

    from timebank import config as settings
    settings.load(app, config)

    from timebank import db
    db.init_app(app)

    from timebank import health
    health.init_app(app)

    from timebank import ledger
    ledger.init_app(app)

    from timebank import security
    security.init_app(app)

    from timebank import api
    api.init_app(app)

    from timebank import people
    people.init_app(app)

    from timebank import web
    web.init_app(app)

    from timebank import cli
    cli.init_app(app)

    return app
