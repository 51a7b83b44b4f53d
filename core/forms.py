"""HTML form helpers: read a submitted form and validate it with the same models the API uses."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from core.errors import fields_from_validation

M = TypeVar("M", bound=BaseModel)


async def form_dict(request: Request, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
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


def validate(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """(the model, {}) or (None, {field: message}) for re-rendering the form with status 422."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, fields_from_validation(exc)
