"""Kernel tables: organizations, users, their sessions and API tokens, the audit log, the outbox."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    official = "official"
    ngo = "ngo"
    volunteer = "volunteer"
    donor = "donor"


ORG_ROLES = (Role.official, Role.ngo)


class OrgKind(StrEnum):
    government = "government"
    ngo = "ngo"
    company = "company"
    community = "community"


class OrgStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)
    status: str = Field(default=OrgStatus.pending, max_length=20, index=True)
    description: str = Field(default="", sa_type=Text)
    website: str | None = Field(default=None, max_length=300)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_by_id: int | None = Field(default=None)
    verified_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the applicant gives for the verification, and why an administrator refused it.
    registration_number: str | None = Field(default=None, max_length=100)
    rejection_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def is_verified(self, now: datetime | None = None) -> bool:
        if self.status != OrgStatus.verified:
            return False
        return self.verified_until is None or self.verified_until > (now or utcnow())


class OrganizationDocument(SQLModel, table=True):
    """A document an applicant uploaded for the verification (registration certificate …);
    the file is kept under the upload folder by `stored_name`, seen only by administrators."""

    __tablename__ = "organization_documents"
    __table_args__ = (
        UniqueConstraint("stored_name", name="uq_organization_documents_stored_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    filename: str = Field(max_length=200)
    stored_name: str = Field(max_length=100)
    content_type: str = Field(max_length=100)
    size: int
    uploaded_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20, index=True)
    organization_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    is_active: bool = True
    locale: str | None = Field(default=None, max_length=10)
    time_zone: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser; the cookie carries a random id, only its SHA-256 hash is kept, and
    a session ends (signing out, a new password, deactivation) by setting `revoked_at`."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    sid_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str | None = Field(default=None, max_length=300)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """A mail waiting to be delivered by `commons worker`; written in the caller's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organizations.id")
    to_email: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    status: str = Field(default=OutboxStatus.pending, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"


class QueuedJob(SQLModel, table=True):
    """A background job on SQLite's queue; on PostgreSQL jobs live in pgqueuer's own table."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.queued, max_length=20)
    attempts: int = 0
    run_after: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A running job whose worker died is taken again once this has passed.
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FailedJob(SQLModel, table=True):
    """A job that failed every attempt, kept with its error until an admin retries it."""

    __tablename__ = "failed_jobs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = Field(sa_type=Text)
    attempts: int = 0
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retried_by_id: int | None = Field(default=None, foreign_key="users.id")


class JobSchedule(SQLModel, table=True):
    """When each periodic job is next due; a worker fires it by moving this forward first."""

    __tablename__ = "job_schedules"

    name: str = Field(primary_key=True, max_length=100)
    next_run_at: datetime = Field(sa_type=UTCDateTime)


class PublicVersion(SQLModel, table=True):
    """How often an incident's public figures changed (incident 0: a change of unknown scope);
    bumped by core.cache in the writing transaction, read as a cache key."""

    __tablename__ = "public_versions"

    incident_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # One of core.cache.SHARDS rows per incident, so concurrent writers rarely share one.
    shard: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0, sa_type=BigInteger)
