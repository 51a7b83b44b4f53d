"""Officials' management pages: incidents, their status and time zone, and their areas."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.db import get_session
from core.errors import DomainError
from core.forms import validate
from core.web import redirect
from recovery.routes.common import form_data, official
from recovery.routes.common import page as render
from recovery.schemas import AreaCreate, IncidentCreate, IncidentUpdate
from recovery.service import incidents as service
from recovery.service.lookup import get_incident

TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo", "UTC")


async def manage_incidents(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    context = {"errors": {}, "form": {"time_zone": "Asia/Shanghai", "status": "response"}}
    if request.method == "POST":
        data = await form_data(request)
        context["form"] = data
        body, errors = validate(IncidentCreate, data)
        if body is not None:
            incident = await service.create_incident(session, body, actor=user)
            await session.commit()
            return redirect(
                request, str(request.url_for("recovery:manage_incident", id=incident.id))
            )
        context["errors"] = errors
    incidents, total = await service.list_incidents(session, limit=200)
    context.update(incidents=incidents, total=total, time_zones=TIME_ZONES)
    status = 422 if context["errors"] else 200
    return await render(
        request, "recovery/manage_incidents.html", context, status_code=status, block="form"
    )


async def _incident_context(request: Request, incident_id: int) -> dict:
    session = get_session(request)
    incident = await get_incident(session, incident_id)
    return {
        "incident": incident,
        "areas": service.area_tree(await service.list_areas(session, incident_id)),
        "form": incident.model_dump(),
        "area_form": {},
        "errors": {},
        "area_errors": {},
        "time_zones": TIME_ZONES,
    }


async def manage_incident(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    incident_id = request.path_params["id"]
    context = await _incident_context(request, incident_id)
    if request.method == "GET":
        return await render(request, "recovery/manage_incident.html", context)
    data = await form_data(request)
    body, errors = validate(IncidentUpdate, data)
    if body is not None:
        await service.update_incident(session, incident_id, body, actor=user)
        await session.commit()
        context = await _incident_context(request, incident_id)
        context["saved"] = True
        return await render(request, "recovery/manage_incident.html", context, block="incident")
    context.update(form=data, errors=errors)
    return await render(
        request, "recovery/manage_incident.html", context, status_code=422, block="incident"
    )


async def area_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    incident_id = request.path_params["id"]
    context = await _incident_context(request, incident_id)
    data = await form_data(request)
    data["incident_id"] = incident_id
    body, errors = validate(AreaCreate, data)
    if body is not None:
        try:
            await service.create_area(session, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"name": exc.message}
    if errors:
        context.update(area_form=data, area_errors=errors)
        return await render(
            request, "recovery/manage_incident.html", context, status_code=422, block="areas"
        )
    await session.commit()
    if request.headers.get("HX-Request"):
        context = await _incident_context(request, incident_id)
        context["area_form"] = {"parent_id": data.get("parent_id")}
        return await render(request, "recovery/manage_incident.html", context, block="areas")
    return redirect(request, str(request.url_for("recovery:manage_incident", id=incident_id)))


routes = [
    Route(
        "/manage/incidents",
        manage_incidents,
        methods=["GET", "POST"],
        name="manage_incidents",
    ),
    Route(
        "/manage/incidents/{id:int}",
        manage_incident,
        methods=["GET", "POST"],
        name="manage_incident",
    ),
    Route(
        "/manage/incidents/{id:int}/areas",
        area_new,
        methods=["POST"],
        name="area_new",
    ),
]
