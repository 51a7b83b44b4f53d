"""Incidents and their areas: the officials' management pages and the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.auth import current_user, require
from core.dates import format_day, zone_names
from core.db import get_session
from core.forms import form_page
from core.i18n import _
from core.models import Role
from core.web import redirect, render
from recovery.errors import LikelyDuplicate
from recovery.schemas import (
    AgencyGrant,
    AreaAgency,
    AreaCreate,
    AreaPublic,
    AreaQuery,
    IncidentAgencyPublic,
    IncidentCreate,
    IncidentPublic,
    IncidentQuery,
    IncidentUpdate,
)
from recovery.service import agencies
from recovery.service import incidents as service
from recovery.service.access import ensure_can_act, require_official
from recovery.service.lookup import get_incident

TIME_ZONES = zone_names()
OFFICIALS = (Role.official,)


async def manage_incidents(request: Request) -> Response:
    """The incidents with the form that opens one."""
    user = await require_official(request)
    incidents, total = await service.list_incidents(
        get_session(request), include_exercises=True, limit=200
    )
    confirmed = {"yes": False}

    def prepare(data: dict) -> dict:
        confirmed["yes"] = bool(data.pop("confirm_duplicate", None))
        return data

    async def create(session, body: IncidentCreate, user):
        if not confirmed["yes"] and await service.likely_duplicates(session, body):
            raise LikelyDuplicate(
                _("An incident named “%(name)s” that started on %(date)s is already open.")
                % {"name": body.name, "date": format_day(body.started_on)},
                fields={"confirm_duplicate": _("Tick this box if it is a different incident.")},
            )
        return await service.create_incident(session, body, actor=user)

    return await form_page(
        request,
        "recovery/manage_incidents.html",
        block="form",
        schema=IncidentCreate,
        user=user,
        drop_blank=True,
        prepare=prepare,
        initial={"time_zone": "Asia/Shanghai", "status": "response"},
        context={"incidents": incidents, "total": total, "time_zones": TIME_ZONES},
        action=create,
        success=lambda incident: request.url_for("recovery:manage_incident", id=incident.id),
    )


async def _incident_page(request: Request, **extra) -> dict:
    """What the incident's management page shows besides the submitted form."""
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    can_grant = await agencies.can_grant(session, await current_user(request), incident)
    grantable = await agencies.grantable_agencies(session, incident.id) if can_grant else []
    answerable = await service.answerable_agencies(session)
    return {
        "incident": incident,
        "incident_values": incident.model_dump(),
        "answerable": [(org.id, org.name) for org in answerable],
        "agency_names": {org.id: org.name for org in answerable},
        "areas": service.area_tree(await service.list_areas(session, incident.id)),
        "agencies": await agencies.incident_agencies(session, incident.id),
        "can_grant": can_grant,
        "grantable": [(org.id, org.name) for org in grantable],
        "time_zones": TIME_ZONES,
        **extra,
    }


async def manage_incident(request: Request) -> Response:
    """An incident's settings form, its areas and its agencies; the form saves in place."""
    user = await require_official(request)
    await ensure_can_act(get_session(request), user, request.path_params["id"])
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
    # Refused before the form is read: a re-rendered form would show the incident's page.
    await ensure_can_act(get_session(request), user, incident_id)
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


async def agency_new(request: Request) -> Response:
    """Let another government agency act on the incident (officials of the lead agency)."""
    user = await require_official(request)
    incident_id = request.path_params["id"]
    await ensure_can_act(get_session(request), user, incident_id)
    template = "recovery/manage_incident.html"

    async def granted(_agency) -> Response | str:
        if not request.headers.get("HX-Request"):
            return str(request.url_for("recovery:manage_incident", id=incident_id))
        context = await _incident_page(request, active="agency", granted=True)
        return await render(
            request, template, context | {"form": {}, "errors": {}}, block="agencies"
        )

    return await form_page(
        request,
        template,
        block="agencies",
        schema=AgencyGrant,
        user=user,
        drop_blank=True,
        context=lambda _data: _incident_page(request, active="agency"),
        action=lambda session, body, user: agencies.grant_agency(
            session, incident_id, body.organization_id, actor=user
        ),
        success=granted,
    )


