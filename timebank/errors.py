"""Domain errors: every refusal carries a stable ``code`` that the HTTP layer maps to SPEC §8's error shape."""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    code = "domain_error"
    status = 409

    def __init__(self, message: str | None = None, *, fields: dict | None = None):
        super().__init__(message or self.__doc__ or self.code)
        self.message = message or (self.__doc__ or self.code).strip()
        self.fields = fields or {}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class NotFound(DomainError):
    """The object does not exist."""

    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    """The request is not valid."""

    code = "validation_error"
    status = 422


class AlreadyExists(DomainError):
    """Something with this identifier already exists."""

    code = "already_exists"
    status = 409


class FieldErrors:
    """Collect ``ValueError``s of the normalizing rules per field; raise them together as one 422."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def check(self, field: str, rule: Callable[..., T], value) -> T | None:
        try:
            return rule(value)
        except ValueError as error:
            self.add(field, str(error))
            return None

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.items()))
            raise ValidationFailed(f"{first[0]}: {first[1][0]}", fields=self.fields)


def field_error(field: str, message: str, error: type[DomainError] = ValidationFailed) -> DomainError:
    return error(f"{field}: {message}", fields={field: [message]})
