"""Tables of the preparedness domain: teams, deployments, reserves and alerts."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class DeploymentStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    declined = "declined"
    on_site = "on_site"
    completed = "completed"


# Deployments that hold a place in a zone (the contract: requested or accepted, and on site).
HOLDS_PLACE = (DeploymentStatus.requested, DeploymentStatus.accepted, DeploymentStatus.on_site)


class MovementKind(StrEnum):
    receive = "receive"
    issue = "issue"
    transfer = "transfer"
    adjust = "adjust"


class Team(SQLModel, table=True):
    """An organization's profile as a rescue or relief team (one per organization)."""

    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint("members >= 0", name="ck_teams_members"),
        CheckConstraint("response_radius_km >= 0", name="ck_teams_radius"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", unique=True)
    capabilities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    members: int = 0
    equipment: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    base_lat: float
    base_lon: float
    response_radius_km: float
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Certification(SQLModel, table=True):
    """A team's certification; without a capability it covers all of the team's."""

    __tablename__ = "team_certifications"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    name: str = Field(max_length=200)
    issuer: str = Field(max_length=200)
    capability: str | None = Field(default=None, max_length=40)
    expires_on: date = Field(index=True)
    reminded_on: date | None = None


class Zone(SQLModel, table=True):
    """How many teams an area admits at once."""

    __tablename__ = "zones"
    __table_args__ = (CheckConstraint("max_teams >= 0", name="ck_zones_max_teams"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="areas.id", unique=True)
    max_teams: int


class Deployment(SQLModel, table=True):
    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="ck_deployments_dates"),
        Index("ix_deployments_area_status", "area_id", "status"),
        Index("ix_deployments_team", "team_org_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    team_org_id: int = Field(foreign_key="organizations.id")
    area_id: int = Field(foreign_key="areas.id")
    capability: str = Field(max_length=40)
    starts_on: date
    ends_on: date
    task_id: int | None = Field(default=None, foreign_key="tasks.id")
    status: str = Field(default=DeploymentStatus.requested, max_length=20)
    requested_by_id: int = Field(foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    check_in_lat: float | None = None
    check_in_lon: float | None = None
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    check_out_lat: float | None = None
    check_out_lon: float | None = None


class DailyReport(SQLModel, table=True):
    """A team's short report of a day on site; its logistics needs became incident needs."""

    __tablename__ = "deployment_reports"

    id: int | None = Field(default=None, primary_key=True)
    deployment_id: int = Field(foreign_key="deployments.id", index=True)
    on: date
    work_done: str = Field(sa_type=Text)
    people_helped: int = 0
    need_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    filed_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
