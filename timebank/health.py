"""``/healthz``: the process answers. ``/readyz``: the database answers and is at the latest migration."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from timebank import migrate
from timebank.auth.access import allow
from timebank.db import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@allow(public=True)
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@allow(public=True)
def readyz():
    database = get_db()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.current_revision(database.engine)
    except Exception as error:  # any failure to reach the database means "not ready"
        return jsonify(status="unavailable", reason=f"database unreachable: {type(error).__name__}"), 503
    head = migrate.head_revision()
    if current != head:
        return jsonify(status="unavailable", reason="database not at the latest migration",
                       current=current, head=head), 503
    return jsonify(status="ready", revision=current)


def init_app(app) -> None:
    app.register_blueprint(bp)
