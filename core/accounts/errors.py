"""Errors raised by the accounts service."""

from core.errors import Conflict, DomainError, InvalidInput, NotFound


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
