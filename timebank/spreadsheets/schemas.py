"""What every import's HTTP face shares: the query (``dry_run``, the template's ``format``) and a bad line."""
from __future__ import annotations

from marshmallow import fields, validate

from timebank.schemas import Schema

IMPORT_BODY = {
    "required": True,
    "description": "the CSV or XLSX file: the body itself, or the `file` part of a multipart form",
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}


def template_responses() -> dict:
    """The OpenAPI answer of a template download."""
    return {"200": {"description": "the template", "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                          "format": "binary"}}}}}


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "check every line and report, creating nothing"})


class ImportTemplateQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")),
                           metadata={"description": "csv (UTF-8 with BOM, opens in Excel) or xlsx"})


class LineErrorSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "line of the file (row of a sheet); the header is "
                                                                  "line 1"})
    field = fields.String(allow_none=True, metadata={"description": "the column to blame, if one is"})
    code = fields.String(required=True, metadata={"description": "stable: the same in every language"})
    message = fields.String(required=True, metadata={"description": "the problem, in the request's language"})
    reason = fields.String(required=True, metadata={"description": "the problem in English"})
