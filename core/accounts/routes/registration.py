"""Opening an account, as a browser form and over the API."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.accounts import service
from core.accounts.schemas import RegisterRequest, UserPublic
from core.auth import sign_in
from core.db import get_session
from core.forms import form_page
from core.models import Organization, User


def _with_consent(data: dict[str, Any]) -> dict[str, Any]:
    # An unticked checkbox is not submitted at all.
    return {**data, "contact_consent": bool(data.get("contact_consent"))}


async def register_page(request: Request) -> Response:
    async def signed_in(registered: tuple[User, Organization | None]):
        await sign_in(request, registered[0])
        return request.url_for("accounts:account")

    return await form_page(
        request,
        "accounts/register.html",
        block="form",
        schema=RegisterRequest,
        action=lambda session, body, _user: service.register(session, body),
        success=signed_in,
        initial={"role": request.query_params.get("role", "volunteer")},
        prepare=_with_consent,
    )


async def api_register(request: Request, body: RegisterRequest) -> UserPublic:
    """Create an account; officials and NGO members stay pending until their org is verified."""
    user, org = await service.register(get_session(request), body)
    return service.public_user(user, org)
