"""The JSON API under ``/api/v1`` (SPEC §8), on flask-smorest: each feature's ``api.py`` holds one ``ApiBlueprint``;
``create_app`` lists them and ``init_app`` registers them. The OpenAPI document (``GET /api/v1/openapi.json``) is
generated from the marshmallow schemas that validate the requests and dump the answers.

How a feature adds an endpoint
==============================

In ``timebank/<feature>/api.py``::

    from timebank.api import ApiBlueprint, current_principal
    from timebank.auth.access import allow
    from timebank.centers import services
    from timebank.centers.schemas import CenterCreateSchema, CenterSchema
    from timebank.db import get_db

    blp = ApiBlueprint("centers", __name__, description="Elderly-care centers")


    @blp.post("/centers")
    @allow("admin")                        # who may call it; a view without @allow is refused to everyone
    @blp.arguments(CenterCreateSchema)     # the JSON body, loaded (unknown fields refused) → ``data``
    @blp.response(201, CenterSchema)       # what it answers, dumped with the schema
    @blp.refuses(409, "already_exists: a center with this code exists")
    def create_center(data):               # the function's name is the operationId
        \"\"\"Open a center (and its issuance account)\"\"\"
        return services.create_center(get_db(), actor=current_principal(), **data)

and add ``centers_api.blp`` to ``API_BLUEPRINTS`` in ``timebank/__init__.py``.

- Query strings: ``@blp.arguments(CenterListQuerySchema, location="query")``; a list answers a page schema
  (``PageSchema`` subclass with ``items``), never a bare array.
- A PATCH whose fields are all optional: ``@blp.arguments(CenterUpdateSchema, required=False)``.
- Refusals every view of its kind can answer are documented for you (401/403 unless public, 404 with a path
  parameter, 400/413/422 with a body, 422 with a query); the rest with ``@blp.refuses(status, "code: when")``.
- A body larger than 1 MiB is refused with 413; an upload that needs more says so with
  ``@accepts_body_up_to(bytes)`` from ``timebank.request_limits``.
- Errors: raise a ``timebank.errors.DomainError``; never build an error response in a view.
- ``tests/e2e/test_openapi.py`` checks the document, ``tests/e2e/test_route_sweep.py`` calls every route as every
  role, ``tests/e2e/test_openapi_fuzz.py`` fuzzes it, ``tests/e2e/test_openapi_client.py`` drives a generated client.
"""
from __future__ import annotations

import threading

from importlib import metadata

from flask import request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from timebank import security
from timebank.api import errors
from timebank.api.blueprint import (
    API_PREFIX,
    STANDARD_RESPONSES,
    ApiBlueprint,
    current_principal,
    no_content,
    optional_principal,
)
from timebank.api.errors import ErrorSchema

__all__ = ["API_PREFIX", "ApiBlueprint", "TimebankApi", "current_principal", "document", "init_app", "no_content",
           "optional_principal"]

OPENAPI_VERSION = "3.0.3"


class TimebankApi(Api):
    """flask-smorest's ``Api`` with our error schema, and no app-wide error handler: each ``ApiBlueprint`` answers
    its own errors, and the pages keep theirs."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every refusal is documented by its status instead

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        super()._register_responses()
        for name, description in STANDARD_RESPONSES.values():
            response = {"description": description, "schema": ErrorSchema}
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(name, response, lazy=True)

    def register_blueprint(self, blp: ApiBlueprint, **options):
        """The blueprint's routes now; its part of the OpenAPI document when the document is first asked for
        (``document``): writing it costs more than the rest of building an app, and most processes (gunicorn
        workers, commands, the scheduler) never serve it."""
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_undocumented", []).append(blp)

    def documented_spec(self):
        """The spec with every registered blueprint's operations in it, in the order they were registered."""
        for blp in self.__dict__.pop("_undocumented", []):
            blp.register_views_in_doc(self, self._app, self.spec, name=blp.name, parameters=None)
            if blp.description and blp.tag not in {t["name"] for t in self.spec.options.get("tags", [])}:
                self.spec.tag({"name": blp.tag, "description": blp.description})
        return self.spec


def init_app(app, blueprints) -> TimebankApi:
    """Register ``blueprints`` (every feature's ``ApiBlueprint``) and the document built from them."""
    api = TimebankApi(app, spec_kwargs={
        "title": "timebank",
        "version": _version(),
        "openapi_version": OPENAPI_VERSION,
        "info": {"description": "A city's volunteer time bank: centers, volunteers, hours, credits, goods, receipts. "
                                "Sign in with POST /api/v1/auth/tokens, then send `Authorization: Bearer <token>`. "
                                "Every error is {\"error\": {\"code\", \"message\", \"fields\"}}."},
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    # The API knows its caller by the bearer token alone: its requests never open or write the cookie session.
    security.without_cookie_session(app, API_PREFIX + "/")
    # First of the app's before_request functions: nothing else should see a request that matched no route.
    app.before_request_funcs.setdefault(None, []).insert(0, _answer_routing_errors_as_json)
    app.extensions["timebank.api"] = api
    return api


def document(app) -> dict:
    """The OpenAPI document of ``app`` (built once: routes do not change after start)."""
    cached = app.extensions.get("timebank.openapi")
    if cached is None:
        with _DOCUMENTING:  # threads of one app (a threaded server) write it once
            cached = app.extensions.get("timebank.openapi")
            if cached is None:
                cached = app.extensions["timebank.openapi"] = app.extensions["timebank.api"].documented_spec().to_dict()
    return cached


_DOCUMENTING = threading.Lock()


def _is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _answer_routing_errors_as_json():
    # An unknown URL or method under /api/v1 matches no view, so no blueprint handler sees it; answer it here,
    # before Flask raises it, so the API's shape does not depend on whichever 404 page the app has.
    error = request.routing_exception
    if isinstance(error, HTTPException) and (error.code or 0) >= 400 and _is_api_path(request.path):
        return errors.handle_http_error(error)
    return None


def _version() -> str:
    try:
        return metadata.version("timebank")
    except metadata.PackageNotFoundError:
        return "0"
