"""Errors raised by the accounts service."""

from core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class EmailTaken(Conflict):
    code = "email_taken"


class OrganizationRequired(InvalidInput):
    code = "organization_required"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class BadCredentials(DomainError):
    status_code = 401
    code = "bad_credentials"


class AdminOnly(Forbidden):
    """What only an administrator may see or do (the generic `forbidden` code, on purpose)."""


class SelfDeactivation(DomainError):
    code = "self_deactivation"


class NoBearerToken(DomainError):
    code = "no_token"


class ResetTokenInvalid(DomainError):
    code = "reset_token_invalid"
