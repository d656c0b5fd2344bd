"""Why the people services refuse a request, and a collector that reports every bad field at once."""
from __future__ import annotations

from typing import Callable, TypeVar

from timebank.errors import DomainError, ValidationFailed

T = TypeVar("T")


class AlreadyExists(DomainError):
    """Something with this identifier already exists."""

    code = "already_exists"
    status = 409


class LastAdmin(DomainError):
    """The last active admin cannot be deactivated or demoted: nobody could manage the city any more."""

    code = "last_admin"
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
