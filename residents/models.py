"""Tables of the residents domain: affected people's help requests and each request's updates."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime
from core.i18n import lazy_gettext, lazy_pgettext


class RequestStatus(StrEnum):
    received = "received"
    verified = "verified"
    duplicate = "duplicate"
    converted = "converted"
    rejected = "rejected"
    closed = "closed"
    expired = "expired"


class Channel(StrEnum):
    web = "web"
    phone = "phone"
    sms = "sms"


STATUS = {
    # Contexts: "Received" and "Verified" mean other things for funds and organizations.
    "received": lazy_pgettext("help request", "Received"),
    "verified": lazy_pgettext("help request", "Verified"),
    "duplicate": lazy_gettext("Joined with another request"),
    "converted": lazy_gettext("Help is being organized"),
    "rejected": lazy_gettext("Not accepted"),
    "closed": lazy_gettext("Done"),
    "expired": lazy_gettext("Closed without answer"),
}

# Statuses a requester can still act on; the rest are final unless the requester reopens.
OPEN_STATUSES = (RequestStatus.received, RequestStatus.verified, RequestStatus.converted)

VULNERABLE = {
    "elderly": lazy_gettext("Elderly"),
    "disabled": lazy_gettext("Disabled"),
    "children": lazy_gettext("Children"),
    "pregnant": lazy_gettext("Pregnant"),
    "chronically_ill": lazy_gettext("Chronically ill"),
}


class HelpRequest(SQLModel, table=True):
    """A request for help from an affected household; the contact fields are personal data."""

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_incident_status", "incident_id", "status"),
        Index("ix_help_requests_incident_phone", "incident_id", "phone_key"),
        # Each accepted or delivered match looks up the requests that follow its need.
        Index("ix_help_requests_need", "need_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    area_id: int | None = Field(default=None, foreign_key="areas.id")
    category: str = Field(max_length=40)
    description: str = Field(sa_column=Column(Text, nullable=False))
    people_affected: int | None = None
    vulnerable: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lat: float | None = None
    lon: float | None = None
    place: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=120)
    contact_phone: str | None = Field(default=None, max_length=40, index=True)
    # The phone's last 11 digits, so "+86 137-…" and "137…" find each other as duplicates.
    phone_key: str | None = Field(default=None, max_length=11)
    contact_email: str | None = Field(default=None, max_length=254)
    consent: bool = False
    # Given apart from `consent`: the requester may be invited to surveys on the help.
    survey_consent: bool = False
    # The requester's language, for the SMS and mail they get.
    locale: str = Field(default="en", max_length=10)
    # A photo re-encoded without its metadata (no location), for triage staff only.
    photo_file: str | None = Field(default=None, max_length=40)
    channel: str = Field(default=Channel.web, max_length=10)
    status: str = Field(default=RequestStatus.received, max_length=20)
    # Only the token's hash is kept: the follow-up link is the requester's alone.
    token_hash: str = Field(max_length=64, unique=True)
    reference: str = Field(max_length=12, unique=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="help_requests.id")
    need_id: int | None = Field(default=None, foreign_key="needs.id")
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    # How many distinct tokens the description has (see HelpRequestToken).
    token_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HelpRequestUpdate(SQLModel, table=True):
    """One step the requester sees on the follow-up link: a status and a message."""

    __tablename__ = "help_request_updates"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="help_requests.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(max_length=20)
    # A message key with its parameters, translated when shown in the reader's language.
    message: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class HelpRequestToken(SQLModel, table=True):
    """The description's words (character pairs in Chinese): the index the duplicate check
    searches, so it reads a few postings instead of every request of the incident."""

    __tablename__ = "help_request_tokens"
    # Covers the lookups: which requests of an incident have a token, read from the index alone.
    __table_args__ = (Index("ix_help_request_tokens_lookup", "incident_id", "token", "request_id"),)

    request_id: int = Field(foreign_key="help_requests.id", primary_key=True)
    token: str = Field(max_length=40, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")


class HelpRequestDuplicate(SQLModel, table=True):
    """A likely duplicate found when a request came in; kept both ways round."""

    __tablename__ = "help_request_duplicates"

    request_id: int = Field(foreign_key="help_requests.id", primary_key=True)
    other_id: int = Field(foreign_key="help_requests.id", primary_key=True)


class SmsMessage(SQLModel, table=True):
    """An SMS to a requester, waiting for the gateway; written in the caller's transaction."""

    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_pending", "sent_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="help_requests.id")
    to_phone: str = Field(max_length=40)
    text: str = Field(max_length=480)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ComplaintAbout(StrEnum):
    task = "task"
    project = "project"
    organization = "organization"
    need = "need"
    platform = "platform"


class Complaint(SQLModel, table=True):
    """A complaint or feedback, anonymous if the complainant wishes; the contact is personal."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_org_status", "responsible_org_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    about_kind: str = Field(max_length=20)
    about_id: int | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    contact: str | None = Field(default=None, max_length=254)
    responsible_org_id: int | None = Field(default=None, foreign_key="organizations.id")
    status: str = Field(default="open", max_length=20)
    due_at: datetime = Field(sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionKind(StrEnum):
    scale = "scale"
    choice = "choice"
    text = "text"


# A scale question is answered from 1 (worst) to SCALE_MAX (best).
SCALE_MAX = 5


class Survey(SQLModel, table=True):
    """A short questionnaire to the requesters of an incident, or of some of its areas."""

    __tablename__ = "surveys"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    title: str = Field(max_length=200)
    title_zh: str | None = Field(default=None, max_length=200)
    # Empty: the whole incident.
    area_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_questions"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    position: int
    kind: str = Field(max_length=10)
    text: str = Field(max_length=500)
    text_zh: str | None = Field(default=None, max_length=500)
    choices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    choices_zh: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SurveyInvite(SQLModel, table=True):
    """A requester's own link to a survey, so each invited household answers once."""

    __tablename__ = "survey_invites"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    request_id: int = Field(foreign_key="help_requests.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # Only whether it was answered, never when: a time would match the invite (and so the
    # requester) to the response stored at that moment.
    answered: bool = False


class SurveyResponse(SQLModel, table=True):
    """One household's answers; kept apart from who sent them (no request, no contact)."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_survey_area", "survey_id", "area_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id")
    area_id: int | None = Field(default=None, foreign_key="areas.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyAnswer(SQLModel, table=True):
    """A scale value or choice index in `number`; free text (never published) in `text`."""

    __tablename__ = "survey_answers"

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_responses.id", index=True)
    question_id: int = Field(foreign_key="survey_questions.id", index=True)
    number: int | None = None
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
