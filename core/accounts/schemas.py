"""Request and response models for accounts, organizations and password resets."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from core.api import examples
from core.dates import zone_names
from core.i18n import _
from core.models import ORG_ROLES, OrgKind, Role
from core.types import Input, Offset, Output

PASSWORD_MIN = 10


def _password_length(value):
    if isinstance(value, str) and len(value) < PASSWORD_MIN:
        raise ValueError(_("Password must be at least %(num)d characters") % {"num": PASSWORD_MIN})
    return value


# The rule every new password obeys, at registration and when it is reset.
NewPassword = Annotated[
    str, Field(min_length=PASSWORD_MIN, max_length=200), BeforeValidator(_password_length)
]


class RegisterRequest(Input):
    model_config = examples(
        {
            "email": "new.volunteer@example.org",
            "password": "correct horse battery",
            "name": "Zhang Example",
            "role": "volunteer",
            "phone": "138-0000-0000",
            "contact_consent": True,
        },
        {
            "email": "coordinator@relief.example.org",
            "password": "correct horse battery",
            "name": "Li Example",
            "role": "ngo",
            "organization": "Example Relief Association",
            "organization_kind": "ngo",
            "registration_number": "NGO-0000-0000",
        },
        extra="forbid",
        str_strip_whitespace=True,
    )

    email: EmailStr
    password: NewPassword
    name: str = Field(min_length=1, max_length=200)
    role: Literal["official", "ngo", "volunteer", "donor"]
    organization: str | None = Field(default=None, max_length=200)
    organization_kind: OrgKind | None = None
    # For the administrator who verifies a new organization (e.g. its unified credit code).
    registration_number: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    contact_consent: bool = False

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _organization_only_for_org_roles(self):
        if self.role not in ORG_ROLES:
            self.organization = None
            self.organization_kind = None
            self.registration_number = None
        return self


class UserPublic(Output):
    id: int
    email: str
    name: str
    role: Role
    status: Literal["active", "pending", "deactivated"]
    organization_id: int | None


class TokenRequest(Input):
    model_config = examples(
        {"email": "volunteer@demo.example.org", "password": "correct horse battery"},
        str_strip_whitespace=True,
    )

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class OrganizationPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrgKind
    status: str
    verified_at: datetime | None
    verified_until: datetime | None = None


class OrganizationQuery(Input):
    model_config = examples({"status": "verified", "limit": 20, "offset": 0})

    status: Literal["pending", "verified", "rejected"] | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: Offset = 0


class PasswordResetRequest(Input):
    model_config = examples({"email": "volunteer@demo.example.org"}, str_strip_whitespace=True)

    email: EmailStr

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class PasswordResetAccepted(Output):
    message: str


class PasswordResetConfirm(Input):
    model_config = examples(
        {"token": "example-reset-token-from-the-mail", "password": "a new long passphrase"},
        str_strip_whitespace=True,
    )

    token: str = Field(min_length=1, max_length=200)
    password: NewPassword


class FailedJobPublic(Output):
    """A background job that failed every try, for administrators."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    payload: dict
    error: str
    attempts: int
    failed_at: datetime


class JobRetried(Output):
    id: int
    status: Literal["queued"] = "queued"


class TimeZoneChoice(Input):
    """The zone a person reads the times not tied to an incident in (the audit log, mail)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    time_zone: str = Field(min_length=1, max_length=60)

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in zone_names():
            raise ValueError(_("Choose a time zone from the list."))
        return value
