"""HTML forms: read with the same marshmallow schemas as the API, refused with the messages shown beside the fields.

A page never validates on its own (beyond a form's own "type it again" inputs): the schema (the one contract shared
with the API) and the service decide; this module only turns a submitted form into the schema's input and their
refusals into messages per field. Every message translates itself (a lazy string rendered in the page's language).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import flash, request
from marshmallow import Schema, ValidationError

from timebank.errors import DomainError

FORM_ERROR = "_form"  # errors that belong to no single field, shown at the top of the form


@dataclass
class FormState:
    """What a form shows: the values typed so far and the errors per field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    refused_with: int = 422  # the HTTP status of the refusal, when there is one

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> int:
        """The status of the page that shows this form: 200, or the status of why it was refused."""
        return 200 if self.ok else self.refused_with

    def refuse(self, error: Exception) -> None:
        self.errors = errors_of(error)
        self.refused_with = error.status if isinstance(error, DomainError) else 422


def submitted(schema: Schema, *, fields: tuple[str, ...] | None = None, lists: tuple[str, ...] = (),
              optional: tuple[str, ...] = ()) -> dict:
    """The submitted values of the schema's fields (or of ``fields``), as the schema expects them.

    An input left empty is left out when the field is required (the schema then says so) or named in ``optional``
    (a comment one may leave blank: empty is "not given"), sent as ``None`` where the schema allows it (clearing an
    optional value) and as ``""`` elsewhere; an input the form does not have is left out. ``lists`` are
    multi-valued inputs (checkboxes). Form-only inputs such as the CSRF token are never passed on.
    """
    names = fields or tuple(name for name, f in schema.fields.items() if not f.dump_only)
    data: dict[str, Any] = {}
    for name in names:
        if name in lists:
            data[name] = [value.strip() for value in request.form.getlist(name) if value.strip()]
        elif name in request.form:
            value = request.form[name].strip()
            if value == "":
                if schema.fields[name].required or name in optional:
                    continue  # required: reported as "this field is required"; optional: not given
                if schema.fields[name].allow_none:
                    value = None
            data[name] = value
    return data


def query(schema: Schema) -> dict:
    """A list page's search and paging arguments, loaded with the API's query schema.

    Empty inputs are ignored, and so is a value the schema refuses (a hand-edited ``page=x``): a list always shows.
    """
    args = {key: value.strip() for key, value in request.args.items() if value.strip() and key in schema.fields}
    try:
        return schema.load(args)
    except ValidationError as error:
        bad = error.messages if isinstance(error.messages, dict) else {}
        return schema.load({key: value for key, value in args.items() if key not in bad})


def load_and_call(schema: Schema, action: Callable[[dict], Any], *, state: FormState, **options) -> Any:
    """Load the submitted form with ``schema`` and call ``action(data)``; on refusal fill ``state`` and return None."""
    state.values = submitted(schema, **options)
    try:
        data = schema.load(state.values)
        return action(data)
    except (ValidationError, DomainError) as error:
        state.refuse(error)
        return None


def flash_refusal(state: FormState) -> None:
    """Show why an action without a form of its own (a button in a list) was refused, on the next page."""
    for messages in state.errors.values():
        for message in messages:
            flash(message, "error")


def errors_of(error: Exception) -> dict[str, list[str]]:
    """Translated messages per field from a marshmallow ``ValidationError`` or a ``DomainError``."""
    if isinstance(error, ValidationError):
        return _flatten(error.messages if isinstance(error.messages, dict) else {FORM_ERROR: error.messages})
    if isinstance(error, DomainError):
        # Only messages belong beside fields; other details (a retry delay …) are not for the form.
        errors = _flatten({name: found for name, found in (error.fields or {}).items()
                           if isinstance(found, (str, list, tuple, dict))})
        if not errors:  # a refusal about a field says it beside the field; any other, above the form
            errors[FORM_ERROR] = [error.text()]
        return errors
    raise TypeError(f"not a refusal: {error!r}")


def _flatten(messages: dict) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, found in messages.items():
        key = FORM_ERROR if name in ("_schema", None) else str(name)
        flat.setdefault(key, []).extend(_texts(found))
    return flat


def _texts(found) -> list[str]:
    if isinstance(found, str):
        return [found]
    if isinstance(found, dict):  # nested or per-item errors: keep the words, drop the structure
        return [text for value in found.values() for text in _texts(value)]
    if isinstance(found, (list, tuple)):
        return [text for value in found for text in _texts(value)]
    return [str(found)]  # a lazy string: rendered now, in the page's language
