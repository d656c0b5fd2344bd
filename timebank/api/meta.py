"""The API describing itself: ``GET /api/v1/openapi.json``."""
from __future__ import annotations

from flask import current_app, jsonify

from timebank.api import ApiBlueprint, document
from timebank.auth.access import allow

blp = ApiBlueprint("meta", __name__, description="The API describing itself")


@blp.get("/openapi.json")
@allow(public=True)
@blp.response(200, {"type": "object"}, description="an OpenAPI 3 document")
def get_openapi_document():
    """The OpenAPI 3 document of this API, generated from the schemas that validate its requests"""
    return jsonify(document(current_app))
