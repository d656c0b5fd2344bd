"""The record-book import page (``/hours/import``): upload a sheet, read the dry run's report (every bad line with
its number, column and reason), confirm; and the blank templates. Staff import into their own center; an admin's
file names the center on each line."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from timebank.auth.access import allow
from timebank.db import get_db
from timebank.errors import DomainError
from timebank.hours import import_format, record_import
from timebank.hours.import_api import template_response
from timebank.hours.permissions import IMPORT_HOURS
from timebank.request_limits import MAX_UPLOAD_BODY, accepts_body_up_to
from timebank.spreadsheets.reading import MAX_IMPORT_BYTES
from timebank.spreadsheets.uploads import NO_FILE, uploaded_file
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FormState

bp = page_blueprint("hours_import", __name__, url_prefix="/hours/import", template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
@allow(IMPORT_HOURS)
@accepts_body_up_to(MAX_UPLOAD_BODY)
def index():
    """Step 1: upload a file and see the dry run's report. Step 2: confirm, and the file checked is imported.

    Between the two the file waits on the server (``spreadsheets.pending``); the form carries only its id."""
    state = FormState()
    report, pending = None, ""
    db, actor = get_db(), current_principal()
    if request.method == "POST":
        try:
            if request.form.get("confirm") == "import":
                report = record_import.import_pending(db, actor=actor, pending_id=request.form.get("pending", "")[:80])
            else:
                data = uploaded_file()
                if data is None:
                    state.errors["file"] = [str(NO_FILE)]
                else:
                    report = record_import.import_records(db, actor=actor, data=data, dry_run=True)
                    if report.ok and report.created:
                        pending = record_import.hold_for_confirmation(db, actor=actor, data=data)
        except DomainError as error:
            state.refuse(error)
        else:
            if report is not None and report.ok and not report.dry_run:
                flash(_("Imported: %(created)s service records waiting for approval, %(skipped)s lines imported "
                        "before.", created=report.created, skipped=report.skipped), "success")
                return redirect(url_for("hours_import.index"))
    with_center = record_import.needs_center_column(actor)
    columns = import_format.template_columns(with_center=with_center)
    return render_template("hours/import.html", state=state, report=report, pending=pending,
                           column_names=import_format.COLUMN_NAMES, with_center=with_center,
                           headers_zh=[import_format.HEADERS_ZH[c] for c in columns], headers_en=list(columns),
                           max_megabytes=MAX_IMPORT_BYTES // (1024 * 1024)), state.status


@bp.get("/template")
@allow(IMPORT_HOURS)
def template():
    """The blank file to fill in, as CSV (with a BOM, so Excel shows the Chinese) or XLSX."""
    kind = request.args.get("format", "csv")
    return template_response(kind if kind in import_format.TEMPLATE_TYPES else "csv", actor=current_principal())
