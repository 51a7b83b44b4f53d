"""The triage queue of help requests and officials' decisions on them: the page and the API."""

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.auth import require
from core.db import get_session
from core.errors import (
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    fields_from_validation,
)
from core.forms import form_dict, refusal_fields, validate
from core.i18n import _
from core.models import Role, User
from core.web import is_fragment_request, redirect, render
from recovery.service import CATEGORY_LABELS, area_choices, can_act, incident_choices
from residents.errors import HelpRequestNotFound
from residents.schemas import Convert, Merge, QueueQuery, Reject, TriageResult, Verify
from residents.service import convert, merge, queue, queue_item, reject, verify

TRIAGE = (Role.official, Role.ngo)


def _result(row) -> TriageResult:
    return TriageResult(
        id=row.id, status=row.status, need_id=row.need_id, duplicate_of_id=row.duplicate_of_id
    )


async def queue_api(request: Request, query: QueueQuery, user: User):
    """The incident's requests with their likely duplicates, oldest first."""
    items, total = await queue(get_session(request), user, **query.model_dump())
    return api.page(items, total)


async def verify_api(request: Request, body: Verify, user: User):
    """Verified, with a note of how (call-back, visit)."""
    row = await verify(get_session(request), request.path_params["id"], body.note, actor=user)
    return _result(row)


async def reject_api(request: Request, body: Reject, user: User):
    """Rejected, with a reason the requester sees."""
    row = await reject(get_session(request), request.path_params["id"], body.reason, actor=user)
    return _result(row)


async def merge_api(request: Request, body: Merge, user: User):
    """A duplicate, merged into another request."""
    row = await merge(get_session(request), request.path_params["id"], body.into_id, actor=user)
    return _result(row)


async def convert_api(request: Request, body: Convert, user: User):
    """Made into a need, or attached to one; the requester follows the need."""
    row = await convert(get_session(request), request.path_params["id"], body, actor=user)
    return _result(row)


ACTIONS = {"verify": (Verify, verify), "reject": (Reject, reject), "merge": (Merge, merge)}
TABS = ("received", "verified", "duplicate", "converted", "rejected", "closed", "expired")


def _queue_url(request: Request, item) -> str:
    back = request.query_params.get("status")
    url = request.url_for("residents:queue").include_query_params(incident_id=item.incident_id)
    return str(url.include_query_params(status=back) if back else url)


def _filters(request: Request, incident_id: int | None) -> QueueQuery:
    """The page's filters from its URL; a value that does not validate is dropped."""
    data = {k: v for k, v in request.query_params.items() if v and k in QueueQuery.model_fields}
    data["limit"] = 50
    if incident_id is not None:
        data["incident_id"] = incident_id
    try:
        return QueueQuery.model_validate(data)
    except ValidationError as exc:
        bad = fields_from_validation(exc)
        if "incident_id" in bad:
            raise NotFound(_("No such incident.")) from exc
        return QueueQuery.model_validate({k: v for k, v in data.items() if k not in bad})


async def _queue_context(request: Request, user: User, incident_id: int | None = None) -> dict:
    session = get_session(request)
    incidents = await incident_choices(session)
    query = _filters(request, incident_id)
    incident_id = query.incident_id
    items, total = await queue(session, user, **query.model_dump())
    areas = await area_choices(session, incident_id)
    return {
        "incidents": [(i.id, i.name) for i in incidents],
        "query": query,
        "items": items,
        "total": total,
        "tabs": TABS,
        "areas": areas,
        "area_names": {a.id: a.name for a, _depth in areas},
        "categories": list(CATEGORY_LABELS.items()),
        "can_decide": await can_act(session, user, incident_id),
        "errors_for": {},
    }


async def queue_page(request: Request) -> Response:
    """The triage queue: filters, likely duplicates, and the officials' decisions (htmx)."""
    user = await require(request, *TRIAGE)
    if "incident_id" not in request.query_params:
        incidents = await incident_choices(get_session(request))
        if incidents:
            url = request.url_for("residents:queue").include_query_params(
                incident_id=incidents[0].id
            )
            return redirect(request, str(url))
    context = await _queue_context(request, user)
    return await render(request, "residents/queue.html", context, block="queue")


async def decide_page(request: Request) -> Response:
    """One decision from the queue; under htmx the answer is the request's redrawn row."""
    user = await require(request, Role.official)
    action = request.url.path.rsplit("/", 1)[-1]
    session = get_session(request)
    data = await form_dict(request)
    schema, act = (Convert, None) if action == "convert" else ACTIONS[action]
    body, errors = validate(schema, data)
    request_id = request.path_params["id"]
    if body is not None:
        try:
            if action == "convert":
                await convert(session, request_id, body, actor=user)
            else:
                value = body.model_dump()
                await act(session, request_id, next(iter(value.values())), actor=user)
        except (NotAuthenticated, Forbidden, HelpRequestNotFound):
            raise
        except DomainError as exc:
            errors = refusal_fields(exc)
    item = await queue_item(session, user, request_id)
    if not errors and not is_fragment_request(request):
        return redirect(request, _queue_url(request, item))
    context = {
        "item": item,
        "errors_for": {item.id: {"action": action, **errors}},
        "form": data,
        "can_decide": True,
        "area_names": {a.id: a.name for a, _d in await area_choices(session, item.incident_id)},
        "query": QueueQuery(incident_id=item.incident_id),
    }
    if errors and not is_fragment_request(request):
        context = {**await _queue_context(request, user, item.incident_id), **context}
        context["errors_for"] = {item.id: {"action": action, **errors}}
    status = 422 if errors else 200
    return await render(request, "residents/queue.html", context, block="row", status_code=status)


def decision_routes() -> list[Route]:
    return [
        Route(
            f"/help-requests/{{id:int}}/{action}",
            decide_page,
            methods=["POST"],
            name=f"decide_{action}",
        )
        for action in (*ACTIONS, "convert")
    ]
