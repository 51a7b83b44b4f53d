"""Public organization pages: who verified them and their track record on the platform."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import clock
from core.accounts.service import list_organizations
from core.db import get_session
from core.models import OrgStatus
from core.types import as_offset
from core.web import render
from recovery.service import organizations as service
from recovery.service.lookup import get_organization

PAGE_SIZE = 50


def _today(request: Request):
    """Today in the deployment's time zone: an organization works across incidents."""
    return clock.today(request.app.state.settings.time_zone)


async def organization(request: Request) -> Response:
    session = get_session(request)
    org = await get_organization(session, request.path_params["id"])
    today = _today(request)
    context = {
        "org": org,
        "verification": await service.verification(session, org),
        "record": await service.track_record(session, org.id, today),
        "work": await service.current_work(session, org.id, today),
        "led": await service.projects_led(session, org.id),
    }
    return await render(request, "recovery/public/organization.html", context)


async def organization_list(request: Request) -> Response:
    """Verified organizations (expired ones too, marked), with what they owe right now."""
    session = get_session(request)
    offset = as_offset(request.query_params.get("offset"))
    orgs, total = await list_organizations(
        session, status=OrgStatus.verified, limit=PAGE_SIZE, offset=offset
    )
    context = {
        "orgs": orgs,
        "total": total,
        "limit": PAGE_SIZE,
        "offset": offset,
        "now": clock.utcnow(),
        "overdue": await service.overdue_counts(session, [o.id for o in orgs], _today(request)),
    }
    return await render(request, "recovery/public/organizations.html", context)


routes = [
    Route("/organizations", organization_list, name="organizations"),
    Route("/organizations/{id:int}", organization, name="organization"),
]
