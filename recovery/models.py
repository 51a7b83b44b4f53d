"""Tables of the recovery domain: incidents, areas, needs, projects, milestones, tasks, reports."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class IncidentStatus(StrEnum):
    response = "response"
    recovery = "recovery"
    closed = "closed"
    # A drill: everything works, and it is left out of public figures, exports and feeds.
    exercise = "exercise"


class AreaLevel(StrEnum):
    county = "county"
    township = "township"
    village = "village"


class Category(StrEnum):
    shelter = "shelter"
    food = "food"
    water_sanitation = "water_sanitation"
    health = "health"
    psychosocial = "psychosocial"
    education = "education"
    logistics = "logistics"
    debris_removal = "debris_removal"
    construction = "construction"
    livelihoods = "livelihoods"
    protection = "protection"


class Priority(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


PRIORITY_RANK = {Priority.critical: 0, Priority.high: 1, Priority.medium: 2, Priority.low: 3}
PRIORITY_RANK_SQL = (
    "CASE priority "
    + " ".join(f"WHEN '{p.value}' THEN {r}" for p, r in PRIORITY_RANK.items())
    + f" ELSE {len(PRIORITY_RANK)} END"
)


class NeedStatus(StrEnum):
    open = "open"
    partially_met = "partially_met"
    met = "met"
    closed = "closed"
    cancelled = "cancelled"


class TaskStatus(StrEnum):
    todo = "todo"
    in_progress = "in_progress"
    blocked = "blocked"
    done = "done"


class ReportStatus(StrEnum):
    draft = "draft"
    published = "published"


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    started_on: date
    description: str = Field(default="", sa_type=Text)
    status: str = Field(default=IncidentStatus.response, max_length=20)
    # Set when the status is (or once was) `exercise`: a drill stays a drill once it closes,
    # so its figures never join the public ones.
    exercise: bool = Field(default=False, index=True)
    time_zone: str = Field(default="UTC", max_length=60)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    # The government agency that leads the response: its officials act on the incident, and
    # grant other agencies (IncidentAgency) the right to act on it too.
    lead_org_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IncidentAgency(SQLModel, table=True):
    """A government agency the lead agency (or an admin) let act on an incident."""

    __tablename__ = "incident_agencies"
    __table_args__ = (
        UniqueConstraint("incident_id", "organization_id", name="uq_incident_agencies_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    granted_by_id: int | None = Field(default=None, foreign_key="users.id")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Area(SQLModel, table=True):
    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="ck_areas_lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="ck_areas_lon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    name: str = Field(max_length=200)
    level: str = Field(default=AreaLevel.county, max_length=20)
    lat: float
    lon: float
    # The government agency answerable for the area: overdue work there is escalated to it.
    responsible_org_id: int | None = Field(default=None, foreign_key="organizations.id")
    # GeoJSON Polygon or MultiPolygon as text (recovery/service/outlines.py checks it); none:
    # maps draw a shape derived from the position.
    outline: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Need(SQLModel, table=True):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_needs_quantity_positive"),
        CheckConstraint(
            "quantity_met >= 0 AND quantity_met <= quantity", name="ck_needs_quantity_met"
        ),
        CheckConstraint("lat >= -90 AND lat <= 90", name="ck_needs_lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="ck_needs_lon"),
        Index("ix_needs_incident_status", "incident_id", "status"),
        Index("ix_needs_incident_category", "incident_id", "category", "status"),
        Index("ix_needs_incident_needed_by", "incident_id", "needed_by"),
        # Covers the public dashboard's figures, so they are counted from the index alone.
        Index(
            "ix_needs_public_figures",
            "incident_id",
            "category",
            "status",
            "quantity",
            "quantity_met",
        ),
        Index("ix_needs_incident_priority_due", "incident_id", "priority", "needed_by"),
        # The lists' default order (most urgent, then earliest, then id), served by an index
        # so a page of 40 reads 40 index entries instead of sorting the whole table.
        Index("ix_needs_incident_rank", "incident_id", "priority_rank", "needed_by", "id"),
        Index("ix_needs_rank", "priority_rank", "needed_by", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    area_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    title: str = Field(max_length=200)
    category: str = Field(max_length=40)
    quantity: int
    unit: str = Field(max_length=40)
    quantity_met: int = 0
    priority: str = Field(max_length=20)
    # PRIORITY_RANK[priority], computed by the database (stored on PostgreSQL, virtual on
    # SQLite) so every writer, bulk inserts included, keeps it right; indexed for the lists.
    priority_rank: int | None = Field(
        default=None,
        sa_column=Column(Integer, Computed(PRIORITY_RANK_SQL, persisted=True), nullable=True),
    )
    needed_by: date
    lat: float
    lon: float
    description: str = Field(default="", sa_type=Text)
    status: str = Field(default=NeedStatus.open, max_length=20)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    # Set on needs created by a spreadsheet import; their creation is audited once per import.
    import_job_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("budget_minor >= 0", name="ck_projects_budget"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_projects_progress"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    lead_org_id: int = Field(foreign_key="organizations.id", index=True)
    # Money is BIGINT like every amount column: a reconstruction budget passes 2**31 fen.
    budget_minor: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    starts_on: date
    due_on: date
    progress: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Milestone(SQLModel, table=True):
    __tablename__ = "milestones"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    title: str = Field(max_length=200)
    due_on: date
    reached_on: date | None = None


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_tasks_progress"),
        Index("ix_tasks_org_status", "responsible_org_id", "status"),
        Index("ix_tasks_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    responsible_org_id: int = Field(foreign_key="organizations.id")
    due_on: date
    status: str = Field(default=TaskStatus.todo, max_length=20)
    blocked_reason: str | None = Field(default=None, sa_type=Text)
    progress: int = 0
    completed_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Escalation(SQLModel, table=True):
    """Overdue work handed up the territory, one row per step: level 1 went to the agency of
    its area (or the nearest area above with one), level 2 to the next agency up, and so on."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", "level", name="uq_escalations_step"),
        Index("ix_escalations_object", "kind", "object_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # task, complaint
    object_id: int
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    level: int
    organization_id: int = Field(foreign_key="organizations.id")
    area_id: int | None = Field(default=None, foreign_key="areas.id")
    days_late: int
    escalated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_incident_status", "incident_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    title: str = Field(max_length=200)
    body_markdown: str = Field(default="", sa_type=Text)
    status: str = Field(default=ReportStatus.draft, max_length=20)
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ImportStatus(StrEnum):
    invalid = "invalid"
    ready = "ready"
    importing = "importing"
    done = "done"
    failed = "failed"


class ImportJob(SQLModel, table=True):
    """A spreadsheet of needs: validated rows wait here until an official confirms the import."""

    __tablename__ = "import_jobs"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    filename: str = Field(max_length=200)
    status: str = Field(default=ImportStatus.ready, max_length=20)
    total_rows: int = 0
    processed_rows: int = 0
    created_count: int = 0
    rows: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    errors: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    message: str | None = Field(default=None, sa_type=Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
