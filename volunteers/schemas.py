"""Request and response models of the volunteers domain; public shapes leave personal data out."""

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from core.api import Pagination, examples
from core.errors import FieldError
from core.i18n import _
from core.types import DbId, Input, Output

Skill = Literal[
    "first_aid",
    "medical",
    "psychosocial",
    "construction",
    "electrical",
    "plumbing",
    "driving",
    "heavy_machinery",
    "logistics",
    "cooking",
    "childcare",
    "translation",
    "it",
    "admin",
    "general",
]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Part = Literal["morning", "afternoon", "evening"]
MAX_SHIFT_HOURS = 24


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


class ProfileUpdate(Input):
    model_config = examples(
        {
            "skills": ["first_aid", "driving"],
            "languages": ["zh", "en"],
            "area_id": 1,
            "lat": 30.59,
            "lon": 114.3,
            "phone": "138-0000-0000",
            "availability": {"sat": ["morning", "afternoon"], "sun": ["morning"]},
            "contact_consent": True,
        },
        extra="forbid",
        str_strip_whitespace=True,
    )

    skills: list[Skill] = Field(default_factory=list, max_length=15)
    languages: list[str] = Field(default_factory=list, max_length=20)
    area_id: DbId | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    availability: dict[Day, list[Part]] | None = None
    contact_consent: bool | None = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return _unique(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v and v.strip()]
        if any(len(v) > 40 for v in cleaned):
            raise ValueError(_("Each language must be at most 40 characters"))
        return _unique(cleaned)

    @field_validator("availability")
    @classmethod
    def _availability(cls, value):
        if value is None:
            return None
        return {day: _unique(parts) for day, parts in value.items() if parts}

    @model_validator(mode="after")
    def _both_coordinates(self):
        if (self.lat is None) != (self.lon is None):
            raise FieldError(
                "lon" if self.lon is None else "lat",
                _("Give both latitude and longitude, or neither."),
            )
        return self


class ProfilePublic(Output):
    """The volunteer's own view of their profile (never shown to anyone else)."""

    user_id: int
    name: str
    email: str
    phone: str | None
    contact_consent: bool
    consented_at: datetime | None
    skills: list[str]
    languages: list[str]
    area_id: int | None
    lat: float | None
    lon: float | None
    availability: dict[str, list[str]]
    hours: float


class ShiftFields(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    location: str = Field(default="", max_length=300)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    capacity: int = Field(ge=1, le=10000)
    skills: list[Skill] = Field(default_factory=list, max_length=15)
    min_age: int | None = Field(default=None, ge=14, le=99)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return _unique(value)

    @model_validator(mode="after")
    def _times(self):
        check_times(self.starts_at, self.ends_at)
        return self


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise FieldError("ends_at", _("The shift must end after it starts."))
    if (ends_at - starts_at).total_seconds() > MAX_SHIFT_HOURS * 3600:
        raise FieldError(
            "ends_at", _("A shift lasts at most %(hours)s hours.") % {"hours": MAX_SHIFT_HOURS}
        )


class ShiftCreate(ShiftFields):
    model_config = examples(
        {
            "title": "Sort donated food at the depot",
            "description": "Gloves provided.",
            "location": "Riverside depot, gate 2",
            "starts_at": "2027-07-03T09:00:00+08:00",
            "ends_at": "2027-07-03T13:00:00+08:00",
            "lat": 30.59,
            "lon": 114.3,
            "capacity": 12,
            "skills": ["logistics"],
            "min_age": 16,
            "incident_id": 1,
        }
    )

    incident_id: DbId
    need_id: DbId | None = None
    task_id: DbId | None = None
    area_id: DbId | None = None


class ShiftUpdate(Input):
    """Only the fields given change; volunteers signed up are told."""

    model_config = examples(
        {"capacity": 15, "description": "Gloves and lunch provided."},
        extra="forbid",
        str_strip_whitespace=True,
    )

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    location: str | None = Field(default=None, max_length=300)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    capacity: int | None = Field(default=None, ge=1, le=10000)
    skills: list[Skill] | None = Field(default=None, max_length=15)
    min_age: int | None = Field(default=None, ge=14, le=99)


class ShiftPublic(Output):
    """A shift as anyone may see it: counts, never the people."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    need_id: int | None
    task_id: int | None
    area_id: int | None
    organization_id: int
    organization_name: str = ""
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    lat: float
    lon: float
    capacity: int
    filled: int
    waitlisted: int = 0
    skills: list[str]
    min_age: int | None
    status: str
    score: float | None = None
    reasons: list[str] = []
    # The incident's zone: the shift's times are shown and typed in it.
    time_zone: str = "UTC"


class ShiftQuery(Pagination):
    model_config = examples(
        {
            "incident_id": 1,
            "skill": "logistics",
            "date_from": "2027-07-01",
            "date_to": "2027-07-31",
            "limit": 20,
            "offset": 0,
        }
    )

    incident_id: DbId | None = None
    area_id: DbId | None = None
    skill: Skill | None = None
    date_from: date | None = None
    date_to: date | None = None
    recommended: bool = False


class SignupResult(Output):
    shift_id: int
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None = None


class MySignup(Output):
    id: int
    status: str
    waitlist_position: int | None
    attendance: str | None
    hours: float
    shift: ShiftPublic


class RosterEntry(Output):
    """A volunteer on the owner's roster; contact details only with their consent."""

    volunteer_id: int
    name: str
    status: str
    waitlist_position: int | None
    attendance: str | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    hours: float
    email: str | None = None
    phone: str | None = None


class AttendanceCreate(Input):
    model_config = examples(
        {
            "volunteer_id": 8,
            "status": "attended",
            "checked_in_at": "2027-07-03T09:05:00+08:00",
            "checked_out_at": "2027-07-03T12:55:00+08:00",
        },
        extra="forbid",
    )

    volunteer_id: DbId
    status: Literal["attended", "no_show"] = "attended"
    checked_in_at: AwareDatetime | None = None
    checked_out_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _times(self):
        if self.status == "attended":
            missing = "checked_in_at" if self.checked_in_at is None else "checked_out_at"
            if self.checked_in_at is None or self.checked_out_at is None:
                raise FieldError(missing, _("Attendance needs both check-in and check-out times."))
            if self.checked_out_at <= self.checked_in_at:
                raise FieldError("checked_out_at", _("Check-out must come after check-in."))
            if (self.checked_out_at - self.checked_in_at).total_seconds() > MAX_SHIFT_HOURS * 3600:
                raise FieldError(
                    "checked_out_at",
                    _("At most %(hours)s hours per shift.") % {"hours": MAX_SHIFT_HOURS},
                )
        return self


class AttendanceResult(Output):
    shift_id: int
    volunteer_id: int
    attendance: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    hours: float
    total_hours: float


class CalendarLink(Output):
    url: str


class AccountDeletion(Input):
    """The browser's deletion form: the password, asked once more."""

    password: str


class CertificateRecord(Output):
    date: date
    shift: str
    location: str
    organization: str
    hours: float


class CertificatePublic(Output):
    """What a certificate of service shows, for anyone who holds its code; the holder's name
    only as its first characters."""

    code: str
    holder: str
    issued_at: datetime
    hours: float
    records: list[CertificateRecord]
