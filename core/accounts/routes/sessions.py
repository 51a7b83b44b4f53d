"""Signing in and out in the browser, bearer tokens for the API, and who is signed in."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.accounts import service
from core.accounts.errors import BadCredentials
from core.accounts.schemas import TokenRequest, TokenResponse, UserPublic
from core.auth import client_address, sign_in, sign_out, user_organization
from core.db import get_session
from core.errors import DomainError
from core.forms import FORM, form_dict, validate
from core.models import User
from core.web import redirect, render


def safe_next(value: str | None, default: str) -> str:
    # Only same-site paths, so a form's `next` cannot be used as an open redirect.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return default


async def _authenticate(request: Request, email: str, password: str) -> User:
    """The account, counting failures per account and per address against the throttle."""
    throttle = request.app.state.login_throttle
    address = client_address(request)
    await throttle.check(email, address)
    try:
        user = await service.authenticate(get_session(request), email, password)
    except BadCredentials:
        await throttle.failed(email, address)
        raise
    await throttle.succeeded(email)
    return user


async def login_page(request: Request) -> Response:
    # Not form_page: a refused sign-in keeps its own status (401, or 429 when throttled).
    query = request.query_params
    page = {"form": {}, "errors": {}, "next": query.get("next"), "reset": query.get("reset")}
    if request.method != "POST":
        return await render(request, "accounts/login.html", page)
    data = await form_dict(request)
    page.update(form=data, next=data.get("next"))
    body, page["errors"] = validate(TokenRequest, data)
    status = 422
    if body is not None:
        try:
            user = await _authenticate(request, body.email, body.password)
        except DomainError as exc:
            page["errors"], status = {**exc.fields, FORM: exc.message}, exc.status_code
    if page["errors"]:
        return await render(request, "accounts/login.html", page, status_code=status, block="form")
    sign_in(request, user)
    return redirect(request, safe_next(data.get("next"), str(request.url_for("accounts:account"))))


async def logout(request: Request) -> Response:
    sign_out(request)
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
