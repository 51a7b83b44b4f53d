"""Sign-in, registration, language choice and admin pages, in the browser and over the API."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import api, audit
from core.accounts import service
from core.accounts.schemas import (
    OrganizationPublic,
    OrganizationQuery,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UserPublic,
)
from core.auth import (
    client_address,
    current_user,
    require,
    sign_in,
    sign_out,
    user_organization,
)
from core.db import get_session
from core.domain import NavItem
from core.errors import DomainError
from core.forms import form_dict, validate
from core.i18n import LOCALES, _, lazy_gettext
from core.models import Organization, OrgKind, Role
from core.web import redirect, render


def _safe_next(value: str | None, default: str) -> str:
    # Only same-site paths, so the sign-in form cannot be used as an open redirect.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return default


def _home_for(request: Request) -> str:
    return str(request.url_for("accounts:account"))


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return await render(
            request, "accounts/login.html", {"next": request.query_params.get("next")}
        )
    data = await form_dict(request)
    email, password = data.get("email") or "", data.get("password") or ""
    throttle = request.app.state.login_throttle
    context = {"email": email, "next": data.get("next"), "errors": {}}
    try:
        await throttle.check(email, client_address(request))
        user = await service.authenticate(get_session(request), email, password)
    except DomainError as exc:
        if exc.code == "bad_credentials":
            await throttle.failed(email, client_address(request))
        context["errors"] = exc.fields
        context["message"] = exc.message
        return await render(
            request, "accounts/login.html", context, status_code=exc.status_code, block="form"
        )
    await throttle.succeeded(email)
    await get_session(request).commit()
    sign_in(request, user)
    target = _safe_next(data.get("next"), _home_for(request))
    return redirect(request, target)


async def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse(request.url_for("recovery:home"), status_code=303)


async def register_page(request: Request) -> Response:
    context = {"kinds": list(OrgKind), "errors": {}, "form": {}}
    if request.method == "GET":
        context["form"] = {"role": request.query_params.get("role", "volunteer")}
        return await render(request, "accounts/register.html", context)
    data = await form_dict(request)
    data["contact_consent"] = bool(data.get("contact_consent"))
    context["form"] = data
    body, errors = validate(RegisterRequest, data)
    if body is None:
        context["errors"] = errors
        return await render(
            request, "accounts/register.html", context, status_code=422, block="form"
        )
    session = get_session(request)
    try:
        user, _org = await service.register(session, body)
    except DomainError as exc:
        context["errors"] = exc.fields
        return await render(
            request, "accounts/register.html", context, status_code=exc.status_code, block="form"
        )
    await session.commit()
    sign_in(request, user)
    target = str(request.url_for("accounts:account"))
    return redirect(request, target)


async def account_page(request: Request) -> Response:
    user = await require(request, verified=False)
    org = await user_organization(request, user)
    status = service.user_status(user, org)
    if status == "pending":
        return await render(request, "pending.html", {"org": org}, status_code=200)
    return await render(request, "accounts/account.html", {"org": org, "status": status})


async def set_language(request: Request) -> Response:
    data = await form_dict(request)
    locale = data.get("locale")
    if locale in LOCALES:
        request.session["locale"] = locale
        user = await current_user(request)
        if user is not None:
            user.locale = locale
            await get_session(request).commit()
    target = _safe_next(data.get("next"), str(request.url_for("recovery:home")))
    return RedirectResponse(target, status_code=303)


# ---- admin pages


async def admin_organizations(request: Request) -> Response:
    await require(request, Role.admin)
    status = request.query_params.get("status") or "pending"
    orgs, total = await service.list_organizations(get_session(request), status=status, limit=200)
    return await render(
        request, "admin/organizations.html", {"orgs": orgs, "total": total, "status": status}
    )


async def admin_verify(request: Request) -> Response:
    admin = await require(request, Role.admin)
    session = get_session(request)
    org_id = request.path_params["id"]
    action = (await form_dict(request)).get("action", "verify")
    if action == "reject":
        org = await service.reject_organization(session, org_id, admin=admin)
    else:
        org = await service.verify_organization(
            session,
            org_id,
            admin=admin,
            valid_days=request.app.state.settings.verification_valid_days,
        )
    await session.commit()
    if request.headers.get("HX-Request"):
        return await render(request, "admin/_org_row.html", {"org": org})
    return RedirectResponse(request.url_for("accounts:admin_organizations"), status_code=303)


async def admin_users(request: Request) -> Response:
    await require(request, Role.admin)
    q = request.query_params.get("q") or None
    offset = max(int(request.query_params.get("offset", "0") or 0), 0)
    rows, total = await service.list_users(get_session(request), q=q, limit=50, offset=offset)
    return await render(
        request,
        "admin/users.html",
        {"rows": rows, "total": total, "q": q or "", "offset": offset},
        block="results",
    )


async def admin_user_active(request: Request) -> Response:
    admin = await require(request, Role.admin)
    session = get_session(request)
    active = (await form_dict(request)).get("active") == "1"
    user_id = request.path_params["id"]
    if user_id == admin.id and not active:
        raise DomainError(_("You cannot deactivate yourself."), 400, "self_deactivation")
    user = await service.set_user_active(session, user_id, active=active, admin=admin)
    await session.commit()
    org = await session.get(Organization, user.organization_id) if user.organization_id else None
    if request.headers.get("HX-Request"):
        return await render(request, "admin/_user_row.html", {"u": user, "org": org})
    return RedirectResponse(request.url_for("accounts:admin_users"), status_code=303)


async def admin_audit(request: Request) -> Response:
    await require(request, Role.admin)
    action = request.query_params.get("action") or None
    offset = max(int(request.query_params.get("offset", "0") or 0), 0)
    rows, total = await audit.browse(get_session(request), action=action, limit=50, offset=offset)
    return await render(
        request,
        "admin/audit.html",
        {"rows": rows, "total": total, "action": action or "", "offset": offset},
        block="results",
    )


# ---- JSON API


async def api_register(request: Request, body: RegisterRequest) -> Response:
    """Create an account; officials and NGO members stay pending until their org is verified."""
    session = get_session(request)
    user, org = await service.register(session, body)
    await session.commit()
    return api.ok(service.public_user(user, org), status_code=201)


async def api_token(request: Request, body: TokenRequest) -> Response:
    """Exchange email and password for a bearer token."""
    throttle = request.app.state.login_throttle
    await throttle.check(body.email, client_address(request))
    session = get_session(request)
    try:
        user = await service.authenticate(session, body.email, body.password)
    except DomainError:
        await throttle.failed(body.email, client_address(request))
        raise
    await throttle.succeeded(body.email)
    token = await service.issue_token(session, user)
    await session.commit()
    return api.ok(TokenResponse(access_token=token))


async def api_revoke_token(request: Request) -> Response:
    """Revoke the bearer token this request was made with."""
    user = await require(request, verified=False)
    token_id = request.scope.get("commons.token_id")
    if token_id is None:
        raise DomainError(_("Only a bearer token can revoke itself."), 400, "no_token")
    session = get_session(request)
    await service.revoke_token(session, user, token_id)
    await session.commit()
    return Response(status_code=204)


async def api_me(request: Request) -> Response:
    """The signed-in account."""
    user = await require(request, verified=False)
    org = await user_organization(request, user)
    return api.ok(service.public_user(user, org))


async def api_organizations(request: Request, query: OrganizationQuery) -> Response:
    """Organizations; the public sees verified ones, an admin may ask for any status."""
    user = await current_user(request)
    status = query.status
    if user is None or user.role != Role.admin:
        if status not in (None, "verified"):
            raise DomainError(
                _("Only an administrator may list unverified organizations."),
                403,
                "forbidden",
                {"status": _("admin only")},
            )
        status = "verified"
    orgs, total = await service.list_organizations(
        get_session(request), status=status, limit=query.limit, offset=query.offset
    )
    return api.page([OrganizationPublic.model_validate(o) for o in orgs], total)


async def api_verify(request: Request) -> Response:
    """Verify an organization, so its officials or members may act."""
    admin = await require(request, Role.admin)
    session = get_session(request)
    org = await service.verify_organization(
        session,
        request.path_params["id"],
        admin=admin,
        valid_days=request.app.state.settings.verification_valid_days,
    )
    await session.commit()
    return api.ok(OrganizationPublic.model_validate(org))


routes = [
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/register", register_page, methods=["GET", "POST"], name="register"),
    Route("/account", account_page, name="account"),
    Route("/language", set_language, methods=["POST"], name="language"),
    Route("/admin/organizations", admin_organizations, name="admin_organizations"),
    Route(
        "/admin/organizations/{id:int}/verify", admin_verify, methods=["POST"], name="admin_verify"
    ),
    Route("/admin/users", admin_users, name="admin_users"),
    Route(
        "/admin/users/{id:int}/active",
        admin_user_active,
        methods=["POST"],
        name="admin_user_active",
    ),
    Route("/admin/audit", admin_audit, name="admin_audit"),
]

api_routes = [
    api.ApiRoute(
        "/auth/register",
        api_register,
        methods=["POST"],
        name="register",
        body=RegisterRequest,
        response=UserPublic,
        status_code=201,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/auth/token",
        api_token,
        methods=["POST"],
        name="token",
        body=TokenRequest,
        response=TokenResponse,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/auth/token",
        api_revoke_token,
        methods=["DELETE"],
        name="revoke_token",
        status_code=204,
        auth="any",
        tags=["auth"],
    ),
    api.ApiRoute("/auth/me", api_me, name="me", response=UserPublic, auth="any", tags=["auth"]),
    api.ApiRoute(
        "/organizations",
        api_organizations,
        name="organizations",
        query=OrganizationQuery,
        response=api.Page[OrganizationPublic],
        tags=["organizations"],
    ),
    api.ApiRoute(
        "/organizations/{id:int}/verify",
        api_verify,
        methods=["POST"],
        name="verify_organization",
        response=OrganizationPublic,
        auth="admin",
        tags=["organizations"],
    ),
]

nav = [
    NavItem(lazy_gettext("Sign in"), "accounts:login", roles=(), order=90),
    NavItem(lazy_gettext("Register"), "accounts:register", roles=(), order=91),
    NavItem(
        lazy_gettext("My account"), "accounts:account", roles=tuple(r.value for r in Role), order=80
    ),
    NavItem(
        lazy_gettext("Organizations"), "accounts:admin_organizations", roles=(Role.admin,), order=10
    ),
    NavItem(lazy_gettext("Users"), "accounts:admin_users", roles=(Role.admin,), order=11),
    NavItem(lazy_gettext("Audit log"), "accounts:admin_audit", roles=(Role.admin,), order=12),
]
