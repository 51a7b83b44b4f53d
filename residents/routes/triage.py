"""The triage queue of help requests and officials' decisions on them (API)."""

from starlette.requests import Request

from core import api
from core.db import get_session
from core.models import User
from residents.schemas import Convert, Merge, QueueQuery, Reject, TriageResult, Verify
from residents.service import convert, merge, queue, reject, verify


def _result(row) -> TriageResult:
    return TriageResult(
        id=row.id, status=row.status, need_id=row.need_id, duplicate_of_id=row.duplicate_of_id
    )


async def queue_api(request: Request, query: QueueQuery, user: User):
    """The incident's requests with their likely duplicates, oldest first."""
    items = await queue(
        get_session(request),
        user,
        incident_id=query.incident_id,
        status=query.status,
        limit=query.limit,
    )
    return api.page(items, len(items))


async def verify_api(request: Request, body: Verify, user: User):
    """Verified, with a note of how (call-back, visit)."""
    row = await verify(get_session(request), request.path_params["id"], body.note, actor=user)
    return _result(row)


async def reject_api(request: Request, body: Reject, user: User):
    """Rejected, with a reason the requester sees."""
    row = await reject(get_session(request), request.path_params["id"], body.reason, actor=user)
    return _result(row)


async def merge_api(request: Request, body: Merge, user: User):
    """A duplicate, merged into another request."""
    row = await merge(get_session(request), request.path_params["id"], body.into_id, actor=user)
    return _result(row)


async def convert_api(request: Request, body: Convert, user: User):
    """Made into a need, or attached to one; the requester follows the need."""
    row = await convert(get_session(request), request.path_params["id"], body, actor=user)
    return _result(row)
