"""The administrator's list of accounts, and deactivating or reactivating one."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.accounts import service
from core.auth import require
from core.db import get_session
from core.forms import form_dict
from core.models import Role
from core.types import as_offset
from core.web import is_fragment_request, render

PAGE = 50

# `browse(session, filter value or None, offset) -> (rows, total)`
Browse = Callable[[AsyncSession, str | None, int], Awaitable[tuple[list[Any], int]]]


def _offset(request: Request) -> int:
    return as_offset(request.query_params.get("offset"))


async def admin_list(request: Request, template: str, filter_name: str, browse: Browse) -> Response:
    """An administrator's filtered, paged list; under htmx only its `results` block."""
    await require(request, Role.admin)
    value = request.query_params.get(filter_name) or None
    offset = _offset(request)
    rows, total = await browse(get_session(request), value, offset)
    context = {"rows": rows, "total": total, filter_name: value or "", "offset": offset}
    return await render(request, template, context, block="results")


async def admin_users(request: Request) -> Response:
    return await admin_list(
        request,
        "accounts/admin_users.html",
        "q",
        lambda session, q, offset: service.list_users(session, q=q, limit=PAGE, offset=offset),
    )


async def admin_user_active(request: Request) -> Response:
    admin = await require(request, Role.admin)
    active = (await form_dict(request)).get("active") == "1"
    user, org = await service.set_user_active(
        get_session(request), request.path_params["id"], active=active, admin=admin
    )
    if is_fragment_request(request):
        return await render(
            request, "accounts/admin_users.html", {"u": user, "org": org}, block="user_row"
        )
    return RedirectResponse(request.url_for("accounts:admin_users"), status_code=303)
