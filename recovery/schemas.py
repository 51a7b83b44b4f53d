"""Request and response models of the recovery domain, shared by the API and the HTML forms."""

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from core.api import Pagination, examples
from core.errors import fields_from_validation
from core.i18n import _
from core.outlines import load_outline, parse_outline
from core.types import MONEY_MINOR_MAX, DbId, Input, Offset, Output
from recovery.models import AreaLevel, Category, IncidentStatus, Priority, TaskStatus

M = TypeVar("M", bound=BaseModel)
Lat = Field(ge=-90, le=90)
Lon = Field(ge=-180, le=180)


class _In(Input):
    model_config = ConfigDict(str_strip_whitespace=True)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(_("Choose a time zone from the list.")) from exc
    return value


def from_query(model: type[M], params: Mapping[str, str], **fixed: Any) -> tuple[M, dict[str, str]]:
    """A list page's filters from its URL: values that do not validate are dropped (and
    reported) rather than failing the page."""
    data = {key: value for key, value in params.items() if value} | fixed
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors = fields_from_validation(exc)
        kept = {key: value for key, value in data.items() if key not in errors}
        return model.model_validate(kept), errors


# ---- incidents and areas


class IncidentCreate(_In):
    model_config = examples(
        {
            "name": "Riverside Floods 2027",
            "started_on": "2027-06-12",
            "description": "Flooding along the Riverside county river after three days of rain.",
            "status": "response",
            "time_zone": "Asia/Shanghai",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    started_on: date
    description: str = Field("", max_length=20000)
    status: IncidentStatus = IncidentStatus.response
    time_zone: str = Field("UTC", max_length=60)

    _zone = field_validator("time_zone")(_check_zone)


class IncidentUpdate(_In):
    model_config = examples(
        {"status": "recovery", "description": "The water has gone down; rebuilding starts."}
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    started_on: date | None = None
    description: str | None = Field(None, max_length=20000)
    status: IncidentStatus | None = None
    time_zone: str | None = Field(None, max_length=60)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)


class IncidentPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    started_on: date
    description: str
    status: IncidentStatus
    exercise: bool = False
    time_zone: str
    lead_org_id: int | None = None
    created_at: datetime


class IncidentQuery(Pagination):
    model_config = examples({"status": "response", "limit": 20, "offset": 0})

    status: IncidentStatus | None = None
    # Drills are left out unless asked for (or `status=exercise` asks for them alone).
    include_exercises: bool = False


class AgencyGrant(_In):
    """A government agency the lead agency lets act on its incident."""

    model_config = examples({"organization_id": 2})

    organization_id: int


class IncidentAgencyPublic(Output):
    """An agency acting on an incident: the lead agency, or one granted (with who and when)."""

    organization_id: int
    name: str
    lead: bool = False
    granted_by_id: int | None = None
    granted_at: datetime | None = None


class AreaCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "name": "Example Township",
            "parent_id": 1,
            "level": "township",
            "lat": 30.58,
            "lon": 114.29,
        }
    )

    incident_id: DbId
    name: str = Field(min_length=1, max_length=200)
    parent_id: DbId | None = None
    level: AreaLevel | None = None
    lat: float = Lat
    lon: float = Lon
    responsible_org_id: DbId | None = None
    # GeoJSON Polygon or MultiPolygon (an object, or its text from a form); blank: none.
    outline: dict[str, Any] | str | None = None

    _outline = field_validator("outline")(classmethod(lambda cls, v: parse_outline(v)))


