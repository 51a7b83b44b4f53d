"""Organizations: the public list, and the administrator's verification, page and API."""

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from core import api
from core.accounts import service
from core.accounts.schemas import OrganizationQuery
from core.accounts.service import verification
from core.auth import current_user, require
from core.db import get_session
from core.errors import InvalidInput, NotFound
from core.forms import form_dict
from core.i18n import _
from core.models import Organization, Role, User
from core.web import is_fragment_request, render


async def _verify(request: Request, admin: User) -> Organization:
    return await service.verify_organization(
        get_session(request),
        request.path_params["id"],
        admin=admin,
        valid_days=request.app.state.settings.verification_valid_days,
        tell=True,
    )


async def admin_organizations(request: Request) -> Response:
    await require(request, Role.admin)
    status = request.query_params.get("status") or "pending"
    session = get_session(request)
    orgs, total = await service.list_organizations(session, status=status, limit=200)
    return await render(
        request,
        "accounts/admin_organizations.html",
        {
            "orgs": orgs,
            "total": total,
            "status": status,
            "details": await verification.details(session, orgs),
            "errors": {},
        },
    )


async def admin_verify(request: Request) -> Response:
    """Verify (or renew) or reject an organization (a reason is required): the row's buttons.
    A refusal comes back as the row with the message at its field (422)."""
    admin = await require(request, Role.admin)
    session = get_session(request)
    form = await form_dict(request)
    org_id = request.path_params["id"]
    errors: dict = {}
    try:
        if form.get("action") == "reject":
            org = await service.reject_organization(
                session, org_id, admin=admin, reason=form.get("reason"), tell=True
            )
        else:
            org = await _verify(request, admin)
    except InvalidInput as exc:
        if not is_fragment_request(request):
            raise
        org, errors = await service.get_organization(session, org_id), exc.fields
    if is_fragment_request(request):
        context = {
            "org": org,
            "details": await verification.details(session, [org]),
            "errors": errors,
            "reason": form.get("reason") or "",
        }
        return await render(
            request,
            "accounts/admin_organizations.html",
            context,
            block="org_row",
            status_code=422 if errors else 200,
        )
    return RedirectResponse(request.url_for("accounts:admin_organizations"), status_code=303)


async def admin_document(request: Request) -> Response:
    """One of an applicant's documents, for the administrator who checks it."""
    await require(request, Role.admin)
    doc = await verification.get_document(
        get_session(request), request.path_params["id"], request.path_params["doc_id"]
    )
    path = verification.document_path(request.app.state.settings, doc)
    if not path.is_file():
        raise NotFound(_("No such document."))
    return FileResponse(
        path,
        media_type=doc.content_type,
        filename=doc.filename,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


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
