"""timebank: a city's volunteer time bank. ``create_app`` reads as the table of contents.

Building blocks first (config, database, ledger, security, the pages' shared parts), then every feature's pages, API
blueprints and commands from the lists below, then the command line. A new feature adds its modules to
these lists and nothing else.
"""
from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from timebank import api, cli, db, demo, health, request_limits, security, web
from timebank import config as settings
from timebank.api import meta as meta_api
from timebank.audit import api as audit_api
from timebank.audit import views as audit_views
from timebank.auth import api as auth_api
from timebank.catalog import api as catalog_api
from timebank.catalog import views as catalog_views
from timebank.certificates import api as certificates_api
from timebank.certificates import views as certificates_views
from timebank.centers import api as centers_api
from timebank.centers import views as centers_views
from timebank.check_ins import api as check_ins_api
from timebank.check_ins import views as check_ins_views
from timebank.drives import api as drives_api
from timebank.drives import desk_views
from timebank.drives import exchange_views
from timebank.drives import views as drives_views
from timebank.drives import reservations_api
from timebank.home import views as home_views
from timebank.hours import api as hours_api
from timebank.hours import import_api as hours_import_api
from timebank.hours import import_views as hours_import_views
from timebank.hours.supervision import api as anomalies_api
from timebank.hours.supervision import views as supervision_views
from timebank.hours import views as hours_views
from timebank.jobs import api as jobs_api
from timebank.jobs import cli as jobs_cli
from timebank.jobs import views as jobs_views
from timebank.ledger import cli as ledger_cli
from timebank.notices import api as notices_api
from timebank.notices import views as notices_views
from timebank.operations import cli as operations_cli
from timebank.operations import metrics
from timebank.receipts import api as receipts_api
from timebank.receipts import cli as receipts_cli
from timebank.receipts import links as receipt_links
from timebank.receipts import views as receipts_views
from timebank.record_book import api as record_book_api
from timebank.record_book import views as record_book_views
from timebank.reports import api as reports_api
from timebank.reports import views as reports_views
from timebank.service_requests import api as service_requests_api
from timebank.service_requests import views as service_requests_views
from timebank.service_types import api as service_types_api
from timebank.service_types import views as service_types_views
from timebank.supervision import api as reviews_api
from timebank.supervision import public_api
from timebank.supervision import public_views
from timebank.supervision import views as reviews_views
from timebank.users import api as users_api
from timebank.users import cli as users_cli
from timebank.users import views as users_views
from timebank.volunteers import api as volunteers_api
from timebank.volunteers import cli as volunteers_cli
from timebank.volunteers import views as volunteers_views

# The pages of every feature, in the order they appear.
PAGES = (home_views.bp, centers_views.bp, volunteers_views.bp, users_views.bp, service_types_views.bp,
         audit_views.bp, record_book_views.bp, receipts_views.bp, receipts_views.images, service_requests_views.bp,
         check_ins_views.bp, check_ins_views.scans, check_ins_views.assets, hours_import_views.bp,
         supervision_views.reviews_bp, supervision_views.anomalies_bp, hours_views.bp, catalog_views.bp,
         catalog_views.photos,
         drives_views.bp, drives_views.assets, exchange_views.bp, desk_views.bp, desk_views.assets, jobs_views.bp,
         notices_views.bp, reports_views.bp, reviews_views.bp, public_views.bp, certificates_views.bp,
         certificates_views.assets)
# The API's blueprints (flask-smorest), in the order the OpenAPI document lists them.
API_BLUEPRINTS = (meta_api.blp, auth_api.blp, centers_api.blp, service_types_api.blp, volunteers_api.blp,
                  users_api.blp, hours_api.blp, hours_import_api.blp, anomalies_api.blp, record_book_api.blp,
                  notices_api.blp, certificates_api.blp, service_requests_api.blp, check_ins_api.blp,
                  catalog_api.blp, drives_api.blp, reservations_api.blp, audit_api.blp, receipts_api.blp, jobs_api.blp,
                  reports_api.blp, reviews_api.blp, public_api.blp)
# ``timebank …`` command groups (``timebank init`` and ``timebank run`` come from ``cli``).
COMMANDS = (ledger_cli.ledger_cli, users_cli.users_cli, volunteers_cli.volunteers_cli, receipts_cli.receipts_cli,
            jobs_cli.jobs_cli, jobs_cli.scheduler_command, demo.demo_command, operations_cli.backup_command,
            operations_cli.restore_command)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings.load(app, config)
    db.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    security.init_app(app)
    receipt_links.init_app(app)
    request_limits.init_app(app)
    web.init_app(app)
    for blueprint in PAGES:
        app.register_blueprint(blueprint)
    api.init_app(app, API_BLUEPRINTS)
    for command in COMMANDS:
        app.cli.add_command(command)
    cli.init_app(app)
    return app


def main() -> None:
    """The ``timebank`` console script: the app's Flask CLI (``timebank --help`` lists every command)."""
    FlaskGroup(create_app=create_app, name="timebank", help="The time bank's commands.")(prog_name="timebank")
