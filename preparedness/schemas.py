"""Request and response models of the preparedness domain; public ones carry no personal data."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from core.api import examples
from core.errors import FieldError
from core.i18n import _
from core.types import DbId, Input, Output
from preparedness.labels import CAPABILITIES
from preparedness.models import MovementKind
from recovery.service import Category

Capability = StrEnum("Capability", {code: code for code in CAPABILITIES})


# ---- teams


class EquipmentItem(Input):
    name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=1_000_000)


class CertificationIn(Input):
    name: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=1, max_length=200)
    expires_on: date
    capability: Capability | None = None


class TeamProfile(Input):
    model_config = examples(
        {
            "capabilities": ["water_rescue", "medical_first_aid"],
            "members": 24,
            "equipment": [{"name": "Inflatable boat", "quantity": 3}],
            "certifications": [
                {
                    "name": "Swift water rescue",
                    "issuer": "Example Rescue Academy",
                    "expires_on": "2028-12-31",
                    "capability": "water_rescue",
                }
            ],
            "base_lat": 30.6,
            "base_lon": 114.3,
            "response_radius_km": 200,
        }
    )

    capabilities: list[Capability] = Field(min_length=1, max_length=len(CAPABILITIES))
    members: int = Field(ge=1, le=100_000)
    equipment: list[EquipmentItem] = Field(default_factory=list, max_length=200)
    certifications: list[CertificationIn] = Field(default_factory=list, max_length=100)
    base_lat: float = Field(ge=-90, le=90)
    base_lon: float = Field(ge=-180, le=180)
    response_radius_km: float = Field(ge=0, le=5000)

    @model_validator(mode="after")
    def _covered(self):
        for cert in self.certifications:
            if cert.capability is not None and cert.capability not in self.capabilities:
                raise FieldError(
                    "certifications",
                    _("%(name)s covers a capability the team does not list.") % {"name": cert.name},
                )
        return self


class CertificationOut(Output):
    name: str
    issuer: str
    expires_on: date
    capability: str | None


class TeamOut(Output):
    organization_id: int
    name: str
    capabilities: list[str]
    members: int
    equipment: list[dict]
    certifications: list[CertificationOut]
    base_lat: float
    base_lon: float
    response_radius_km: float


class TeamQuery(Input):
    model_config = examples({"capability": "water_rescue", "incident_id": 1, "area_id": 1})

    capability: Capability
    incident_id: DbId | None = None
    area_id: DbId | None = None


class TeamMatch(Output):
    organization_id: int
    name: str
    capabilities: list[str]
    members: int
    distance_km: float | None
    within_radius: bool


class CapabilityOut(Output):
    code: str
    label: str


class TeamList(Output):
    items: list[TeamMatch]


# ---- zones and deployments


class ZoneIn(Input):
    model_config = examples({"max_teams": 3})

    max_teams: int = Field(ge=0, le=10_000)


class ZoneOut(Output):
    area_id: int
    max_teams: int


class DeploymentCreate(Input):
    model_config = examples(
        {
            "incident_id": 1,
            "team_org_id": 5,
            "area_id": 1,
            "capability": "water_rescue",
            "starts_on": "2027-07-01",
            "ends_on": "2027-07-07",
        }
    )

    incident_id: DbId
    team_org_id: DbId
    area_id: DbId
    capability: Capability
    starts_on: date
    ends_on: date
    task_id: DbId | None = None

    @model_validator(mode="after")
    def _dates(self):
        if self.ends_on < self.starts_on:
            raise FieldError("ends_on", _("The end comes before the start."))
        return self


class DeploymentQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId


class Position(Input):
    model_config = examples({"lat": 30.59, "lon": 114.3})

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CheckOut(Input):
    model_config = examples({"lat": 30.59, "lon": 114.3})

    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class DeploymentOut(Output):
    id: int
    incident_id: int
    team_org_id: int
    area_id: int
    capability: str
    starts_on: date
    ends_on: date
    task_id: int | None
    status: str
    requested_at: datetime
    decided_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class LogisticsNeed(Input):
    category: Category
    quantity: int = Field(gt=0, le=1_000_000_000)
    unit: str = Field(min_length=1, max_length=40)
    title: str | None = Field(None, min_length=1, max_length=200)


class DailyReportIn(Input):
    model_config = examples(
        {
            "on": "2027-07-02",
            "work_done": "Evacuated 40 people from the lower village.",
            "people_helped": 40,
            "needs": [
                {
                    "category": "water_sanitation",
                    "quantity": 200,
                    "unit": "litres",
                    "title": "Drinking water",
                }
            ],
        }
    )

    on: date | None = None
    work_done: str = Field(min_length=1, max_length=4000)
    people_helped: int = Field(0, ge=0, le=10_000_000)
    needs: list[LogisticsNeed] = Field(default_factory=list, max_length=20)


class DailyReportOut(Output):
    id: int
    deployment_id: int
    on: date
    work_done: str
    people_helped: int
    need_ids: list[int]


# ---- reserves


class WarehouseCreate(Input):
    model_config = examples(
        {
            "name": "Riverside depot",
            "lat": 30.6,
            "lon": 114.31,
            "area_id": 1,
            "radius_km": 300,
            "low_stock": {"food": 100},
        }
    )

    name: str = Field(min_length=1, max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    area_id: DbId | None = None
    radius_km: float = Field(300, ge=0, le=5000)
    low_stock: dict[Category, int] = Field(default_factory=dict)


class WarehouseOut(Output):
    id: int
    organization_id: int
    name: str
    lat: float
    lon: float
    area_id: int | None
    radius_km: float
    low_stock: dict[str, int]


class MovementIn(Input):
    model_config = examples(
        {
            "kind": "receive",
            "category": "food",
            "unit": "boxes",
            "quantity": 100,
            "lot": "LOT-2027-01",
            "expires_on": "2028-01-31",
            "reason": "Delivery from the provincial reserve",
        }
    )

    kind: MovementKind
    category: Category
    unit: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=-1_000_000_000, le=1_000_000_000)
    lot: str | None = Field(None, max_length=100)
    expires_on: date | None = None
    to_warehouse_id: DbId | None = None
    need_id: DbId | None = None
    reason: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _checks(self):
        if self.quantity == 0 or (self.kind != MovementKind.adjust and self.quantity < 0):
            raise FieldError("quantity", _("Give a quantity above zero."))
        if self.kind == MovementKind.adjust and not self.reason:
            raise FieldError("reason", _("An adjustment needs a reason."))
        if self.kind == MovementKind.transfer and self.to_warehouse_id is None:
            raise FieldError("to_warehouse_id", _("Name the warehouse to transfer to."))
        return self


class MovementOut(Output):
    id: int
    warehouse_id: int
    kind: str
    category: str
    unit: str
    lot: str
    expires_on: date | None
    quantity: int
    to_warehouse_id: int | None
    need_id: int | None
    reason: str | None
    at: datetime


class StockLevel(Output):
    category: str
    unit: str
    lot: str
    expires_on: date | None
    quantity: int
    reserved: int = 0


class StockList(Output):
    items: list[StockLevel]


class ReserveTotal(Output):
    category: str
    unit: str
    quantity: int


# ---- alerts (CAP 1.2 vocabularies)

AlertStatus = Literal["Actual", "Exercise", "Test"]
MsgType = Literal["Alert", "Update", "Cancel"]
CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]


class AlertText(Input):
    event: str = Field(min_length=1, max_length=200)
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=8000)
    instruction: str | None = Field(None, max_length=8000)


class AlertCreate(Input):
    model_config = examples(
        {
            "incident_id": 1,
            "event": "Flood warning",
            "category": "Met",
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Likely",
            "headline": "River expected to rise above the levee tonight",
            "description": "The Riverside river is forecast to reach 29.5 m at 22:00.",
            "instruction": "Move to higher ground; avoid the river bank.",
            "area_ids": [1],
            "radius_km": 5,
            "expires": "2027-07-02T08:00:00+08:00",
        }
    )

    incident_id: DbId | None = None
    event: str = Field(min_length=1, max_length=200)
    category: CapCategory
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=8000)
    instruction: str | None = Field(None, max_length=8000)
    # The Chinese info block; without it the English text is repeated under zh-CN.
    zh: AlertText | None = None
    area_ids: list[DbId] = Field(min_length=1, max_length=200)
    # Circles around the areas' positions; a polygon [[lat, lon], ...] may be given instead.
    radius_km: float = Field(5, gt=0, le=1000)
    polygon: list[tuple[float, float]] | None = Field(None, min_length=4, max_length=500)
    expires: datetime
    status: AlertStatus = "Actual"
    msg_type: MsgType = "Alert"
    references_id: DbId | None = None

    @model_validator(mode="after")
    def _checks(self):
        if self.expires.tzinfo is None:
            raise FieldError("expires", _("Give the time zone, e.g. 2026-03-16T18:00:00+08:00."))
        if (self.msg_type == "Alert") != (self.references_id is None):
            raise FieldError(
                "references_id", _("An update or a cancellation names the alert it replaces.")
            )
        if self.polygon is not None and tuple(self.polygon[0]) != tuple(self.polygon[-1]):
            raise FieldError("polygon", _("A polygon ends where it starts."))
        if self.polygon is not None and any(
            not (-90 <= lat <= 90 and -180 <= lon <= 180) for lat, lon in self.polygon
        ):
            raise FieldError("polygon", _("Give latitudes and longitudes within range."))
        return self


class AlertReceipt(Output):
    id: int
    identifier: str
    status: str
    msg_type: str


class AlertSubscribe(Input):
    model_config = examples({"email": "resident@example.org", "area_id": 1})

    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    area_id: DbId


class SubscriptionReceipt(Output):
    status: str


# ---- plans and graded response


class PlanTaskIn(Input):
    title: str = Field(min_length=1, max_length=200)
    responsible_org_id: DbId
    due_offset_days: int = Field(ge=0, le=3650)


class PlanLevelIn(Input):
    level: int = Field(ge=1, le=4)
    tasks: list[PlanTaskIn] = Field(min_length=1, max_length=200)


class PlanCreate(Input):
    model_config = examples(
        {
            "name": "Flood response plan",
            "incident_type": "flood",
            "levels": [
                {
                    "level": 1,
                    "tasks": [
                        {
                            "title": "Open the shelters",
                            "responsible_org_id": 1,
                            "due_offset_days": 0,
                        },
                        {
                            "title": "Send the rescue teams",
                            "responsible_org_id": 5,
                            "due_offset_days": 1,
                        },
                    ],
                }
            ],
        }
    )

    name: str = Field(min_length=1, max_length=200)
    incident_type: str = Field(min_length=1, max_length=100)
    levels: list[PlanLevelIn] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _distinct(self):
        levels = [level.level for level in self.levels]
        if len(set(levels)) != len(levels):
            raise FieldError("levels", _("Give each level once."))
        return self


class PlanRowIn(PlanTaskIn):
    """One task row of the plan form: its level and the task."""

    level: int = Field(ge=1, le=4)


# Task rows the plan form offers; a longer plan is written through the API.
PLAN_FORM_ROWS = 8


class PlanForm(Input):
    """The plan form: a name, the type of incident, and task rows (blank rows are left out)."""

    name: str = Field(min_length=1, max_length=200)
    incident_type: str = Field(min_length=1, max_length=100)
    rows: list[PlanRowIn] = Field(min_length=1, max_length=PLAN_FORM_ROWS)

    def row_field(self, name: str) -> str:
        """The form's name (`rows.N.field`) for a field the plan names
        (`levels.I.tasks.J.field`), so a message the service gives lands on its row."""
        parts = name.split(".")
        if len(parts) != 5 or parts[0] != "levels" or parts[2] != "tasks":
            return name
        level = sorted({row.level for row in self.rows}, reverse=True)[int(parts[1])]
        rows = [n for n, row in enumerate(self.rows) if row.level == level]
        return f"rows.{rows[int(parts[3])]}.{parts[4]}"

    def plan(self) -> PlanCreate:
        by_level: dict[int, list[PlanTaskIn]] = {}
        for row in self.rows:
            by_level.setdefault(row.level, []).append(
                PlanTaskIn.model_validate(row.model_dump(exclude={"level"}))
            )
        return PlanCreate(
            name=self.name,
            incident_type=self.incident_type,
            levels=[
                PlanLevelIn(level=level, tasks=tasks)
                for level, tasks in sorted(by_level.items(), reverse=True)
            ],
        )


class Activate(Input):
    model_config = examples({"plan_id": 1, "level": 1})

    plan_id: DbId
    level: int = Field(ge=1, le=4)


class ActivatedTask(Output):
    id: int
    title: str
    responsible_org_id: int
    due_on: date


class ActivationOut(Output):
    id: int
    plan_id: int
    incident_id: int
    level: int
    project_id: int
    activated_at: datetime
    tasks: list[ActivatedTask]


class PlanOut(Output):
    id: int
    name: str
    incident_type: str
    levels: list[dict]
    activations: list[dict]


class PlanSummary(Output):
    """A plan in the list: its levels (I = 1, the most severe, first), tasks, activations."""

    id: int
    name: str
    incident_type: str
    organization_id: int
    created_at: datetime
    levels: list[int]
    tasks: int
    activations: int


class StepTimes(Output):
    deployment_id: int
    status: str
    hours_to_acceptance: float | None
    hours_to_check_in: float | None
    hours_to_completion: float | None


class TaskOutcome(Output):
    task_id: int
    title: str
    due_on: date
    completed_on: date | None
    status: str


class OrganizationReview(Output):
    organization_id: int
    name: str
    deployments: list[StepTimes]
    tasks: list[TaskOutcome]
    late: list[str]


class AfterAction(Output):
    incident_id: int
    status: str
    organizations: list[OrganizationReview]
