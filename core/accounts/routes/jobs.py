"""The administrator's failed background jobs: each with its error, and retrying one."""

from starlette.requests import Request
from starlette.responses import Response

from core import api, jobs
from core.accounts.routes.users import PAGE
from core.accounts.schemas import JobRetried
from core.auth import require
from core.db import get_session
from core.errors import NotFound
from core.i18n import _
from core.models import Role, User
from core.types import as_offset
from core.web import redirect, render


async def admin_jobs(request: Request) -> Response:
    await require(request, Role.admin)
    session = get_session(request)
    offset = as_offset(request.query_params.get("offset"))
    rows, total = await jobs.failed_jobs(session, limit=PAGE, offset=offset)
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "queue_depth": await jobs.queue_depth(session),
    }
    return await render(request, "accounts/admin_jobs.html", context, block="results")


async def _retry(request: Request, user: User) -> int:
    failed_id = request.path_params["id"]
    if not await jobs.retry_failed(get_session(request), failed_id, actor=user):
        raise NotFound(_("No failed job %(id)s is waiting to be retried.") % {"id": failed_id})
    return failed_id


async def admin_retry(request: Request) -> Response:
    user = await require(request, Role.admin)
    await _retry(request, user)
    return redirect(request, str(request.url_for("accounts:admin_jobs")))


async def api_failed_jobs(request: Request, query: api.Pagination) -> dict:
    """Failed background jobs not yet retried, newest first, with their errors."""
    rows, total = await jobs.failed_jobs(
        get_session(request), limit=query.limit, offset=query.offset
    )
    return api.page(rows, total)


async def api_retry(request: Request, user: User) -> JobRetried:
    """Queue a failed job again with its payload."""
    return JobRetried(id=await _retry(request, user))