class AreaUpdate(_In):
    """An area's name, position and outline; what is not sent stays (`outline: null` clears)."""

    model_config = examples(
        {
            "name": "Example Township",
            "lat": 30.58,
            "lon": 114.29,
            "outline": {
                "type": "Polygon",
                "coordinates": [[[114.2, 30.5], [114.4, 30.5], [114.4, 30.7], [114.2, 30.5]]],
            },
        }
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    outline: dict[str, Any] | str | None = None

    _outline = field_validator("outline")(classmethod(lambda cls, v: parse_outline(v)))


class AreaPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    parent_id: int | None
    name: str
    level: AreaLevel
    lat: float
    lon: float
    responsible_org_id: int | None = None
    outline: dict[str, Any] | None = None

    @field_validator("outline", mode="before")
    @classmethod
    def _stored(cls, value: Any) -> Any:
        return load_outline(value) if isinstance(value, str) else value


class AreaAgency(_In):
    """The government agency answerable for an area (null: none of its own)."""

    model_config = examples({"organization_id": 2})

    organization_id: DbId | None


class AreaQuery(Pagination):
    model_config = examples({"incident_id": 1, "limit": 100, "offset": 0})

    incident_id: DbId
    limit: int = Field(500, ge=1, le=2000)


# ---- needs


class NeedCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "area_id": 1,
            "title": "Drinking water for the school shelter",
            "category": "water_sanitation",
            "quantity": 500,
            "unit": "litres",
            "priority": "high",
            "needed_by": "2027-07-01",
            "lat": 30.59,
            "lon": 114.3,
            "description": "Bottled or tanked water for 120 people.",
        }
    )

    incident_id: DbId
    area_id: DbId | None = None
    title: str = Field(min_length=1, max_length=200)
    category: Category
    quantity: int = Field(gt=0, le=1_000_000_000)
    unit: str = Field(min_length=1, max_length=40)
    priority: Priority
    needed_by: date
    # Optional when an area is given: the need then sits at the area's coordinates.
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    description: str = Field("", max_length=20000)


class NeedUpdate(_In):
    model_config = examples(
        {
            "quantity": 600,
            "priority": "critical",
            "description": "The shelter took in 30 more people.",
        }
    )

    area_id: DbId | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    category: Category | None = None
    quantity: int | None = Field(None, gt=0, le=1_000_000_000)
    quantity_met: int | None = Field(None, ge=0, le=1_000_000_000)
    unit: str | None = Field(None, min_length=1, max_length=40)
    priority: Priority | None = None
    needed_by: date | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    description: str | None = Field(None, max_length=20000)
    # "open" reopens a closed or cancelled need; its status is then derived again.
    status: Literal["open", "closed", "cancelled"] | None = None


class NeedPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    area_id: int | None
    title: str
    category: Category
    quantity: int
    quantity_met: int
    unit: str
    priority: Priority
    needed_by: date
    lat: float
    lon: float
    description: str
    status: str
    created_at: datetime
    updated_at: datetime


_CURSOR = re.compile(r"^(\d{1,2})\.(\d{4}-\d{2}-\d{2})\.(\d{1,18})$")


def need_cursor(priority_rank: int, needed_by: date, need_id: int) -> str:
    """Where a page of the needs list ended, in the list's order: the next page starts after."""
    return f"{priority_rank}.{needed_by.isoformat()}.{need_id}"


def _check_cursor(value: str | None) -> str | None:
    if value is None:
        return None
    match = _CURSOR.match(value)
    try:
        if match is None:
            raise ValueError
        date.fromisoformat(match[2])
    except ValueError:
        raise ValueError(_("Not a cursor this list gave out")) from None
    return value


class NeedQuery(Pagination):
    model_config = examples(
        {"incident_id": 1, "category": "food", "status": "open", "limit": 20, "offset": 0},
        {"q": "water", "limit": 20},
    )

    incident_id: DbId | None = None
    area_id: DbId | None = None
    category: Category | None = None
    priority: Priority | None = None
    status: Literal["open", "partially_met", "met", "closed", "cancelled"] | None = None
    q: str | None = Field(None, max_length=100)
    # Keyset paging: the `next_cursor` of the page before. Each page then costs the same
    # short index range, however deep, where an offset walks past every row before it.
    cursor: str | None = Field(None, max_length=40)

    _cursor = field_validator("cursor")(_check_cursor)

    def after(self) -> tuple[int, date, int] | None:
        """The cursor as (priority rank, needed by, id)."""
        if self.cursor is None:
            return None
        rank, day, need_id = self.cursor.split(".")
        return int(rank), date.fromisoformat(day), int(need_id)


class NeedPage(Output):
    """A page of needs; `next_cursor` (when more follow) asks for the next page."""

    items: list[NeedPublic]
    total: int
    next_cursor: str | None = None


# ---- projects, milestones and tasks


class MilestoneCreate(_In):
    model_config = examples({"title": "Foundations poured", "due_on": "2027-09-30"})

    title: str = Field(min_length=1, max_length=200)
    due_on: date


class MilestonePublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    due_on: date
    reached_on: date | None


class ProjectCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "area_id": 1,
            "title": "Rebuild the Willow Village school",
            "description": "Two classrooms and a kitchen.",
            "lead_org_id": 1,
            "budget_minor": 250000000,
            "currency": "CNY",
            "starts_on": "2027-07-01",
            "due_on": "2028-06-30",
            "milestones": [{"title": "Foundations poured", "due_on": "2027-09-30"}],
        }
    )

    incident_id: DbId
    area_id: DbId | None = None
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    lead_org_id: DbId
    budget_minor: int = Field(ge=0, le=MONEY_MINOR_MAX)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    starts_on: date
    due_on: date
    milestones: list[MilestoneCreate] = []

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("due_on")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and value < starts_on:
            raise ValueError(_("The due date is before the start date"))
        return value


class ProjectUpdate(_In):
    model_config = examples({"budget_minor": 260000000, "due_on": "2028-08-31"})

    area_id: DbId | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000)
    lead_org_id: DbId | None = None
    budget_minor: int | None = Field(None, ge=0, le=MONEY_MINOR_MAX)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    starts_on: date | None = None
    due_on: date | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class TaskCreate(_In):
    model_config = examples(
        {
            "title": "Clear the debris from the school yard",
            "description": "Before the builders arrive.",
            "responsible_org_id": 4,
            "due_on": "2027-07-15",
        }
    )

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    responsible_org_id: DbId
    due_on: date


class TaskUpdate(_In):
    model_config = examples({"status": "in_progress", "progress": 40})

    status: TaskStatus | None = None
    progress: int | None = Field(None, ge=0, le=100)
    blocked_reason: str | None = Field(None, max_length=2000)
    # Only officials may change what the task is, whom it is assigned to and when it is due.
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000)
    responsible_org_id: DbId | None = None
    due_on: date | None = None


OFFICIAL_TASK_FIELDS = {"title", "description", "responsible_org_id", "due_on"}


class TaskPublic(Output):
    id: int
    project_id: int
    title: str
    description: str
    responsible_org_id: int
    responsible_org_name: str | None = None
    due_on: date
    status: TaskStatus
    blocked_reason: str | None
    progress: int
    completed_on: date | None
    updated_at: datetime


class ProjectPublic(Output):
    id: int
    incident_id: int
    area_id: int | None
    title: str
    description: str
    lead_org_id: int
    lead_org_name: str | None = None
    budget_minor: int
    currency: str
    starts_on: date
    due_on: date
    progress: int
    milestones: list[MilestonePublic] = []
    tasks: list[TaskPublic] = []


class ProjectQuery(Pagination):
    model_config = examples({"incident_id": 1, "limit": 20, "offset": 0})

    incident_id: DbId | None = None
    lead_org_id: DbId | None = None


# ---- supervision and reports


class SupervisionQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId | None = None


class SupervisionItem(Output):
    kind: Literal["task", "need", "disclosure"]
    id: int
    title: str
    incident_id: int
    project_id: int | None = None
    due_on: date
    days_late: int
    status: str
    progress: int | None = None
    blocked_reason: str | None = None
    # The agency the item was last escalated to, up the territory, and at which step.
    escalated_to_id: int | None = None
    escalated_to: str | None = None
    escalation_level: int | None = None


class SupervisionGroup(Output):
    organization_id: int | None
    organization_name: str
    counts: dict[str, int]
    overdue_tasks: list[SupervisionItem]
    at_risk_tasks: list[SupervisionItem]
    blocked_tasks: list[SupervisionItem]
    overdue_needs: list[SupervisionItem]
    # Late work other domains report through "supervision.items" (e.g. overdue disclosures).
    overdue_disclosures: list[SupervisionItem] = []


class SupervisionPanels(Output):
    """One incident's panels on the board of all incidents (see `SupervisionBoard.sections`)."""

    incident_id: int
    incident_name: str
    sections: dict[str, Any]


class SupervisionBoard(Output):
    incident_id: int | None
    as_of: date
    totals: dict[str, int]
    organizations: list[SupervisionGroup]
    # For one incident: other domains' panels from "supervision.sections", by domain name
    # (the page shows each with the template "<name>/_supervision.html").
    sections: dict[str, Any] = {}
    # For the board of all incidents: each incident's panels, in the order of the incidents.
    panels: list[SupervisionPanels] = []


