"""How large a request body may be, for the API and the pages alike.

Every request may carry at most ``MAX_CONTENT_LENGTH`` bytes (1 MiB unless configured): Werkzeug refuses a longer
body with 413 before reading it whole, whether it announces its length or streams it. A view that takes uploads
(the volunteer imports) raises its own bound with ``@accepts_body_up_to(bytes)``. The API answers the 413 in its
error shape; the pages with a page of their own.
"""
from __future__ import annotations

from flask import current_app, request

DEFAULT_MAX_BODY = 1024 * 1024  # 1 MiB: a JSON body or a form is a few kilobytes
MAX_UPLOAD_BODY = 5 * 1024 * 1024 + 64 * 1024  # the imports: a 5 MB file and the multipart envelope around it


def accepts_body_up_to(limit: int):
    """Let one view read a body of up to ``limit`` bytes (put it above or below ``@allow``)."""

    def decorate(view):
        view._timebank_max_body = limit
        return view

    return decorate


def init_app(app) -> None:
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is no limit at all
        app.config["MAX_CONTENT_LENGTH"] = DEFAULT_MAX_BODY
    app.before_request(_apply_the_views_limit)


def _apply_the_views_limit():
    view = current_app.view_functions.get(request.endpoint)
    limit = getattr(view, "_timebank_max_body", None)
    if limit is not None:
        request.max_content_length = limit
