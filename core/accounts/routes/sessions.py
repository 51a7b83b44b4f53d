"""Signing in and out in the browser, bearer tokens for the API, and who is signed in."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.accounts import service
from core.accounts.errors import BadCredentials
from core.accounts.schemas import TokenRequest, TokenResponse, UserPublic
from core.auth import client_address, sign_in, sign_out, user_organization
from core.db import get_session
from core.forms import form_dict, form_page
from core.models import User


def safe_next(value: str | None, default: str) -> str:
    # Only same-site paths, so a form's `next` cannot be used as an open redirect.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return default


async def _authenticate(request: Request, email: str, password: str) -> User:
    """The account, counting failures per account and address (per address for an email that
    is no account's) against the throttle."""
    throttle = request.app.state.login_throttle
    address = client_address(request)
    session = get_session(request)
    known = await service.find_user(session, email) is not None
    await throttle.check(email, address, known=known)
    try:
        user = await service.authenticate(session, email, password)
    except BadCredentials:
        await throttle.failed(email, address, known=known)
        raise
    await throttle.succeeded(email, address)
    return user


async def login_page(request: Request) -> Response:
    query = request.query_params
    data = await form_dict(request) if request.method == "POST" else {}
    next_path = data.get("next") or query.get("next")

    async def signed_in(user: User) -> str:
        await sign_in(request, user)
        # Each role lands on its work for the day (the page says what waits for it).
        return safe_next(next_path, str(request.url_for("recovery:my_home")))

    return await form_page(
        request,
        "accounts/login.html",
        block="form",
        schema=TokenRequest,
        action=lambda session, body, _user: _authenticate(request, body.email, body.password),
        success=signed_in,
        context={"next": next_path, "reset": query.get("reset")},
        keep_status=True,
    )


async def logout(request: Request) -> Response:
    await sign_out(request)
    return RedirectResponse(request.url_for("recovery:home"), status_code=303)


async def api_token(request: Request, body: TokenRequest) -> TokenResponse:
    """Exchange email and password for a bearer token."""
    user = await _authenticate(request, body.email, body.password)
    return TokenResponse(access_token=await service.issue_token(get_session(request), user))


async def api_revoke_token(request: Request, user: User) -> Response:
    """Revoke the bearer token this request was made with."""
    token_id = request.scope.get("commons.token_id")
    await service.revoke_token(get_session(request), user, token_id)
    return Response(status_code=204)


async def api_me(request: Request, user: User) -> UserPublic:
    """The signed-in account."""
    return service.public_user(user, await user_organization(request, user))
