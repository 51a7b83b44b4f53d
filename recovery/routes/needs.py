"""Need pages: the filterable list, each need's page with inline editing and history, logging."""

from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.db import get_session
from core.domain import gather
from core.errors import DomainError, fields_from_validation
from core.forms import validate
from core.web import redirect
from recovery.models import Category, NeedStatus, Priority
from recovery.routes.common import form_data, incident_choices, official, viewer_is_official
from recovery.routes.common import page as render
from recovery.schemas import NeedCreate, NeedQuery, NeedUpdate
from recovery.service import incidents as incident_service
from recovery.service import needs as need_service
from recovery.service.lookup import get_area, get_incident, get_need

PAGE_SIZE = 50


def _query(request: Request) -> tuple[NeedQuery, dict[str, str]]:
    """The list's filters from the URL; unknown values are ignored rather than failing."""
    params = {k: v for k, v in request.query_params.items() if v}
    params["limit"] = str(PAGE_SIZE)
    try:
        return NeedQuery.model_validate(params), {}
    except ValidationError as exc:
        errors = fields_from_validation(exc)
        kept = {k: v for k, v in params.items() if k not in errors}
        return NeedQuery.model_validate(kept), errors


def _filter_url(request: Request, query: NeedQuery) -> str:
    params = query.model_dump(exclude={"limit", "offset"}, exclude_none=True)
    base = str(request.url_for("recovery:needs"))
    return base + ("?" + urlencode(params) if params else "")


async def needs_page(request: Request) -> Response:
    session = get_session(request)
    query, errors = _query(request)
    rows, total = await need_service.list_needs(session, query)
    areas = []
    if query.incident_id is not None:
        areas = incident_service.area_tree(
            await incident_service.list_areas(session, query.incident_id)
        )
    incidents = await incident_choices(request)
    context = {
        "rows": rows,
        "total": total,
        # Each incident's own calendar day, to mark needs past their needed-by date.
        "today": {i.id: incident_service.incident_today(i) for i in incidents},
        "query": query,
        "errors": errors,
        "incidents": incidents,
        "areas": areas,
        "categories": list(Category),
        "priorities": list(Priority),
        "statuses": list(NeedStatus),
        "filter_url": _filter_url(request, query),
        "page_size": PAGE_SIZE,
        "can_edit": await viewer_is_official(request),
    }
    return await render(request, "recovery/needs.html", context, block="results")


async def _need_context(request: Request, need_id: int) -> dict:
    session = get_session(request)
    need = await get_need(session, need_id)
    incident = await get_incident(session, need.incident_id)
    area = await get_area(session, need.area_id) if need.area_id else None
    return {
        "need": need,
        "incident": incident,
        "area": area,
        "history": await need_service.need_history(session, need),
        "helpers": await gather("need.helpers", session, need.id),
        "can_edit": await viewer_is_official(request),
        "overdue": need.status in (NeedStatus.open, NeedStatus.partially_met)
        and need.needed_by < incident_service.incident_today(incident),
    }


async def need_page(request: Request) -> Response:
    context = await _need_context(request, request.path_params["id"])
    return await render(request, "recovery/need.html", context, block="details")


async def need_edit(request: Request) -> Response:
    """The inline edit form (htmx swaps it into the page) and its submission."""
    user = await official(request)
    session = get_session(request)
    need_id = request.path_params["id"]
    context = await _need_context(request, need_id)
    context["areas"] = incident_service.area_tree(
        await incident_service.list_areas(session, context["need"].incident_id)
    )
    context.update(categories=list(Category), priorities=list(Priority), editing=True)
    if request.method == "GET":
        context["form"] = context["need"].model_dump()
        context["errors"] = {}
        return await render(request, "recovery/need.html", context, block="details")
    data = await form_data(request)
    data.setdefault("area_id", None)
    context["form"] = data
    body, errors = validate(NeedUpdate, data)
    if body is not None:
        try:
            await need_service.update_need(session, need_id, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"form": exc.message}
    if errors:
        context["errors"] = errors
        return await render(
            request, "recovery/need.html", context, status_code=422, block="details"
        )
    await session.commit()
    if request.headers.get("HX-Request"):
        context = await _need_context(request, need_id)
        return await render(request, "recovery/need.html", context, block="details")
    return redirect(request, str(request.url_for("recovery:need", id=need_id)))


async def need_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    incidents = await incident_choices(request)
    data = await form_data(request) if request.method == "POST" else dict(request.query_params)
    incident_id = data.get("incident_id")
    if not incident_id and incidents:
        incident_id = incidents[0].id
    areas = []
    if incident_id and str(incident_id).isdigit():
        areas = incident_service.area_tree(
            await incident_service.list_areas(session, int(incident_id))
        )
    context = {
        "form": {"incident_id": incident_id, "priority": "medium", **data},
        "errors": {},
        "incidents": incidents,
        "areas": areas,
        "categories": list(Category),
        "priorities": list(Priority),
    }
    if request.method == "GET":
        return await render(request, "recovery/need_form.html", context)
    body, errors = validate(NeedCreate, data)
    if body is not None:
        try:
            need = await need_service.create_need(session, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"form": exc.message}
    if errors:
        context["errors"] = errors
        return await render(
            request, "recovery/need_form.html", context, status_code=422, block="form"
        )
    await session.commit()
    return redirect(request, str(request.url_for("recovery:need", id=need.id)))


routes = [
    Route("/needs", needs_page, name="needs"),
    Route("/needs/{id:int}", need_page, name="need"),
    Route("/needs/{id:int}/edit", need_edit, methods=["GET", "POST"], name="need_edit"),
    Route("/manage/needs/new", need_new, methods=["GET", "POST"], name="need_new"),
]
