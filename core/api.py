"""JSON API plumbing: routes that declare their models and roles, parsing, serializing, OpenAPI."""

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.convertors import IntegerConvertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from core.auth import require
from core.errors import DomainError, validation_error
from core.i18n import _
from core.types import Input, Offset, Output

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Page(Output, Generic[T]):
    items: list[T]
    total: int


class ErrorDetail(Output):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorBody(Output):
    error: ErrorDetail


def examples(*values: dict[str, Any], **config: Any) -> ConfigDict:
    """A request model's `model_config` with whole, valid example requests.

    The one way every domain declares examples: they land on the model's schema in
    `components/schemas` (JSON Schema `examples`), and a query model's are split into its
    parameters' named examples, so schemathesis's examples phase and a reader of
    /openapi.json see requests the API accepts. Values are fake (example.org, 138-0000-0000).
    `config` is the rest of the model's configuration.
    """
    return ConfigDict(**config, json_schema_extra={"examples": list(values)})


class Pagination(Input):
    """Query parameters every list takes; domain list queries subclass it."""

    model_config = examples({"limit": 20, "offset": 0})

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
        errors: Sequence[int] = (),
        headers: Mapping[str, str] | None = None,
        form: type[BaseModel] | None = None,
    ):
        self.body_model = body
        self.query_model = query
        self.response_model = response
        self.status_code = status_code
        self.summary = summary or (inspect.getdoc(endpoint) or "").split("\n")[0]
        self.roles = tuple(roles) if roles is not None else None
        self.tags = list(tags)
        self.content_type = content_type
        # Statuses beyond the ones the declaration implies (409 from a service, 429, ...),
        # and the request headers the handler reads: name -> description.
        self.errors = tuple(errors)
        self.header_params = dict(headers or {})
        # A multipart form (an upload) the handler reads itself; declared, not parsed here.
        self.form_model = form
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
_REF = "#/components/schemas/{model}"
# The middleware answers 413 for an oversized body on any method that may carry one.
_BODYLESS = {"GET", "HEAD", "OPTIONS"}
_STATUS_TEXT = {
    200: "Success",
    201: "Created",
    202: "Accepted",
    204: "Done; no content",
    400: "Malformed request",
    401: "Not signed in, or wrong credentials",
    403: "Forbidden",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Invalid input",
    429: "Too many attempts; try again later",
}


def _walk(routes: Sequence[BaseRoute], prefix: str = "") -> list[tuple[str, ApiRoute]]:
    found = []
    for route in routes:
        if isinstance(route, ApiRoute):
            found.append((prefix + _CONVERTOR.sub(r"{\1}", route.path), route))
        elif isinstance(route, Mount):
            found.extend(_walk(route.routes, prefix + route.path))
    return found


def _is_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)


def openapi_schema(routes: Sequence[BaseRoute], *, title: str, version: str) -> dict:
    """The OpenAPI 3.1 document, built from the same models that validate requests.

    Every model (bodies, queries, answers) goes through one `models_json_schema` call, so the
    models they nest are hoisted once into `components/schemas` and every `$ref` resolves.
    """
    api_routes = _walk(routes)
    models: list[tuple[Any, str]] = [(ErrorBody, "validation")]
    for _path, route in api_routes:
        for model, mode in (
            (route.body_model, "validation"),
            (route.query_model, "validation"),
            (route.form_model, "validation"),
            (route.response_model, "serialization"),
        ):
            if _is_model(model):
                models.append((model, mode))
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=_REF)
    components = defs.get("$defs", {})
    paths: dict[str, dict] = {}
    for path, route in api_routes:
        for method in sorted(route.methods or []):
            if method == "HEAD":
                continue
            op: dict[str, Any] = {
                "operationId": f"{method.lower()}_{route.name}",
                "summary": route.summary,
                "tags": route.tags,
                "parameters": _parameters(route, refs, components),
                "responses": _responses(route, method, refs),
                # Public operations say so: no credentials needed.
                "security": [] if route.roles is None else [{"bearer": []}, {"session": []}],
            }
            if route.roles is not None:
                op["x-roles"] = [str(role) for role in route.roles]
            if route.body_model is not None:
                schema = refs[(route.body_model, "validation")]
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                }
            elif route.form_model is not None:
                schema = refs[(route.form_model, "validation")]
                op["requestBody"] = {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": schema}},
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "commons_session"},
            },
        },
    }


def _component(refs: dict, components: dict, key: tuple[Any, str]) -> dict:
    return components[refs[key]["$ref"].rsplit("/", 1)[1]]


def _parameters(route: ApiRoute, refs: dict, components: dict) -> list[dict]:
    params = []
    for name, convertor in route.param_convertors.items():
        param = {"name": name, "in": "path", "required": True, "schema": _path_schema(convertor)}
        if isinstance(convertor, IntegerConvertor):
            # The first row of a table makes the example (the demo's incident, area, need ...).
            param["example"] = 1
        params.append(param)
    if route.query_model is not None:
        schema = _component(refs, components, (route.query_model, "validation"))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            param = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop if name in required else _absent_is_null(prop),
            }
            # The model's whole example queries, split by parameter; the same name on every
            # parameter keeps one example's values together in one request.
            named = {
                f"example{index}": {"value": example[name]}
                for index, example in enumerate(schema.get("examples", []), 1)
                if name in example
            }
            if named:
                param["examples"] = named
            params.append(param)
    for name, description in route.header_params.items():
        params.append(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
        )
    return params


def _path_schema(convertor: Any) -> dict:
    if isinstance(convertor, IntegerConvertor):
        # Ids are the databases' 32-bit integer keys.
        return {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {"type": "string"}


def _absent_is_null(prop: dict) -> dict:
    """A query string cannot say null: an optional parameter's null is its absence."""
    options = prop.get("anyOf")
    if not options or {"type": "null"} not in options:
        return prop
    rest = [option for option in options if option != {"type": "null"}]
    schema = {key: value for key, value in prop.items() if key != "anyOf"}
    schema |= rest[0] if len(rest) == 1 else {"anyOf": rest}
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    return schema


def error_statuses(route: ApiRoute, method: str) -> list[int]:
    """Every error status an operation may answer: implied by its declaration, plus `errors`."""
    codes = set(route.errors)
    if route.body_model is not None or route.form_model is not None:
        codes |= {400, 404, 422}
    if route.query_model is not None:
        codes.add(422)
        # A query naming an object (`incident_id`, ...) answers 404 when there is none.
        if any(name.endswith("_id") for name in route.query_model.model_fields):
            codes.add(404)
    if route.header_params:
        codes.add(400)
    if route.param_convertors:
        codes.add(404)
    if method not in _BODYLESS:
        codes.add(413)
    if route.roles is not None:
        codes |= {401, 403}
    return sorted(codes)


def _responses(route: ApiRoute, method: str, refs: dict) -> dict:
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(route.status_code, "Success")}
    if route.status_code != 204:
        if _is_model(route.response_model):
            schema = refs[(route.response_model, "serialization")]
        elif route.content_type == "application/json":
            schema = {}
        else:  # CSV, XML, iCalendar, PDF: a document, not JSON
            schema = {"type": "string"}
        success["content"] = {route.content_type: {"schema": schema}}
    responses: dict[str, Any] = {str(route.status_code): success}
    error = {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}}
    for code in error_statuses(route, method):
        responses[str(code)] = {"description": _STATUS_TEXT.get(code, "Error"), "content": error}
    return responses
