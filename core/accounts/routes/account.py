"""The signed-in person's own page, and the language every page and mail is shown in."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.accounts import service
from core.accounts.routes.sessions import safe_next
from core.accounts.schemas import TimeZoneChoice
from core.accounts.service import verification
from core.auth import current_user, require, user_organization
from core.dates import zone_names
from core.db import get_session
from core.errors import Forbidden, InvalidInput
from core.forms import form_dict, form_page
from core.i18n import _
from core.models import Role
from core.web import is_fragment_request, render


async def account_page(request: Request) -> Response:
    user = await require(request, verified=False)
    org = await user_organization(request, user)
    status = service.user_status(user, org)
    if status == "pending":
        return await render(request, "accounts/verification.html", await _pending(request, org))
    return await render(request, "accounts/account.html", {**_zone_form(request, user), "org": org})


def _zone_form(request: Request, user) -> dict:
    return {
        "zones": [(name, name) for name in zone_names()],
        "default_zone": request.app.state.settings.time_zone,
        "form": {"time_zone": user.time_zone or request.app.state.settings.time_zone},
        "errors": {},
    }


async def set_time_zone(request: Request) -> Response:
    """The account's time zone, chosen from every zone the IANA database names."""
    user = await require(request, verified=False)
    org = await user_organization(request, user)
    extra = _zone_form(request, user)
    extra.pop("form")
    return await form_page(
        request,
        "accounts/account.html",
        block="time_zone",
        schema=TimeZoneChoice,
        user=user,
        context={**extra, "org": org},
        action=lambda session, body, user: service.set_time_zone(session, user, body.time_zone),
        success=lambda _user: request.url_for("accounts:account"),
    )


async def set_language(request: Request) -> Response:
    data = await form_dict(request)
    locale = data.get("locale") or ""
    if await service.set_locale(get_session(request), await current_user(request), locale):
        request.session["locale"] = locale
    target = safe_next(data.get("next"), str(request.url_for("recovery:home")))
    return RedirectResponse(target, status_code=303)


async def _pending(request: Request, org, **extra) -> dict:
    documents = await verification.documents(get_session(request), org.id) if org else []
    settings = request.app.state.settings
    return {
        "org": org,
        "documents": documents,
        "max_mb": settings.organization_document_max_bytes // (1024 * 1024),
        "max_documents": verification.MAX_DOCUMENTS,
        "form": {"registration_number": org.registration_number if org else ""},
        "errors": {},
        "saved": False,
        **extra,
    }


async def organization_details(request: Request) -> Response:
    """A waiting organization's registration number and documents, from any of its members."""
    user = await require(request, Role.official, Role.ngo, verified=False)
    org = await user_organization(request, user)
    if org is None or org.is_verified():
        raise Forbidden(_("Only an organization waiting for verification gives these details."))
    session = get_session(request)
    async with request.form(max_part_size=request.app.state.settings.max_upload_bytes) as form:
        try:
            await verification.give_details(
                session,
                request.app.state.settings,
                org,
                registration_number=form.get("registration_number"),
                upload=form.get("document"),
                actor=user,
            )
        except InvalidInput as exc:
            context = await _pending(
                request,
                org,
                errors=exc.fields,
                form={"registration_number": form.get("registration_number") or ""},
            )
            return await render(
                request, "accounts/verification.html", context, block="details", status_code=422
            )
    return await render(
        request,
        "accounts/verification.html",
        await _pending(request, org, saved=True),
        block="details" if is_fragment_request(request) else None,
    )
