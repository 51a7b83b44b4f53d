"""The volunteer's account: the certificate of hours, a download of their data, and deletion."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.auth import check_password_timing_safe, require, sign_out
from core.db import get_session
from core.errors import InvalidInput
from core.forms import form_page
from core.i18n import _
from core.models import Role, User
from volunteers.schemas import AccountDeletion
from volunteers.service import delete_account, export_data
from volunteers.service.certificate import certificate_for


async def certificate(request: Request) -> Response:
    """A PDF certificate of the volunteer's hours."""
    user = await require(request, Role.volunteer)
    tz = request.app.state.settings.time_zone
    pdf = await certificate_for(get_session(request), user, time_zone=tz)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="volunteer-hours.pdf"'},
    )


async def export(request: Request) -> Response:
    """Everything the platform holds about the volunteer, as JSON."""
    user = await require(request, Role.volunteer)
    data = await export_data(get_session(request), user)
    return JSONResponse(
        data, headers={"Content-Disposition": 'attachment; filename="my-volunteer-data.json"'}
    )


async def delete_page(request: Request) -> Response:
    """Deletion from the browser asks for the password once more."""

    async def delete(session, body: AccountDeletion, user: User) -> None:
        if not await check_password_timing_safe(user, body.password):
            raise InvalidInput(_("The password is not right."), fields={"password": _("not right")})
        await delete_account(session, user)

    async def signed_out(_result) -> str:
        await sign_out(request)
        return str(request.url_for("recovery:home"))

    return await form_page(
        request,
        "volunteers/delete.html",
        block="form",
        schema=AccountDeletion,
        roles=(Role.volunteer,),
        action=delete,
        success=signed_out,
    )


async def delete_me(request: Request, user: User) -> Response:
    """Delete the account: personal data erased, future sign-ups cancelled, hours kept."""
    await delete_account(get_session(request), user)
    return Response(status_code=204)
