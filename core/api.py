"""JSON API plumbing: routes that declare their models and roles, parsing, serializing, OpenAPI."""

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from core.auth import require
from core.errors import DomainError, validation_error
from core.i18n import _
from core.types import Input, Offset

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorBody(BaseModel):
    error: ErrorDetail


class Pagination(Input):
    """Query parameters every list takes; domain list queries subclass it."""

    limit: int = Field(50, ge=1, le=500)
    offset: Offset = 0


Handler = Callable[..., Awaitable[Any]]


@dataclass
class Answer:
    """A handler's result when it needs another status or extra headers than the route's."""

    data: Any
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiRoute(Route):
    """A JSON operation that declares its body, query, response model and roles.

    The route parses and validates the body and query, enforces `roles` (None: public; an
    empty tuple: anyone signed in) and hands the handler `user`, then serializes what the
    handler returns with the response model, so the OpenAPI document, the check and the
    answer are the same declaration. A handler may still return a Response (files, feeds).
    """

    def __init__(
        self,
        path: str,
        endpoint: Handler,
        *,
        methods: Sequence[str] = ("GET",),
        name: str | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status_code: int = 200,
        summary: str | None = None,
        roles: Sequence[str] | None = None,
        verified: bool = True,
        tags: Sequence[str] = (),
        content_type: str = "application/json",
    ):
        self.body_model = body
        self.query_model = query
        self.response_model = response
        self.status_code = status_code
        self.summary = summary or (inspect.getdoc(endpoint) or "").split("\n")[0]
        self.roles = tuple(roles) if roles is not None else None
        self.tags = list(tags)
        self.content_type = content_type
        handler = endpoint
        wants_user = "user" in inspect.signature(endpoint).parameters

        async def wrapped(request: Request) -> Response:
            kwargs: dict[str, Any] = {}
            if self.roles is not None:
                user = await require(request, *self.roles, verified=verified)
                if wants_user:
                    kwargs["user"] = user
            if body is not None:
                kwargs["body"] = await parse_body(request, body)
            if query is not None:
                kwargs["query"] = parse_query(request, query)
            result = await handler(request, **kwargs)
            if isinstance(result, Response):
                return result
            answer = result if isinstance(result, Answer) else Answer(result)
            return JSONResponse(
                serialize(response, answer.data),
                status_code=answer.status_code or status_code,
                headers=answer.headers or None,
            )

        wrapped.__name__ = endpoint.__name__
        wrapped.__doc__ = endpoint.__doc__
        super().__init__(path, wrapped, methods=list(methods), name=name)


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def serialize(model: Any, data: Any) -> Any:
    """JSON-ready data: validated through `model` (ORM rows read by attribute) when declared."""
    if model is None:
        return _dump(data)
    adapter = _adapter(model)
    return adapter.dump_python(adapter.validate_python(data, from_attributes=True), mode="json")


# No request model nests deeper than a few levels; json.loads recurses once per level.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `raw` nest deeper than `limit` (brackets inside strings
    do not count); stops at the first level too deep."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


async def parse_body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    if not raw:
        raise DomainError("A JSON body is required", 400, "malformed_json", {"body": "empty"})
    if json_depth_exceeds(raw):
        raise DomainError(
            _("The body nests arrays or objects more than %(limit)s deep.")
            % {"limit": MAX_JSON_DEPTH},
            400,
            "malformed_json",
            {"body": _("nested too deeply")},
        )
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DomainError(
            f"The body is not valid JSON: {exc}", 400, "malformed_json", {"body": "invalid JSON"}
        ) from exc
    if not isinstance(data, dict):
        raise DomainError(
            "The body must be a JSON object", 400, "malformed_json", {"body": "not an object"}
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def parse_query(request: Request, model: type[M]) -> M:
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def ok(data: Any, status_code: int = 200) -> JSONResponse:
    """Serialize pydantic models (or lists of them) the way the API always does."""
    return JSONResponse(_dump(data), status_code=status_code)


def _dump(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_dump(item) for item in data]
    if isinstance(data, dict):
        return {key: _dump(value) for key, value in data.items()}
    return data


def page(items: Sequence[Any], total: int) -> dict[str, Any]:
    """A page of a list, for a route whose response is `Page[Model]`."""
    return {"items": list(items), "total": total}


_CONVERTOR = re.compile(r"{(\w+):\w+}")


def _walk(routes: Sequence[BaseRoute], prefix: str = "") -> list[tuple[str, ApiRoute]]:
    found = []
    for route in routes:
        if isinstance(route, ApiRoute):
            found.append((prefix + _CONVERTOR.sub(r"{\1}", route.path), route))
        elif isinstance(route, Mount):
            found.extend(_walk(route.routes, prefix + route.path))
    return found


def openapi_schema(routes: Sequence[BaseRoute], *, title: str, version: str) -> dict:
    """The OpenAPI 3.1 document, built from the same models that validate requests."""
    api_routes = _walk(routes)
    models: list[tuple[Any, str]] = [(ErrorBody, "validation")]
    for _path, route in api_routes:
        for model, mode in (
            (route.body_model, "validation"),
            (route.response_model, "serialization"),
        ):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models.append((model, mode))
    unique = list(dict.fromkeys(models))
    refs, defs = models_json_schema(unique, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for path, route in api_routes:
        for method in sorted(route.methods or []):
            if method == "HEAD":
                continue
            op: dict[str, Any] = {
                "operationId": f"{method.lower()}_{route.name}",
                "summary": route.summary,
                "tags": route.tags,
                "parameters": _parameters(route),
                "responses": _responses(route, refs),
            }
            if route.roles is not None:
                op["security"] = [{"bearer": []}, {"session": []}]
                op["x-roles"] = list(route.roles)
            if route.body_model is not None:
                schema = refs[(route.body_model, "validation")]
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "commons_session"},
            },
        },
    }


def _parameters(route: ApiRoute) -> list[dict]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
        for name in route.param_convertors
    ]
    if route.query_model is not None:
        schema = route.query_model.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _responses(route: ApiRoute, refs: dict) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    responses: dict[str, Any] = {}
    model = route.response_model
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = refs[(model, "serialization")]
        responses[str(route.status_code)] = {
            "description": "Success",
            "content": {route.content_type: {"schema": schema}},
        }
    else:
        responses[str(route.status_code)] = {
            "description": "Success",
            "content": {route.content_type: {"schema": {}}},
        }
    for code, text in (
        ("400", "Bad request"),
        ("401", "Not signed in"),
        ("403", "Forbidden"),
        ("404", "Not found"),
        ("422", "Invalid input"),
    ):
        responses[code] = {"description": text, "content": error}
    return responses
