"""Incidents and their areas: the officials' management pages and the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.db import get_session
from core.forms import form_page
from core.models import Role
from core.web import render
from recovery.schemas import (
    AreaCreate,
    AreaPublic,
    AreaQuery,
    IncidentCreate,
    IncidentPublic,
    IncidentQuery,
    IncidentUpdate,
)
from recovery.service import incidents as service
from recovery.service.access import require_official
from recovery.service.lookup import get_incident

TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo", "UTC")
OFFICIALS = (Role.official,)


async def manage_incidents(request: Request) -> Response:
    """The incidents with the form that opens one."""
    user = await require_official(request)
    incidents, total = await service.list_incidents(get_session(request), limit=200)
    return await form_page(
        request,
        "recovery/manage_incidents.html",
        block="form",
        schema=IncidentCreate,
        user=user,
        drop_blank=True,
        initial={"time_zone": "Asia/Shanghai", "status": "response"},
        context={"incidents": incidents, "total": total, "time_zones": TIME_ZONES},
        action=lambda session, body, user: service.create_incident(session, body, actor=user),
        success=lambda incident: request.url_for("recovery:manage_incident", id=incident.id),
    )


async def _incident_page(request: Request, **extra) -> dict:
    """What the incident's management page shows besides the submitted form."""
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    return {
        "incident": incident,
        "incident_values": incident.model_dump(),
        "areas": service.area_tree(await service.list_areas(session, incident.id)),
        "time_zones": TIME_ZONES,
        **extra,
    }


async def manage_incident(request: Request) -> Response:
    """An incident's settings form and its areas; the form saves in place."""
    user = await require_official(request)
    page = await _incident_page(request)
    template = "recovery/manage_incident.html"

    async def saved(incident) -> Response:
        context = await _incident_page(request, saved=True)
        context |= {"form": context["incident_values"], "errors": {}}
        return await render(request, template, context, block="incident")

    return await form_page(
        request,
        template,
        block="incident",
        schema=IncidentUpdate,
        user=user,
        drop_blank=True,
        initial=page["incident_values"],
        context=page,
        action=lambda session, body, user: service.update_incident(
            session, page["incident"].id, body, actor=user
        ),
        success=saved,
    )


async def area_new(request: Request) -> Response:
    """Add an area to the incident's tree; under htmx the tree is redrawn in place."""
    user = await require_official(request)
    incident_id = request.path_params["id"]
    template = "recovery/manage_incident.html"

    async def added(area) -> Response | str:
        if not request.headers.get("HX-Request"):
            return str(request.url_for("recovery:manage_incident", id=incident_id))
        context = await _incident_page(request, active="area")
        context |= {"form": {"parent_id": area.parent_id}, "errors": {}}
        return await render(request, template, context, block="areas")

    return await form_page(
        request,
        template,
        block="areas",
        schema=AreaCreate,
        user=user,
        drop_blank=True,
        prepare=lambda data: data | {"incident_id": incident_id},
        context=await _incident_page(request, active="area"),
        action=lambda session, body, user: service.create_area(session, body, actor=user),
        success=added,
    )


async def create_incident(request: Request, body: IncidentCreate, user):
    """Open an incident (officials of a verified government organization)."""
    return await service.create_incident(get_session(request), body, actor=user)


async def list_incidents(request: Request, query: IncidentQuery):
    """Incidents, most recent first."""
    rows, total = await service.list_incidents(
        get_session(request), status=query.status, limit=query.limit, offset=query.offset
    )
    return api.page(rows, total)


async def get_incident_api(request: Request):
    """One incident."""
    return await get_incident(get_session(request), request.path_params["id"])


async def update_incident(request: Request, body: IncidentUpdate, user):
    """Change an incident's name, dates, description, status or time zone."""
    return await service.update_incident(
        get_session(request), request.path_params["id"], body, actor=user
    )


async def create_area(request: Request, body: AreaCreate, user):
    """Add an area; its level follows its parent (county → township → village)."""
    return await service.create_area(get_session(request), body, actor=user)


async def list_areas(request: Request, query: AreaQuery):
    """An incident's areas in hierarchy order."""
    session = get_session(request)
    await get_incident(session, query.incident_id)
    tree = service.area_tree(await service.list_areas(session, query.incident_id))
    ordered = [area for area, _depth in tree]
    return api.page(ordered[query.offset : query.offset + query.limit], len(ordered))


routes = [
    Route("/manage/incidents", manage_incidents, methods=["GET", "POST"], name="manage_incidents"),
    Route(
        "/manage/incidents/{id:int}",
        manage_incident,
        methods=["GET", "POST"],
        name="manage_incident",
    ),
    Route("/manage/incidents/{id:int}/areas", area_new, methods=["POST"], name="area_new"),
]
api_routes = [
    api.ApiRoute(
        "/incidents",
        create_incident,
        methods=["POST"],
        name="incident_create",
        body=IncidentCreate,
        response=IncidentPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["incidents"],
    ),
    api.ApiRoute(
        "/incidents",
        list_incidents,
        name="incidents",
        query=IncidentQuery,
        response=api.Page[IncidentPublic],
        tags=["incidents"],
    ),
    api.ApiRoute(
        "/incidents/{id:int}",
        get_incident_api,
        name="incident",
        response=IncidentPublic,
        tags=["incidents"],
    ),
    api.ApiRoute(
        "/incidents/{id:int}",
        update_incident,
        methods=["PATCH"],
        name="incident_update",
        body=IncidentUpdate,
        response=IncidentPublic,
        roles=OFFICIALS,
        tags=["incidents"],
    ),
    api.ApiRoute(
        "/areas",
        create_area,
        methods=["POST"],
        name="area_create",
        body=AreaCreate,
        response=AreaPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["areas"],
    ),
    api.ApiRoute(
        "/areas",
        list_areas,
        name="areas",
        query=AreaQuery,
        response=api.Page[AreaPublic],
        tags=["areas"],
    ),
]
