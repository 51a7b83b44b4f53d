"""Forgotten passwords: ask for a one-time link, then choose a new password with it."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from core.accounts import service
from core.accounts.errors import ResetTokenInvalid
from core.accounts.schemas import PasswordResetAccepted, PasswordResetConfirm, PasswordResetRequest
from core.db import get_session
from core.forms import form_page
from core.i18n import _


async def _request_reset(request: Request, session: AsyncSession, email: str) -> None:
    # Mails per address are limited, so the form cannot flood an inbox; past the limit the
    # answer is the same, only no mail goes out.
    if await request.app.state.login_throttle.may_mail_reset(email):
        await service.request_reset(session, email, base_url=request.app.state.settings.base_url)


def _accepted() -> str:
    return _("If the address belongs to an account, a link to choose a new password is on its way.")


async def request_page(request: Request) -> Response:
    return await form_page(
        request,
        "accounts/password_reset.html",
        block="form",
        schema=PasswordResetRequest,
        action=lambda session, body, _user: _request_reset(request, session, body.email),
        success=lambda _none: request.url_for("accounts:password_reset").include_query_params(
            sent=1
        ),
        context={"sent": _accepted() if request.query_params.get("sent") else None},
    )


async def confirm_page(request: Request) -> Response:
    token = request.path_params["token"]

    async def link(_data: dict[str, Any]) -> dict[str, Any]:
        try:
            await service.reset_for_token(get_session(request), token)
        except ResetTokenInvalid as exc:
            return {"token": token, "invalid": exc.message}
        return {"token": token, "invalid": None}

    return await form_page(
        request,
        "accounts/password_reset_confirm.html",
        block="form",
        schema=PasswordResetConfirm,
        action=lambda session, body, _user: service.confirm_reset(
            session, body.token, body.password
        ),
        success=lambda _user: request.url_for("accounts:login").include_query_params(reset=1),
        context=link,
        prepare=lambda data: {**data, "token": token},
    )


async def api_request(request: Request, body: PasswordResetRequest) -> PasswordResetAccepted:
    """Mail a one-time link to choose a new password; the answer is the same for any address."""
    await _request_reset(request, get_session(request), body.email)
    return PasswordResetAccepted(message=_accepted())


async def api_confirm(request: Request, body: PasswordResetConfirm) -> Response:
    """Choose a new password with a reset link's token; every session and token is ended."""
    await service.confirm_reset(get_session(request), body.token, body.password)
    return Response(status_code=204)
