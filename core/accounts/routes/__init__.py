"""The accounts route table: pages at the site root, operations under /api/v1, header links."""

from starlette.routing import Route

from core import api
from core.accounts.routes import (
    account,
    audit,
    jobs,
    organizations,
    password_reset,
    registration,
    sessions,
    users,
)
from core.accounts.schemas import (
    FailedJobPublic,
    JobRetried,
    OrganizationPublic,
    OrganizationQuery,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UserPublic,
)
from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role

POST = ["POST"]

routes = [
    Route("/login", sessions.login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", sessions.logout, methods=POST, name="logout"),
    Route("/register", registration.register_page, methods=["GET", "POST"], name="register"),
    Route("/account", account.account_page, name="account"),
    Route("/language", account.set_language, methods=POST, name="language"),
    Route("/account/time-zone", account.set_time_zone, methods=POST, name="time_zone"),
    Route(
        "/password-reset",
        password_reset.request_page,
        methods=["GET", "POST"],
        name="password_reset",
    ),
    Route(
        "/password-reset/{token}",
        password_reset.confirm_page,
        methods=["GET", "POST"],
        name="password_reset_confirm",
    ),
    Route("/admin/organizations", organizations.admin_organizations, name="admin_organizations"),
    Route(
        "/admin/organizations/{id:int}/verify",
        organizations.admin_verify,
        methods=POST,
        name="admin_verify",
    ),
    Route(
        "/admin/organizations/{id:int}/documents/{doc_id:int}",
        organizations.admin_document,
        name="admin_document",
    ),
    Route(
        "/account/organization",
        account.organization_details,
        methods=POST,
        name="organization_details",
    ),
    Route("/admin/users", users.admin_users, name="admin_users"),
    Route(
        "/admin/users/{id:int}/active",
        users.admin_user_active,
        methods=POST,
        name="admin_user_active",
    ),
    Route("/admin/audit", audit.admin_audit, name="admin_audit"),
    Route("/admin/jobs", jobs.admin_jobs, name="admin_jobs"),
    Route("/admin/jobs/{id:int}/retry", jobs.admin_retry, methods=POST, name="admin_job_retry"),
]

api_routes = [
    api.ApiRoute(
        "/admin/jobs/failed",
        jobs.api_failed_jobs,
        name="failed_jobs",
        query=api.Pagination,
        response=api.Page[FailedJobPublic],
        roles=(Role.admin,),
        tags=["jobs"],
    ),
    api.ApiRoute(
        "/admin/jobs/failed/{id:int}/retry",
        jobs.api_retry,
        methods=POST,
        name="retry_failed_job",
        response=JobRetried,
        status_code=202,
        roles=(Role.admin,),
        tags=["jobs"],
    ),
    api.ApiRoute(
        "/auth/register",
        registration.api_register,
        methods=POST,
        name="register",
        body=RegisterRequest,
        response=UserPublic,
        status_code=201,
        tags=["auth"],
        errors=(409,),
    ),
    api.ApiRoute(
        "/auth/token",
        sessions.api_token,
        methods=POST,
        name="token",
        body=TokenRequest,
        response=TokenResponse,
        tags=["auth"],
        errors=(401, 429),
    ),
    api.ApiRoute(
        "/auth/token",
        sessions.api_revoke_token,
        methods=["DELETE"],
        name="revoke_token",
        status_code=204,
        roles=(),
        verified=False,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/auth/me",
        sessions.api_me,
        name="me",
        response=UserPublic,
        roles=(),
        verified=False,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/auth/password-reset",
        password_reset.api_request,
        methods=POST,
        name="password_reset",
        body=PasswordResetRequest,
        response=PasswordResetAccepted,
        status_code=202,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/auth/password-reset/confirm",
        password_reset.api_confirm,
        methods=POST,
        name="password_reset_confirm",
        body=PasswordResetConfirm,
        status_code=204,
        tags=["auth"],
    ),
    api.ApiRoute(
        "/organizations",
        organizations.api_organizations,
        name="organizations",
        query=OrganizationQuery,
        response=api.Page[OrganizationPublic],
        tags=["organizations"],
        errors=(403,),  # other statuses than verified: admins only
    ),
    api.ApiRoute(
        "/organizations/{id:int}/verify",
        organizations.api_verify,
        methods=POST,
        name="verify_organization",
        response=OrganizationPublic,
        roles=(Role.admin,),
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
    NavItem(lazy_gettext("Failed jobs"), "accounts:admin_jobs", roles=(Role.admin,), order=13),
]
