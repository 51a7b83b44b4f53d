"""Zones and deployments: requested by officials, answered and worked by the team."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.models import Role, User
from core.web import render
from preparedness.schemas import (
    CheckOut,
    DailyReportIn,
    DeploymentCreate,
    DeploymentQuery,
    Position,
    ZoneIn,
)
from preparedness.service import (
    accept,
    check_in,
    check_out,
    coordination,
    decline,
    file_report,
    list_deployments,
    request_deployment,
    set_zone,
)


async def zone_api(request: Request, body: ZoneIn, user: User):
    """Set how many teams the area admits at once."""
    return await set_zone(
        get_session(request), request.path_params["id"], body.max_teams, actor=user
    )


async def create_api(request: Request, body: DeploymentCreate, user: User):
    """Request a team for an area and capability; 409 when the zone is full."""
    deployment = await request_deployment(get_session(request), body, actor=user)
    return api.Answer(deployment, status_code=201)


async def list_api(request: Request, query: DeploymentQuery, user: User):
    """An incident's deployments."""
    items = await list_deployments(get_session(request), query.incident_id, actor=user)
    return api.page(items, len(items))


async def accept_api(request: Request, user: User):
    """The team accepts the request."""
    return await accept(get_session(request), request.path_params["id"], actor=user)


async def decline_api(request: Request, user: User):
    """The team declines the request."""
    return await decline(get_session(request), request.path_params["id"], actor=user)


async def check_in_api(request: Request, body: Position, user: User):
    """A team member checks in on site, with the position."""
    return await check_in(get_session(request), request.path_params["id"], body, actor=user)


async def check_out_api(request: Request, body: CheckOut, user: User):
    """A team member checks out."""
    return await check_out(get_session(request), request.path_params["id"], body, actor=user)


async def report_api(request: Request, body: DailyReportIn, user: User):
    """The day's report: work done, people helped, logistics needs (they become needs)."""
    report = await file_report(get_session(request), request.path_params["id"], body, actor=user)
    return api.Answer(report, status_code=201)


async def coordination_page(request: Request) -> Response:
    user = await require(request, Role.official)
    view = await coordination(get_session(request), request.path_params["id"], actor=user)
    return await render(request, "preparedness/coordination.html", view)
