"""HTML forms: read a submission, validate it with the API's models, act, or re-render with 422."""

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from core.auth import require
from core.db import get_session
from core.errors import DomainError, Forbidden, NotAuthenticated, NotFound, fields_from_validation
from core.models import User
from core.web import redirect, render

M = TypeVar("M", bound=BaseModel)
# The key of a message that names no field; templates show it above the form.
FORM = "form"

Context = Mapping[str, Any] | Callable[[dict[str, Any]], Awaitable[Mapping[str, Any]]]
Action = Callable[[Any, Any, User | None], Awaitable[Any]]
Success = Callable[[Any], Any]


async def form_dict(request: Request, *, lists: Sequence[str] = ()) -> dict[str, Any]:
    """The submitted fields; blank values become None and `lists` fields keep every value."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == "csrftoken":
            continue
        if key in lists:
            data[key] = [v for v in form.getlist(key) if isinstance(v, str) and v.strip()]
            continue
        value = form.get(key)
        if isinstance(value, str):
            value = value.strip()
            data[key] = value or None
        else:
            data[key] = value
    for key in lists:
        data.setdefault(key, [])
    return data


def validate(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, dict[str, str]]:
    """(the model, {}) or (None, {field: message}) for re-rendering the form with status 422."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, fields_from_validation(exc)


def refusal_fields(exc: DomainError) -> dict[str, str]:
    """A refusal's per-field messages, and its message in the form-level slot."""
    return {**exc.fields, FORM: exc.message}


async def form_page(
    request: Request,
    template: str,
    *,
    block: str,
    schema: type[BaseModel],
    action: Action,
    success: Success,
    context: Context | None = None,
    initial: Mapping[str, Any] | None = None,
    user: User | None = None,
    roles: Sequence[str] | None = None,
    lists: Sequence[str] = (),
    drop_blank: bool = False,
    prepare: Callable[[dict[str, Any]], Any] | None = None,
    keep_status: bool = False,
) -> Response:
    """One form's whole round trip, so a handler is a few lines.

    GET renders `template` with `form` (from `initial`) and no errors. POST parses the form,
    validates it with `schema`, calls `action(session, body, user)` and answers with
    `success(result)`: a URL to redirect to (HX-Redirect under htmx) or a Response. Invalid
    input, or a refusal of the action, re-renders `block` (the page without htmx) with 422
    and a message per field; the refusal's own message goes to `errors["form"]`. Refusals
    that are not about the input (not signed in, not allowed, a missing object the URL
    named) are raised. `keep_status` answers a refusal with its own status instead of 422
    (sign-in: 401 for a wrong password, 429 when throttled, which clients back off on).
    `prepare(data)` may adjust the parsed fields (e.g. local times) before validation.
    """
    if user is None and roles is not None:
        user = await require(request, *roles)
    if request.method == "POST":
        data = await form_dict(request, lists=lists)
        if drop_blank:
            data = {key: value for key, value in data.items() if value is not None}
        if prepare is not None:
            adjusted = prepare(data)
            data = (await adjusted if inspect.isawaitable(adjusted) else adjusted) or data
    else:
        data = dict(initial or {})
    extra = await _context(context, data)
    page = {"form": {**extra.pop("form", {}), **data}, "errors": {}, **extra}
    if request.method != "POST":
        return await render(request, template, page)
    body, errors = validate(schema, data)
    status_code = 422
    headers: dict[str, str] = {}
    if body is not None:
        try:
            result = await action(get_session(request), body, user)
        except (NotAuthenticated, Forbidden):
            raise
        except NotFound as exc:
            # A missing object the form named (an unknown need number) is a mistake in the
            # input; a missing object the URL named is a 404 page.
            if not exc.fields:
                raise
            errors, status_code = refusal_fields(exc), 422
        except DomainError as exc:
            errors, headers = refusal_fields(exc), exc.headers
            status_code = exc.status_code if keep_status else 422
    if errors:
        page["errors"] = errors
        return await render(
            request, template, page, status_code=status_code, block=block, headers=headers
        )
    answer = success(result)
    if inspect.isawaitable(answer):
        answer = await answer
    if isinstance(answer, Response):
        return answer
    return redirect(request, str(answer))


async def _context(context: Context | None, data: dict[str, Any]) -> dict[str, Any]:
    if context is None:
        return {}
    if callable(context):
        return dict(await context(data))
    return dict(context)
