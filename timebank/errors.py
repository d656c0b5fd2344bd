"""Domain errors: every refusal carries a stable ``code``, its parameters, and one sentence that translates itself.

How an error is declared (once, where it belongs)::

    class LastAdmin(DomainError):
        code = "last_admin"          # stable: clients and tests match on it, it never changes with the language
        status = 409
        message = _l("The last active admin cannot be deactivated …")

    raise CenterInactive(code="JK01")   # parameters fill ``%(code)s`` in the sentence, in the reader's language

The sentence is rendered only when someone reads it (``error.text()``, ``str(error)``): the API in the language of
``Accept-Language``, a page in the language chosen on it, the CLI in English. A class that names no ``message`` says
the first paragraph of its docstring, translated the same way. Field problems travel in ``fields`` as lazy strings
too (what the rules raise, what marshmallow says), so they are rendered in the reader's language as well.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

T = TypeVar("T")


class DomainError(Exception):
    code = "domain_error"
    status = 409
    message: object = _l("The request was refused.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "message" not in cls.__dict__ and cls.__doc__:
            cls.message = _l(cls.__doc__.strip().split("\n\n")[0].replace("\n", " ").strip())

    def __init__(self, message=None, *, fields: dict | None = None, **params):
        """``message`` replaces the class's sentence (a lazy string; a plain one is shown as it is, untranslated);
        ``params`` fill its ``%(name)s`` placeholders; ``fields`` maps a field to its messages."""
        self.message = message if message is not None else type(self).message
        self.params = params
        self.fields = fields or {}
        super().__init__(self.code)

    def text(self) -> str:
        """The sentence in the current language, its parameters filled in."""
        return render_message(self.message, self.params)

    def __str__(self) -> str:
        return self.text()

    def rendered_fields(self) -> dict:
        return render(self.fields)

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.text(), "fields": self.rendered_fields()}}


def render_message(message, params: dict | None = None) -> str:
    text = str(message)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


def render(value):
    """Field messages (lazy strings, nested in dicts and lists) as plain strings of the current language."""
    if isinstance(value, dict):
        return {str(key): render(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [render(item) for item in value]
    if isinstance(value, LazyString):
        return str(value)
    return value


def is_translatable(message) -> bool:
    return isinstance(message, LazyString)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _l("Not found: it does not exist or is not yours to see.")


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    message = _l("The request is not valid.")


class AlreadyExists(DomainError):
    code = "already_exists"
    status = 409
    message = _l("Something with this identifier already exists.")


def created(create) -> bool:
    """Run ``create()``: True when it made something, False when that thing already existed (``AlreadyExists``).
    For seeding that may run twice, such as the demo."""
    try:
        create()
    except AlreadyExists:
        return False
    return True


class FieldErrors:
    """Collect the ``ValueError``s of the rules per field; raise them together as one 422, every bad field at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list] = {}

    def check(self, field: str, rule: Callable[..., T], value) -> T | None:
        try:
            return rule(value)
        except ValueError as error:
            self.add(field, rule_message(error))
            return None

    def add(self, field: str, message) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(fields=self.fields)


def rule_message(error: ValueError):
    """What a rule's ``ValueError`` says, kept lazy so it is rendered in the reader's language."""
    return error.args[0] if error.args else _l("This value is not valid.")


def field_error(field: str, message, error: type[DomainError] = ValidationFailed, **params) -> DomainError:
    """A refusal about one field: ``message`` beside the field; the error's own sentence above everything."""
    return error(fields={field: [message]}, **params)
