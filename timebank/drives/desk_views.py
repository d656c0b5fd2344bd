"""The pickup desk (领取台, SPEC §3.4): staff of a center (an admin chooses one) hand a drive's goods over.

One page that works a whole morning without reloading. Three ways in, all ending in ``desk.redeem_voucher``: the
device's camera (the browser's ``BarcodeDetector`` where it has one, else jsQR served by the app from
``desk_static/vendor``, put there by ``scripts/install-web-assets.sh``), a USB scanner typing into the focused
field and pressing Enter, or the short code typed by hand. The page's script POSTs each scan as JSON to
``/desk/scan`` with the CSRF token and an ``Idempotency-Key`` of its own (a retry after a lost answer gets the first
answer, never a second redemption) and shows the answer the server drew: green, hand these items to this person;
red, why not. Without script the same field is a plain form (``/desk/redeem``) whose page shows the same answer.
A walk-up (reserve and hand over at once) is a form on the same page (``/desk/walk-up``): the volunteer is found by
part of a name or phone among the desk's own volunteers, or by a whole phone number at any center (credits are spent
at any center), and shown with their home center and the credits they can spend before anything is handed over.

A refusal is shown, not raised: the service runs in a savepoint of the request's unit of work (``_attempt``), so a
refusal leaves nothing of what it began, and the answer (refusals included) is what the key stores.
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, jsonify, render_template, request
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.drives import desk
from timebank.drives.desk_queries import Desk, DeskCenter, WalkUpVolunteer, desk_center, desk_of, \
    find_walk_up_volunteers
from timebank.drives.errors import WrongCenter
from timebank.drives.permissions import REDEEM_VOUCHER, WALK_UP
from timebank.drives.reservation_queries import ReservationView
from timebank.drives.schemas import CENTER_CODE, RedeemSchema, WalkUpSchema
from timebank.errors import DomainError, ValidationFailed
from timebank.idempotency.errors import HEADER
from timebank.idempotency.http import idempotent
from timebank.ledger.rules import format_credits
from timebank.receipts.rules import BadShortCode, display_short_code, looks_like_short_code, mask_name, \
    normalize_short_code
from timebank.web.access import current_principal, page_blueprint
from timebank.web.forms import FORM_ERROR, FormState, errors_of
from timebank.web.i18n import current_language

bp = page_blueprint("desk", __name__, url_prefix="/desk", template_folder="templates")
# The desk's script, style and decoder: public files, on a plain blueprint (a page blueprint guards every view).
assets = Blueprint("desk_assets", __name__, static_folder="desk_static", static_url_path="/desk/assets")
bp.context_processor(lambda: {"item_name": item_name, "format_credits": format_credits,
                              "walk_up_choice": walk_up_choice})

DECODER = "vendor/jsQR.js"  # copied at setup time; absent, the camera needs the browser's own BarcodeDetector
SEARCH_MAX = 60  # characters of a walk-up search
QUANTITY_PREFIX = "qty-"

# The big words of a refusal, by its code; the sentence under them is the refusal's own (when, where, why).
REFUSAL_TITLES = {
    "already_redeemed": _l("Already picked up"),
    "wrong_center": _l("Not for this center"),
    "voucher_expired": _l("Expired"),
    "already_cancelled": _l("Cancelled"),
    "drive_closed": _l("Not during pickup time"),
    "voucher_not_valid": _l("Not a valid voucher"),
    "receipt_not_valid": _l("Not a valid voucher"),
    "not_found": _l("Not a valid voucher"),
    "validation_error": _l("Check the code"),
    "out_of_stock": _l("Not enough in stock"),
    "limit_exceeded": _l("Over the limit per volunteer"),
    "insufficient_credits": _l("Not enough credits"),
}
NOT_DONE = _l("Not handed over")
# A walk-up has no voucher: what is not found there is the drive or the volunteer the form names.
WALK_UP_TITLES = {**REFUSAL_TITLES, "not_found": NOT_DONE}


class ScanSchema(RedeemSchema):
    """What the page's script sends for one scan: the text read (or typed) and the desk's center (admins)."""

    center = fields.String(load_default=None, allow_none=True, validate=CENTER_CODE)


class WalkUpFormSchema(WalkUpSchema):
    drive_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))


@dataclass(frozen=True)
class Answer:
    """What the desk shows after a scan or a walk-up: green with the reservation handed over, or red with why not."""

    ok: bool
    code: str
    title: str
    reason: str | None = None
    reservation: ReservationView | None = None
    scanned: str = ""  # what was scanned or typed, as the history names it
    key: str = ""  # the Idempotency-Key it answered (so the page's history lists a replayed answer once)

    @property
    def person(self) -> str:
        return mask_name(self.reservation.volunteer_name) if self.reservation else ""

    @property
    def voucher_code(self) -> str:
        code = self.reservation.voucher_short_code if self.reservation else None
        return display_short_code(code) if code else ""

    @property
    def total(self) -> str:
        return format_credits(self.reservation.total) if self.reservation else ""

    def items_text(self) -> str:
        return _(", ").join(_("%(item)s × %(quantity)s %(unit)s", item=item_name(line), quantity=line.quantity,
                              unit=line.unit) for line in self.reservation.lines) if self.reservation else ""

    def history(self) -> dict:
        """One line of the page's list of recent scans."""
        return {"ok": self.ok, "title": self.person if self.ok else self.title,
                "detail": self.items_text() if self.ok else (self.reason or ""),
                "code": self.voucher_code or self.scanned, "time": format_datetime(utcnow(), "HH:mm:ss"),
                "key": self.key}


