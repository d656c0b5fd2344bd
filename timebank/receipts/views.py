"""The public receipt pages (no sign-in): ``/R/<code>`` is what a phone's camera opens from a receipt's QR code,
``/R/`` the form where a family member types the short code when scanning fails, and the QR images of a receipt.

The pages say ``Cache-Control: no-store``: a receipt's status changes (a voucher is used, a record reversed), and a
kept copy would go on saying "valid". The images never change (the QR text is the signed token), so they are served
for a year, immutable, with an ETag. They are on a blueprint of their own that never opens the cookie session: a
page reads it on every request (who is signed in), which would make the answer vary by cookie (``Vary: Cookie``)
and let a signed-in visitor's answer be marked ``no-store``.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from timebank.auth.access import allow
from timebank.clock import utcnow
from timebank.db import get_db
from timebank.errors import NotFound, ValidationFailed
from timebank.receipts import qr, services
from timebank.receipts.facts import facts_of, tolerant
from timebank.receipts.links import PublicUrlUnsuitable, receipt_url
from timebank.schemas import REQUIRED
from timebank.security import without_cookie_session_matching
from timebank.web.access import page_blueprint, page_not_found
from timebank.web.forms import FormState, errors_of
from timebank.web.i18n import BABEL_LOCALES, HTML_LANGS, current_language

bp = page_blueprint("receipts", __name__, url_prefix="/R", template_folder="templates")
images = Blueprint("receipt_images", __name__, url_prefix="/R")
images.record_once(lambda state: without_cookie_session_matching(state.app, r"/R/[^/]+/qr\.(?:png|svg)"))

IMAGE_CACHE = "public, max-age=31536000, immutable"
VERDICT_WORDS = {True: _l("Valid"), False: _l("Not valid")}


@bp.get("/")
@allow(public=True)
def find():
    """The short-code form; sent (``?code=``), it shows the receipt, or says on the form what is wrong."""
    code = request.args.get("code", "").strip()
    if code:
        return _receipt_page(code)
    state = FormState()
    if "code" in request.args:  # sent empty
        state.errors = {"code": [str(REQUIRED)]}
    return _not_for_caches(render_template("receipts/find.html", state=state), state.status)


@bp.get("/<code>")
@allow(public=True)
def show(code: str):
    """A receipt: its token (from the QR code) or its short code, in any case."""
    return _receipt_page(code)


def _receipt_page(code: str):
    try:
        check = services.check_receipt(get_db(), code=code)
    except (ValidationFailed, NotFound) as error:
        state = FormState(values={"code": code[:40]})
        state.refuse(error)
        if isinstance(error, NotFound):
            state.errors = {"code": errors_of(error).pop("_form")}
        page = render_template("receipts/find.html", state=state)
        return _not_for_caches(page, state.status)
    facts = facts_of(check, url_of=tolerant(receipt_url))
    page = render_template("receipts/receipt.html", facts=facts, token=check.token if facts.url else None,
                           checked_at=utcnow(), other=_in_the_other_language(VERDICT_WORDS[facts.valid]))
    return _not_for_caches(page)


def _in_the_other_language(message) -> tuple[str, str]:
    """The verdict also in the language the page is not in (a scanning visitor may read only that one)."""
    other = "en" if current_language() == "zh" else "zh"
    with force_locale(BABEL_LOCALES[other]):
        return HTML_LANGS[other], str(message)


def _not_for_caches(page, status: int = 200) -> Response:
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@images.get("/<token>/qr.png")
@allow(public=True)
def qr_png(token: str):
    """The receipt's QR code as a PNG (8 px a module)."""
    return _image(token, "png")


@images.get("/<token>/qr.svg")
@allow(public=True)
def qr_svg(token: str):
    """The receipt's QR code as an SVG (for print)."""
    return _image(token, "svg")


def _image(token: str, image_format: str) -> Response:
    # Only receipts we signed: anything else is a 404, so no one can fill the image cache with texts of their own.
    text = receipt_url(services.signed_token(get_db(), text=token))
    tag = qr.etag(text, image_format)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        render, mimetype = qr.RENDERERS[image_format]
        response = Response(render(text), mimetype=mimetype)
    response.set_etag(tag)
    response.headers["Cache-Control"] = IMAGE_CACHE
    return response


@images.errorhandler(NotFound)
def _no_such_image(error):
    page, status = page_not_found(error)
    return _not_for_caches(page, status)


@images.errorhandler(PublicUrlUnsuitable)
def _no_address_for_the_image(error):
    response = Response(error.text(), status=error.status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
