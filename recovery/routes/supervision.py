"""The supervision board: late, at-risk and blocked work by responsible organization, as a page
for officials and as an /api/v1 operation."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.db import get_session
from core.models import Role
from core.web import render
from recovery.schemas import SupervisionBoard, SupervisionQuery, from_query
from recovery.service import supervision as service
from recovery.service.access import require_official
from recovery.service.incidents import incident_choices


async def supervision_page(request: Request) -> Response:
    await require_official(request)
    session = get_session(request)
    query, _errors = from_query(SupervisionQuery, request.query_params)
    context = {
        "board": await service.board(session, query.incident_id),
        "incidents": await incident_choices(session, include_exercises=True),
        "incident_id": query.incident_id,
    }
    return await render(request, "recovery/supervision.html", context, block="board")


async def supervision_board(request: Request, query: SupervisionQuery):
    """Overdue, at-risk and blocked work by responsible organization, with counts."""
    await require_official(request)
    return await service.board(get_session(request), query.incident_id)


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