def walk_up_choice(volunteer: WalkUpVolunteer) -> str:
    """How the walk-up form offers a volunteer: enough to tell two of one name apart, and what they can spend."""
    return _("%(name)s · phone ending %(digits)s · %(center)s · %(credits)s credits to spend", name=volunteer.name,
             digits=volunteer.phone_tail, center=volunteer.home_center_name,
             credits=format_credits(volunteer.available))


def item_name(line) -> str:
    """A catalog name in the page's language (the Chinese one when there is no English one)."""
    return line.name_en if current_language() == "en" and line.name_en else line.name_zh


def handed_over(reservation: ReservationView, *, scanned: str = "", key: str = "") -> Answer:
    return Answer(ok=True, code="fulfilled", title=_("Hand over"), reservation=reservation, scanned=scanned, key=key)


def refused(error: Exception, *, scanned: str = "", key: str = "", titles: dict = REFUSAL_TITLES) -> Answer:
    code = error.code if isinstance(error, DomainError) else "validation_error"
    problems = errors_of(error)
    if not scanned and "text" in problems:
        problems = {"text": [_("Scan a voucher or type its short code first.")]}
    title = titles.get(code, NOT_DONE)
    if code == "validation_error" and not {"text", "code"} & set(problems):
        title = NOT_DONE  # not about the code: the desk's center, say
    reason = " ".join(m for found in problems.values() for m in found)
    if code == "voucher_not_valid" and error.params.get("reason"):
        reason = str(error.params["reason"])  # the big words say "not a valid voucher" already: only why
    return Answer(ok=False, code=code, title=str(title), reason=reason, scanned=scanned, key=key)


def _attempt(work):
    """Run ``work`` (a service call) so that a refusal undoes all it began and can be shown rather than raised: in a
    savepoint of the request's unit of work (the Idempotency-Key's, which then stores the answer shown), or in a
    unit of its own when there is none."""
    def nested(s):
        with s.begin_nested():
            return work()

    return get_db().transaction(nested)


def _key_from_form(view):
    """A form cannot send headers: the desk's forms carry a key in a hidden field, made when the page was drawn, so
    a form sent twice (a double tap, a reload of the answer) gets the first answer again. The Idempotency-Key is that
    key with a digest of what the form says: the body itself is no longer there to compare once the form is read (the
    CSRF check reads it first), and the same page sent again with other words (after going back) is a new request."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.form.get("idempotency_key", "").strip()[:64]
        if key and HEADER not in request.headers:
            sent = sorted((name, value) for name, value in request.form.items(multi=True)
                          if name != "idempotency_key")
            digest = hashlib.sha256(json.dumps(sent, ensure_ascii=False).encode()).hexdigest()[:32]
            request.environ["HTTP_" + HEADER.upper().replace("-", "_")] = f"{key}.{digest}"
        return view(*args, **kwargs)

    return wrapper


def _scanned_label(text: str) -> str:
    """How the history names what was read: a short code as it is grouped on the voucher; a scan as such."""
    text = (text or "").strip()
    if not text:
        return ""
    if looks_like_short_code(text):
        try:
            return display_short_code(normalize_short_code(text))
        except BadShortCode:
            return text[:14]
    return _("QR code")


def _redeem(center: DeskCenter, text: str):
    """The voucher handed over at this desk. Staff elsewhere are refused by the service; an admin serving this
    desk is refused the same way (the savepoint undoes the redemption), so goods leave only the voucher's center."""
    db, actor = get_db(), current_principal()

    def work():
        done = desk.redeem_voucher(db, actor=actor, text=text)
        if done.reservation.center_id != center.id:
            raise WrongCenter(center=done.reservation.center_name, code=done.reservation.center)
        return done.reservation

    return _attempt(work)


# --- the page --------------------------------------------------------------------------------------------------------

@bp.get("/")
@allow(REDEEM_VOUCHER)
def index():
    return _desk_page()


