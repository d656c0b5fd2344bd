"""The API describing itself: ``GET /api/v1/openapi.json``."""
from __future__ import annotations

from flask import current_app, jsonify

from timebank.api import bp, openapi
from timebank.auth.access import allow


@bp.get("/openapi.json")
@allow(public=True)
def openapi_document():
    """The OpenAPI document of this API.
    ---
    get:
      tags: [meta]
      summary: The OpenAPI 3 document of this API, generated from the schemas that validate its requests
      responses:
        200:
          description: an OpenAPI 3 document
          content:
            application/json:
              schema:
                type: object
    """
    return jsonify(openapi.document(current_app._get_current_object()))
