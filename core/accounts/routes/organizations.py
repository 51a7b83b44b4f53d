"""Organizations: the public list, and the administrator's verification, page and API."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import api
from core.accounts import service
from core.accounts.schemas import OrganizationQuery
from core.auth import current_user, require
from core.db import get_session
from core.forms import form_dict
from core.models import Organization, Role, User
from core.web import is_fragment_request, render


async def _verify(request: Request, admin: User) -> Organization:
    return await service.verify_organization(
        get_session(request),
        request.path_params["id"],
        admin=admin,
        valid_days=request.app.state.settings.verification_valid_days,
    )


async def admin_organizations(request: Request) -> Response:
    await require(request, Role.admin)
    status = request.query_params.get("status") or "pending"
    orgs, total = await service.list_organizations(get_session(request), status=status, limit=200)
    return await render(
        request,
        "accounts/admin_organizations.html",
        {"orgs": orgs, "total": total, "status": status},
    )


async def admin_verify(request: Request) -> Response:
    """Verify (or renew) or reject an organization: one of the row's two buttons."""
    admin = await require(request, Role.admin)
    if (await form_dict(request)).get("action") == "reject":
        org = await service.reject_organization(
            get_session(request), request.path_params["id"], admin=admin
        )
    else:
        org = await _verify(request, admin)
    if is_fragment_request(request):
        return await render(
            request, "accounts/admin_organizations.html", {"org": org}, block="org_row"
        )
    return RedirectResponse(request.url_for("accounts:admin_organizations"), status_code=303)


async def api_organizations(request: Request, query: OrganizationQuery) -> dict:
    """Organizations; the public sees verified ones, an admin may ask for any status."""
    orgs, total = await service.browse_organizations(
        get_session(request),
        await current_user(request),
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    return api.page(orgs, total)


async def api_verify(request: Request, user: User) -> Organization:
    """Verify an organization, so its officials or members may act."""
    return await _verify(request, user)
