"""The supervision board: late, at-risk and blocked work by responsible organization, as a page
for officials and as an /api/v1 operation."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.db import get_session
from core.errors import InvalidInput
from core.i18n import _
from core.models import Role, User
from core.web import render
from recovery.schemas import SupervisionBoard, SupervisionQuery, from_query
from recovery.service import supervision as service
from recovery.service.access import acting_incident_ids, ensure_can_act, require_official
from recovery.service.incidents import incident_choices


async def _board(request: Request, incident_id: int | None) -> tuple[SupervisionBoard, User]:
    """Only the officials acting on an incident (its lead agency and the agencies it granted)
    see its board: another agency's incident answers 403, and the board of all incidents
    covers the caller's agency's own."""
    user = await require_official(request)
    session = get_session(request)
    if incident_id is not None:
        await ensure_can_act(session, user, incident_id)
        return await service.board(session, incident_id), user
    return await service.board(session, only=acting_incident_ids(user)), user


async def supervision_page(request: Request) -> Response:
    query, errors = from_query(SupervisionQuery, request.query_params)
    if errors:
        # A filter that does not parse must not fall back to every incident's board.
        await require_official(request)
        raise InvalidInput(
            _("Invalid input: %(fields)s") % {"fields": ", ".join(errors)}, fields=errors
        )
    board, user = await _board(request, query.incident_id)
    session = get_session(request)
    acting = set(await session.scalars(acting_incident_ids(user)))
    incidents = await incident_choices(session, include_exercises=True)
    context = {
        "board": board,
        "incidents": [incident for incident in incidents if incident.id in acting],
        "incident_id": query.incident_id,
    }
    return await render(request, "recovery/supervision.html", context, block="board")


async def supervision_board(request: Request, query: SupervisionQuery):
    """Overdue, at-risk and blocked work by responsible organization, with counts, for the
    officials acting on the incident (without one: every incident the caller's agency acts on)."""
    board, _user = await _board(request, query.incident_id)
    return board


routes = [Route("/supervision", supervision_page, name="supervision")]
api_routes = [
    api.ApiRoute(
        "/supervision",
        supervision_board,
        name="supervision",
        query=SupervisionQuery,
        response=SupervisionBoard,
        roles=(Role.official,),
        tags=["supervision"],
    )
]