@bp.post("/scan")
@allow(REDEEM_VOUCHER)
@idempotent(required=True)
def scan():
    """One scan from the page's script: ``{"text", "center"}`` in; the answer drawn (``html``) and its line for the
    history out, 200 when handed over, else the refusal's status."""
    body = request.get_json(silent=True)
    key = request.headers.get(HEADER, "")
    text = body.get("text") if isinstance(body, dict) and isinstance(body.get("text"), str) else ""
    try:
        data = ScanSchema().load(body if isinstance(body, dict) else {})
        center = desk_center(get_db(), actor=current_principal(), center=data["center"])
        answer = handed_over(_redeem(center, data["text"]), scanned=_scanned_label(text), key=key)
        status = 200
    except (ValidationError, DomainError) as error:
        answer = refused(error, scanned=_scanned_label(text), key=key)
        status = error.status if isinstance(error, DomainError) else 422
    html = render_template("drives/desk_answer.html", answer=answer)
    return jsonify({"ok": answer.ok, "code": answer.code, "html": html, "history": answer.history()}), status


@bp.post("/redeem")
@allow(REDEEM_VOUCHER)
@_key_from_form
@idempotent(required=False)
def redeem():
    """The same scan without script: the form's field, answered on the desk page."""
    text = request.form.get("text", "")
    key = request.form.get("idempotency_key", "")
    try:
        data = ScanSchema().load({"text": text.strip(), "center": request.form.get("center") or None})
        center = desk_center(get_db(), actor=current_principal(), center=data["center"])
        answer = handed_over(_redeem(center, data["text"]), scanned=_scanned_label(text), key=key)
        status = 200
    except (ValidationError, DomainError) as error:
        answer = refused(error, scanned=_scanned_label(text), key=key)
        status = error.status if isinstance(error, DomainError) else 422
    return _desk_page(answer=answer, status=status)


@bp.post("/walk-up")
@allow(WALK_UP)
@_key_from_form
@idempotent(required=False)
def walk_up():
    """A volunteer without a reservation: the chosen items reserved and handed over at once (all or nothing)."""
    db, actor = get_db(), current_principal()
    key = request.form.get("idempotency_key", "")
    state = FormState(values=_walk_up_values())
    answer, status = None, 200
    try:
        data = WalkUpFormSchema().load(_walk_up_input(state.values))
        center = desk_center(db, actor=actor, center=data.pop("center") or None)
        drive_id = data.pop("drive_id")
        done = _attempt(lambda: desk.walk_up(db, actor=actor, drive_id=drive_id, center=center.code, **data))
        answer = handed_over(done, key=key)
    except ValidationError as error:
        state.refuse(error)
        status = state.status
    except ValidationFailed as error:
        state.refuse(error)
        status = state.status
    except DomainError as error:
        answer, status = refused(error, key=key, titles=WALK_UP_TITLES), error.status
    if answer is not None and answer.ok:  # handed over: the next walk-up starts afresh
        return _desk_page(answer=answer, walk_up=FormState(), search="", status=status)
    return _desk_page(answer=answer, walk_up=state, status=status)  # refused: the volunteer found stays chosen


def _walk_up_values() -> dict:
    """What the walk-up form sent, kept to show it again when refused."""
    values = {name: request.form.get(name, "").strip() for name in ("drive_id", "volunteer_id", "center")}
    values["quantities"] = {name[len(QUANTITY_PREFIX):]: value.strip() for name, value in request.form.items()
                            if name.startswith(QUANTITY_PREFIX) and value.strip()}
    return values


def _walk_up_input(values: dict) -> dict:
    lines = [{"sku": sku, "quantity": quantity} for sku, quantity in values["quantities"].items()
             if quantity not in ("0", "")]
    if not lines:
        raise ValidationError({"lines": [_("Enter how many of at least one item.")]})
    data = {"center": values["center"] or None, "lines": lines}
    for name in ("drive_id", "volunteer_id"):
        if values[name]:
            data[name] = values[name]
    return data


def _desk_page(*, answer: Answer | None = None, walk_up: FormState | None = None, search: str | None = None,
               status: int = 200):
    """The desk. ``search`` (else the page's, or the walk-up form's): the walk-up volunteer to look for."""
    db, actor = get_db(), current_principal()
    wanted = request.values.get("center", "").strip() or None
    here = desk_of(db, actor=actor, center=wanted)
    drive = _chosen_drive(here, request.values.get("drive") or request.values.get("drive_id"))
    search = (request.values.get("search", "") if search is None else search).strip()[:SEARCH_MAX]
    may_walk_up = WALK_UP.allows(actor)
    found = find_walk_up_volunteers(db, actor=actor, search=search) if search and here.center and may_walk_up \
        else None
    decoder = Path(assets.static_folder, DECODER).is_file()
    page = render_template("drives/desk.html", desk=here, drive=drive, answer=answer, walk_up=walk_up or FormState(),
                           search=search, found=found, decoder=decoder, new_key=lambda: uuid.uuid4().hex,
                           may_walk_up=may_walk_up, quantity_prefix=QUANTITY_PREFIX, form_error=FORM_ERROR,
                           search_max=SEARCH_MAX)
    return page, status


def _chosen_drive(here: Desk, wanted):
    for drive in here.drives:
        if str(drive.id) == str(wanted or ""):
            return drive
    return here.drives[0] if here.drives else None
