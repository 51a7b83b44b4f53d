"""Team profiles: kept by their members, searched by officials, shown to the public."""

from starlette.requests import Request
from starlette.responses import Response

from core.db import get_session
from core.models import User
from core.web import render
from preparedness.labels import CAPABILITIES
from preparedness.schemas import CapabilityOut, TeamProfile, TeamQuery
from preparedness.service import save_team, search_teams, team_record, team_view


async def save_api(request: Request, body: TeamProfile, user: User):
    """Keep the organization's team profile: capabilities, members, equipment, certifications."""
    return await save_team(get_session(request), request.path_params["id"], body, actor=user)


async def view_api(request: Request):
    """A team's profile."""
    return await team_view(get_session(request), request.path_params["id"])


async def capabilities_api(request: Request):
    """The fixed capability codes with their labels."""
    return [CapabilityOut(code=code, label=str(label)) for code, label in CAPABILITIES.items()]


async def search_api(request: Request, query: TeamQuery, user: User):
    """Teams with a current certification for the capability, nearest to the area first."""
    items = await search_teams(
        get_session(request),
        capability=query.capability,
        incident_id=query.incident_id,
        area_id=query.area_id,
        actor=user,
    )
    return {"items": items}


async def team_page(request: Request) -> Response:
    record = await team_record(get_session(request), request.path_params["id"])
    return await render(request, "preparedness/team.html", record)
