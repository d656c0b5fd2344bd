"""Domain errors: every refusal carries a stable ``code`` that the HTTP layer maps to SPEC §8's error shape."""
from __future__ import annotations


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
