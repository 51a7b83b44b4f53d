"""An area's own page for officials: its name, position and outline, and the API to change them."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.db import get_session
from core.forms import form_page
from core.models import Role
from recovery.schemas import AreaPublic, AreaUpdate
from recovery.service import incidents as service
from recovery.service.access import ensure_can_act, require_official
from recovery.service.lookup import get_area, get_incident

OFFICIALS = (Role.official,)


def _values(area) -> dict:
    return {"name": area.name, "lat": area.lat, "lon": area.lon, "outline": area.outline or ""}


async def area_edit(request: Request) -> Response:
    """Edit an area; the outline is GeoJSON pasted (or drawn) into a text box."""
    user = await require_official(request)
    session = get_session(request)
    area = await get_area(session, request.path_params["id"])
    await ensure_can_act(session, user, area.incident_id)
    incident = await get_incident(session, area.incident_id)

    def prepare(data: dict) -> dict:
        # A cleared box clears the outline; the form always sends the field.
        return data | {"outline": data.get("outline") or None}

    return await form_page(
        request,
        "recovery/area_form.html",
        block="form",
        schema=AreaUpdate,
        user=user,
        prepare=prepare,
        initial=_values(area),
        context={"area": area, "incident": incident},
        action=lambda session, body, user: service.update_area(session, area.id, body, actor=user),
        success=lambda _area: request.url_for("recovery:manage_incident", id=incident.id),
    )


async def update_area(request: Request, body: AreaUpdate, user):
    """Change an area's name, position or outline; what is not sent stays, `outline: null`
    removes the outline."""
    return await service.update_area(
        get_session(request), request.path_params["id"], body, actor=user
    )


async def get_area_public(request: Request):
    """One area, with its outline."""
    return await get_area(get_session(request), request.path_params["id"])


routes = [
    Route("/manage/areas/{id:int}", area_edit, methods=["GET", "POST"], name="area_edit"),
]
api_routes = [
    api.ApiRoute(
        "/areas/{id:int}",
        update_area,
        methods=["PATCH"],
        name="area_update",
        body=AreaUpdate,
        response=AreaPublic,
        roles=OFFICIALS,
        tags=["areas"],
    ),
    api.ApiRoute(
        "/areas/{id:int}",
        get_area_public,
        name="area",
        response=AreaPublic,
        tags=["areas"],
    ),
]
