"""Tables of the volunteers domain: profiles, shifts and sign-ups (with waitlist and attendance)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime
from core.i18n import lazy_gettext

SKILLS = {
    "first_aid": lazy_gettext("First aid"),
    "medical": lazy_gettext("Medical"),
    "psychosocial": lazy_gettext("Psychosocial support"),
    "construction": lazy_gettext("Construction"),
    "electrical": lazy_gettext("Electrical"),
    "plumbing": lazy_gettext("Plumbing"),
    "driving": lazy_gettext("Driving"),
    "heavy_machinery": lazy_gettext("Heavy machinery"),
    "logistics": lazy_gettext("Logistics"),
    "cooking": lazy_gettext("Cooking"),
    "childcare": lazy_gettext("Childcare"),
    "translation": lazy_gettext("Translation"),
    "it": lazy_gettext("IT"),
    "admin": lazy_gettext("Administration"),
    "general": lazy_gettext("General help"),
}

DAYS = {
    "mon": lazy_gettext("Monday"),
    "tue": lazy_gettext("Tuesday"),
    "wed": lazy_gettext("Wednesday"),
    "thu": lazy_gettext("Thursday"),
    "fri": lazy_gettext("Friday"),
    "sat": lazy_gettext("Saturday"),
    "sun": lazy_gettext("Sunday"),
}

# Parts of the day by local start hour: [0, 12) morning, [12, 18) afternoon, [18, 24) evening.
PARTS = {
    "morning": lazy_gettext("Morning"),
    "afternoon": lazy_gettext("Afternoon"),
    "evening": lazy_gettext("Evening"),
}


class ShiftStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"


class SignupStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class Attendance(StrEnum):
    attended = "attended"
    no_show = "no_show"


ACTIVE = (SignupStatus.confirmed, SignupStatus.waitlisted)


class VolunteerProfile(SQLModel, table=True):
    """One per volunteer; its row is also the per-volunteer lock that serializes sign-ups."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="ck_volprof_lat"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="ck_volprof_lon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    phone: str | None = Field(default=None, max_length=40)
    contact_consent: bool = False
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    area_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    lat: float | None = None
    lon: float | None = None
    availability: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # Stored as is (not hashed): it must be shown again as a URL, and only reads this
    # volunteer's own calendar; regenerating it revokes the old URL.
    calendar_token: str | None = Field(default=None, max_length=64, unique=True)
    lock_version: int = 0
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Shift(SQLModel, table=True):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="ck_shifts_capacity_positive"),
        CheckConstraint("filled >= 0 AND filled <= capacity", name="ck_shifts_filled"),
        CheckConstraint("ends_at > starts_at", name="ck_shifts_times"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="ck_shifts_lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="ck_shifts_lon"),
        Index("ix_shifts_status_starts", "status", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    need_id: int | None = Field(default=None, foreign_key="needs.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="tasks.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    created_by_id: int = Field(foreign_key="users.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    location: str = Field(default="", max_length=300)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    lat: float
    lon: float
    capacity: int
    filled: int = 0
    # Hands out waitlist numbers in arrival order; only ever incremented by a conditional UPDATE.
    waitlist_seq: int = 0
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_age: int | None = None
    status: str = Field(default=ShiftStatus.open, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Signup(SQLModel, table=True):
    __tablename__ = "shift_signups"
    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id", name="uq_signups_shift_volunteer"),
        CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')", name="ck_signups_status"
        ),
        CheckConstraint("minutes >= 0", name="ck_signups_minutes"),
        Index("ix_signups_shift_status", "shift_id", "status", "waitlist_position"),
        Index("ix_signups_volunteer_status", "volunteer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shifts.id")
    volunteer_id: int = Field(foreign_key="users.id")
    status: str = Field(max_length=20)
    waitlist_position: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminder_queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attendance: str | None = Field(default=None, max_length=20)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    minutes: int = 0
    attendance_by_id: int | None = Field(default=None, foreign_key="users.id")


class Certificate(SQLModel, table=True):
    """A certificate of service as issued: its records are kept as they were shown, so the
    public verification page shows exactly what the paper says, whatever changes later."""

    __tablename__ = "volunteer_certificates"
    __table_args__ = (CheckConstraint("total_minutes > 0", name="ck_certificates_minutes"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    volunteer_id: int = Field(foreign_key="users.id", index=True)
    # The holder's name with all but its first characters hidden: enough to compare with the
    # paper in hand, not enough to learn who volunteered.
    holder: str = Field(max_length=200)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    total_minutes: int
    # [{"date", "shift", "organization", "location", "minutes"}], dates in each incident's zone.
    records: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
