"""Domain errors and the one handler that maps them to JSON under /api/v1 and to HTML elsewhere."""

import logging

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

log = logging.getLogger("commons")


class DomainError(Exception):
    """A failure the user can act on; `fields` maps a field name to its message."""

    status_code = 400
    code = "bad_request"

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


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


def fields_from_validation(exc: ValidationError) -> dict[str, str]:
    """Turn pydantic errors into {field: message}, the first message per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"] if part != "__root__") or "body"
        message = err["msg"]
        if err["type"] == "missing":
            message = "This field is required"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        fields.setdefault(loc, message)
    return fields


def validation_error(exc: ValidationError) -> InvalidInput:
    fields = fields_from_validation(exc)
    names = ", ".join(fields)
    return InvalidInput(f"Invalid input: {names}", fields=fields)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status_code: int, code: str, message: str, fields: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JSONResponse(body, status_code=status_code)


async def handle_domain_error(request: Request, exc: DomainError) -> Response:
    if is_api(request):
        return error_json(exc.status_code, exc.code, exc.message, exc.fields)
    if isinstance(exc, NotAuthenticated):
        login = request.url_for("accounts:login").include_query_params(next=request.url.path)
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": str(login)})
        return RedirectResponse(login, status_code=303)
    from core.web import render_error

    template = "pending.html" if isinstance(exc, PendingVerification) else "error.html"
    return render_error(request, template, exc.status_code, exc.message)


async def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 403: "forbidden"}
    code = codes.get(exc.status_code, "http_error")
    if is_api(request):
        return error_json(exc.status_code, code, str(exc.detail))
    from core.web import render_error

    return render_error(request, "error.html", exc.status_code, str(exc.detail))


async def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if is_api(request):
        return error_json(500, "server_error", "Something went wrong on our side.")
    from core.web import render_error

    return render_error(request, "error.html", 500, "Something went wrong on our side.")


exception_handlers = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_server_error,
}
