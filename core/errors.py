"""Domain errors: failures the user can act on, with a status, a code and per-field messages."""

from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from core.i18n import gettext


class DomainError(Exception):
    """A failure the user can act on; `fields` maps a field name to its message, `headers`
    go out with the answer (a 429's Retry-After)."""

    status_code = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        code: str | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class PendingVerification(DomainError):
    status_code = 403
    code = "organization_pending"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Throttled(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, fields: dict[str, str] | None = None):
        super().__init__(message, fields=fields)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


class FieldError(ValueError):
    """A check across fields, raised in a model validator, that names the field to correct
    (pydantic would report it under the whole model)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def fields_from_validation(exc: ValidationError) -> dict[str, str]:
    """Turn pydantic errors into {field: message}, the first message per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        parts = [str(part) for part in err["loc"] if part != "__root__"]
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            parts.append(cause.field)
        loc = ".".join(parts) or "body"
        message = err["msg"]
        if err["type"] == "missing":
            message = gettext("This field is required")
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        fields.setdefault(loc, message)
    return fields


def validation_error(exc: ValidationError) -> InvalidInput:
    fields = fields_from_validation(exc)
    names = ", ".join(fields)
    return InvalidInput(f"Invalid input: {names}", fields=fields)


def error_json(
    status_code: int,
    code: str,
    message: str,
    fields: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JSONResponse(body, status_code=status_code, headers=headers or None)
