"""Matching runs: the officials' matching desk and the run operations of the API."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.auth import require
from core.db import get_session
from core.forms import form_dict
from core.models import Role, User
from core.web import render
from donations.schemas import RunCreate
from donations.service import incidents, matching


async def matching_desk(request: Request) -> Response:
    await require(request, Role.official)
    session = get_session(request)
    choices, incident_id = await incidents.choose(session, request.query_params.get("incident_id"))
    view = await matching.desk(session, incident_id)
    return await render(
        request,
        "donations/matching.html",
        {"incidents": choices, "incident_id": incident_id, **view},
    )


async def run_matching(request: Request) -> Response:
    """The desk's one button: run now for the incident on the page."""
    user = await require(request, Role.official)
    incident_id = incidents.as_id((await form_dict(request)).get("incident_id")) or 0
    await matching.run(get_session(request), incident_id=incident_id, actor=user)
    target = request.url_for("donations:matching").include_query_params(incident_id=incident_id)
    return RedirectResponse(target, status_code=303)


async def create_run(request: Request, body: RunCreate, user: User):
    """Match open offers to open needs of an incident; proposals wait for an official."""
    session = get_session(request)
    matching_run = await matching.run(session, incident_id=body.incident_id, actor=user)
    return await matching.run_report(session, matching_run.id)


async def get_run(request: Request):
    """A matching run with its proposals and unmet needs."""
    return await matching.run_report(get_session(request), request.path_params["id"])