async def agency_revoke(request: Request) -> Response:
    """End a granted agency's right to act on the incident (officials of the lead agency)."""
    user = await require(request, Role.official, Role.admin)
    incident_id = request.path_params["id"]
    await agencies.revoke_agency(
        get_session(request), incident_id, request.path_params["org_id"], actor=user
    )
    if not request.headers.get("HX-Request"):
        return redirect(request, str(request.url_for("recovery:manage_incident", id=incident_id)))
    context = await _incident_page(request, revoked=True)
    return await render(
        request,
        "recovery/manage_incident.html",
        context | {"form": {}, "errors": {}},
        block="agencies",
    )


async def create_incident(request: Request, body: IncidentCreate, user):
    """Open an incident (officials of a verified government organization)."""
    return await service.create_incident(get_session(request), body, actor=user)


async def list_incidents(request: Request, query: IncidentQuery):
    """Incidents, most recent first."""
    rows, total = await service.list_incidents(
        get_session(request),
        status=query.status,
        include_exercises=query.include_exercises,
        limit=query.limit,
        offset=query.offset,
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


async def grant_agency(request: Request, body: AgencyGrant, user):
    """Let a verified government agency act on the incident besides its lead agency."""
    return await agencies.grant_agency(
        get_session(request), request.path_params["id"], body.organization_id, actor=user
    )


async def revoke_agency(request: Request, user) -> Response:
    """End a granted agency's right to act on the incident; the lead agency stays (409)."""
    await agencies.revoke_agency(
        get_session(request),
        request.path_params["id"],
        request.path_params["org_id"],
        actor=user,
    )
    return Response(status_code=204)


async def list_agencies(request: Request):
    """The agencies acting on an incident: the lead agency first, then those it granted."""
    rows = await agencies.incident_agencies(get_session(request), request.path_params["id"])
    return api.page(rows, len(rows))


async def create_area(request: Request, body: AreaCreate, user):
    """Add an area; its level follows its parent (county → township → village)."""
    return await service.create_area(get_session(request), body, actor=user)


async def set_area_agency(request: Request, body: AreaAgency, user):
    """Name the government agency answerable for the area: overdue work there escalates to it."""
    return await service.set_area_agency(
        get_session(request), request.path_params["id"], body.organization_id, actor=user
    )


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
    Route("/manage/incidents/{id:int}/agencies", agency_new, methods=["POST"], name="agency_new"),
    Route(
        "/manage/incidents/{id:int}/agencies/{org_id:int}/revoke",
        agency_revoke,
        methods=["POST"],
        name="agency_revoke",
    ),
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
        "/incidents/{id:int}/agencies",
        grant_agency,
        methods=["POST"],
        name="incident_agency_grant",
        body=AgencyGrant,
        response=IncidentAgencyPublic,
        status_code=201,
        roles=(Role.official, Role.admin),
        tags=["incidents"],
    ),
    api.ApiRoute(
        "/incidents/{id:int}/agencies/{org_id:int}",
        revoke_agency,
        methods=["DELETE"],
        name="incident_agency_revoke",
        status_code=204,
        roles=(Role.official, Role.admin),
        tags=["incidents"],
        errors=(409,),
    ),
    api.ApiRoute(
        "/incidents/{id:int}/agencies",
        list_agencies,
        name="incident_agencies",
        response=api.Page[IncidentAgencyPublic],
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
    api.ApiRoute(
        "/areas/{id:int}/agency",
        set_area_agency,
        methods=["PUT"],
        name="area_agency",
        body=AreaAgency,
        response=AreaPublic,
        roles=OFFICIALS,
        tags=["areas"],
    ),
]
