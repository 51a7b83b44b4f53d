"""The volunteer's account: the certificate of hours, a download of their data, and deletion."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import api
from core.auth import check_password_timing_safe, require, sign_out
from core.db import get_session
from core.errors import InvalidInput
from core.forms import form_page
from core.i18n import _
from core.models import Role, User
from core.web import render
from volunteers.schemas import AccountDeletion, CertificatePublic, CertificateRecord
from volunteers.service import delete_account, export_data
from volunteers.service.certificate import (
    certificate_lines,
    certificate_pdf,
    find_certificate,
    issue_certificate,
    shown_code,
)
from volunteers.service.profiles import hours


async def certificate(request: Request) -> Response:
    """A PDF certificate of the volunteer's service, with its verification code (409 while
    there are no attended hours)."""
    user = await require(request, Role.volunteer)
    # A GET's session only reads, and issuing writes: on SQLite a read transaction that then
    # writes fails ("database is locked") when any other write came in between, so the
    # certificate is issued in a write transaction of its own (BEGIN IMMEDIATE there).
    async with request.app.state.database.transaction() as session:
        issued = await issue_certificate(session, user)
    verify_url = str(request.url_for("volunteers:certificate_check", code=shown_code(issued.code)))
    pdf = certificate_pdf(
        issued,
        name=user.name,
        verify_url=verify_url,
        zone_name=request.app.state.settings.time_zone,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="volunteer-service-{issued.code}.pdf"'
        },
    )


async def certificate_check_page(request: Request) -> Response:
    """Anyone holding a certificate checks it: what the paper says, nothing more."""
    found = await find_certificate(get_session(request), request.path_params["code"])
    return await render(
        request,
        "volunteers/certificate.html",
        {
            "certificate": found,
            "code": shown_code(found.code),
            "lines": certificate_lines(found),
            "total_hours": hours(found.total_minutes),
        },
    )


async def certificate_check(request: Request) -> Response:
    found = await find_certificate(get_session(request), request.path_params["code"])
    return api.ok(
        CertificatePublic(
            code=shown_code(found.code),
            holder=found.holder,
            issued_at=found.issued_at,
            hours=hours(found.total_minutes),
            records=[
                CertificateRecord(
                    date=line.day,
                    shift=line.shift,
                    location=line.location,
                    organization=line.organization,
                    hours=hours(line.minutes),
                )
                for line in certificate_lines(found)
            ],
        )
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