class ReportCreate(_In):
    model_config = examples(
        {
            "incident_id": 1,
            "title": "Recovery update, week 6",
            "body_markdown": "Water is back in **all** townships.",
        }
    )

    incident_id: DbId
    title: str = Field(min_length=1, max_length=200)
    body_markdown: str = Field("", max_length=100_000)


class ReportUpdate(_In):
    model_config = examples({"title": "Recovery update, week 6 (corrected)"})

    title: str | None = Field(None, min_length=1, max_length=200)
    body_markdown: str | None = Field(None, max_length=100_000)


class ReportPublic(Output):
    id: int
    incident_id: int
    title: str
    body_markdown: str
    body_html: str
    status: str
    snapshot: dict[str, Any] | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReportQuery(Pagination):
    model_config = examples({"incident_id": 1, "status": "published", "limit": 20, "offset": 0})

    incident_id: DbId | None = None
    status: Literal["draft", "published"] | None = None


class NeedImport(Input):
    """A spreadsheet of needs to check, from a multipart form (the page's and the API's)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    incident_id: DbId
    file: Any = Field(None, validate_default=True)

    @field_validator("file")
    @classmethod
    def _spreadsheet(cls, value: Any) -> Any:
        if value is None or isinstance(value, str) or not getattr(value, "filename", None):
            raise ValueError(_("Choose a CSV or XLSX file."))
        return value


class ImportJobPublic(Output):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    filename: str
    status: str
    total_rows: int
    processed_rows: int
    created_count: int
    errors: list[dict[str, Any]] | None
    message: str | None


# ---- open data


class ExportQuery(Input):
    model_config = examples({"incident_id": 1})

    incident_id: DbId | None = None


class ExportPageQuery(ExportQuery):
    model_config = examples({"incident_id": 1, "limit": 100, "offset": 0})

    limit: int = Field(1000, ge=1, le=10000)
    offset: Offset = 0


class NeedExport(Output):
    need_id: int
    incident_id: int
    incident: str
    title: str
    category: str
    adm1: str
    area: str
    lat: float
    lon: float
    quantity: int
    quantity_met: int
    unit: str
    priority: str
    status: str
    needed_by: date
    updated_at: datetime

    @field_serializer("updated_at")
    def _iso(self, value: datetime) -> str:
        # The same text as the CSV's column (an offset, not "Z").
        return value.isoformat()


class ThreeWExport(Output):
    organization: str
    organization_type: str
    role: str
    sector: str
    project_id: int
    project: str
    activity: str
    incident_id: int
    incident: str
    adm1: str
    area: str
    lat: float | None
    lon: float | None
    start: date
    end: date
    status: str
    progress: int


class NeedExportPage(Output):
    items: list[NeedExport]
    total: int
    licence: str


class ThreeWExportPage(Output):
    items: list[ThreeWExport]
    total: int
    licence: str


# ---- site-wide search

SEARCH_KINDS = ("needs", "projects", "organizations", "shifts")


def _kinds(value: Any) -> Any:
    # `types=needs,shifts` or `types=needs&types=shifts`; an empty one means every kind.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SearchQuery(Input):
    """`q` is trimmed (runs of spaces count as one); `cursor` is the `next_cursor` of the page
    before. Organizations belong to no incident: `incident_id` narrows the other kinds."""

    model_config = examples(
        {"q": "water", "types": ["needs", "shifts"], "incident_id": 1, "limit": 20},
        {"q": "帐篷", "limit": 10},
    )

    q: Annotated[
        str,
        StringConstraints(min_length=1, max_length=100),
        BeforeValidator(lambda v: " ".join(v.split()) if isinstance(v, str) else v),
    ]
    types: Annotated[list[Literal[SEARCH_KINDS]], BeforeValidator(_kinds)] = Field(
        default_factory=list, max_length=len(SEARCH_KINDS)
    )
    incident_id: DbId | None = None
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=200)


class SearchItem(Output):
    kind: str
    id: int
    title: str
    detail: str
    url: str


class SearchResults(Output):
    """A page of hits, kinds in the order of `types` ("needs", "projects", "organizations",
    "shifts"), each in its list's order; `totals` counts every hit of each kind searched."""

    items: list[SearchItem]
    total: int
    totals: dict[str, int]
    next_cursor: str | None
