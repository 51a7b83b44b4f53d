"""What other domains, the CLI and tests may call of accounts; the modules are internal."""

from core.accounts.service.organizations import (
    browse_organizations,
    get_organization,
    list_organizations,
    reject_organization,
    verify_organization,
)
from core.accounts.service.password_reset import confirm_reset, request_reset, reset_for_token
from core.accounts.service.registration import create_admin, register
from core.accounts.service.sessions import authenticate, issue_token, revoke_token
from core.accounts.service.users import (
    find_user,
    list_users,
    public_user,
    set_locale,
    set_time_zone,
    set_user_active,
    user_status,
)

__all__ = [
    "authenticate",
    "browse_organizations",
    "confirm_reset",
    "create_admin",
    "find_user",
    "get_organization",
    "issue_token",
    "list_organizations",
    "list_users",
    "public_user",
    "register",
    "reject_organization",
    "request_reset",
    "reset_for_token",
    "revoke_token",
    "set_locale",
    "set_time_zone",
    "set_user_active",
    "user_status",
    "verify_organization",
]
