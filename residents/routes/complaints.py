"""Complaints and feedback: filed by anyone, followed by link, resolved by the responsible."""

from starlette.requests import Request

from core import api
from core.db import get_session
from core.models import User
from residents.schemas import ComplaintCreate, ComplaintQuery, ComplaintReceipt
from residents.service import (
    accountability,
    complaint_view,
    file_complaint,
    list_complaints,
    resolve,
)


async def create_api(request: Request, body: ComplaintCreate):
    """File a complaint, anonymously if you wish; answers a private follow-up link."""
    complaint, token = await file_complaint(get_session(request), body)
    url = str(request.url_for("api:complaint_track", token=token))
    return api.Answer(ComplaintReceipt(id=complaint.id, follow_up_url=url), status_code=201)


async def list_api(request: Request, query: ComplaintQuery, user: User):
    """An incident's complaints, soonest due first, with who answers for each."""
    items = await list_complaints(get_session(request), user, query.incident_id)
    return api.page(items, len(items))


async def resolve_api(request: Request, body, user: User):
    """Resolve: the complainant sees the resolution by the follow-up link."""
    return await resolve(
        get_session(request), request.path_params["id"], body.resolution, actor=user
    )


async def track_api(request: Request):
    """The complaint's status and resolution, for the complainant."""
    return await complaint_view(get_session(request), request.path_params["token"])


async def accountability_api(request: Request):
    """An organization's complaints received, resolved in time and late, and open: counts."""
    return await accountability(get_session(request), request.path_params["id"])
