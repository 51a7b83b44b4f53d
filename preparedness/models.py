"""Tables of the preparedness domain: teams, deployments, reserves and alerts."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
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


class Warehouse(SQLModel, table=True):
    """A government or NGO store of relief material."""

    __tablename__ = "warehouses"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="ck_warehouses_lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="ck_warehouses_lon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=200)
    lat: float
    lon: float
    area_id: int | None = Field(default=None, foreign_key="areas.id")
    # How far the warehouse delivers: the radius of the offers its stock makes to matching.
    radius_km: float = 300.0
    # {category: quantity}: below it, the owner is told stock runs low.
    low_stock: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    alerted: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StockLot(SQLModel, table=True):
    """Stock on hand of one category, unit, lot and expiry in one warehouse."""

    __tablename__ = "stock_lots"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="ck_stock_lots_quantity"),
        Index("ix_stock_lots_item", "warehouse_id", "category", "unit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouses.id")
    category: str = Field(max_length=40)
    unit: str = Field(max_length=40)
    lot: str = Field(default="", max_length=100)
    expires_on: date | None = None
    quantity: int = 0
    expiry_alerted_on: date | None = None


class StockMovement(SQLModel, table=True):
    """One audited change of stock: received, issued, transferred or adjusted."""

    __tablename__ = "stock_movements"

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouses.id", index=True)
    kind: str = Field(max_length=20)
    category: str = Field(max_length=40)
    unit: str = Field(max_length=40)
    lot: str = Field(default="", max_length=100)
    expires_on: date | None = None
    # Signed: what the warehouse gained (+) or lost (-).
    quantity: int
    to_warehouse_id: int | None = Field(default=None, foreign_key="warehouses.id")
    need_id: int | None = Field(default=None, foreign_key="needs.id")
    match_id: int | None = None
    reason: str | None = Field(default=None, sa_type=Text)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReserveOffer(SQLModel, table=True):
    """The matching offer a warehouse's stock of one category and unit makes to an incident."""

    __tablename__ = "reserve_offers"
    __table_args__ = (
        UniqueConstraint(
            "warehouse_id", "incident_id", "category", "unit", name="uq_reserve_offers_item"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offers.id", unique=True)
    warehouse_id: int = Field(foreign_key="warehouses.id")
    incident_id: int = Field(foreign_key="incidents.id")
    category: str = Field(max_length=40)
    unit: str = Field(max_length=40)


class Reservation(SQLModel, table=True):
    """Stock held for an accepted match until it is issued."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        CheckConstraint("issued >= 0 AND issued <= quantity", name="ck_reservations_issued"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(unique=True)
    warehouse_id: int = Field(foreign_key="warehouses.id", index=True)
    category: str = Field(max_length=40)
    unit: str = Field(max_length=40)
    quantity: int
    issued: int = 0
    # A drill's hold: the match runs through, the stock stays where it is.
    exercise: bool = False


class Alert(SQLModel, table=True):
    """An early-warning message, published as CAP 1.2 with an English and a Chinese info."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_current", "status", "expires"),)

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(max_length=200, unique=True)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id")
    status: str = Field(max_length=20)  # Actual, Exercise, Test
    msg_type: str = Field(default="Alert", max_length=20)  # Alert, Update, Cancel
    references_id: int | None = Field(default=None, foreign_key="alerts.id")
    # Set on an alert an Update or a Cancel replaced: it is no longer current.
    superseded_by_id: int | None = Field(default=None)
    category: str = Field(max_length=20)
    urgency: str = Field(max_length=20)
    severity: str = Field(max_length=20)
    certainty: str = Field(max_length=20)
    # {"en": {event, headline, description, instruction}, "zh": {...}}
    texts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # [{area_id, name, circle?, polygon?}]: the shapes as published.
    areas: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    area_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires: datetime = Field(sa_type=UTCDateTime)
    created_by_id: int = Field(foreign_key="users.id")


class AlertSubscription(SQLModel, table=True):
    """A mail address that asked for an area's alerts; active once the link was followed."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (Index("ix_alert_subscriptions_area", "area_id", "confirmed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    area_id: int = Field(foreign_key="areas.id")
    token_hash: str = Field(max_length=64, unique=True)
    locale: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Plan(SQLModel, table=True):
    """An emergency plan for a type of incident, with the tasks each response level starts."""

    __tablename__ = "plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    incident_type: str = Field(max_length=100)
    organization_id: int = Field(foreign_key="organizations.id")
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlanTask(SQLModel, table=True):
    __tablename__ = "plan_tasks"
    __table_args__ = (
        CheckConstraint("level >= 1 AND level <= 4", name="ck_plan_tasks_level"),
        CheckConstraint("due_offset_days >= 0", name="ck_plan_tasks_offset"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    level: int
    title: str = Field(max_length=200)
    responsible_org_id: int = Field(foreign_key="organizations.id")
    due_offset_days: int


class PlanActivation(SQLModel, table=True):
    """A plan set going for an incident at a level (raising the level is another row)."""

    __tablename__ = "plan_activations"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    level: int
    project_id: int = Field(foreign_key="projects.id")
    task_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    activated_by_id: int = Field(foreign_key="users.id")
    activated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
