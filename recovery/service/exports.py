"""Open data: needs and who-does-what-where (3W) rows, their HXL hashtags and data dictionary."""

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.drills import not_drill
from core.i18n import lazy_gettext
from core.models import Organization
from recovery.models import Area, Incident, Need, Project, Task

LICENCE = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# Projects carry no sector of their own yet; all of them are rebuilding work.
PROJECT_SECTOR = "reconstruction"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    hxl: str
    description: Any


# Free text typed by people: a cell starting with one of these would run as a formula when the
# CSV is opened in a spreadsheet, so it is quoted (OWASP "CSV injection"). Numbers never are.
FREE_TEXT = {"incident", "title", "adm1", "area", "unit", "organization", "project", "activity"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key in FREE_TEXT and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


NEED_COLUMNS = (
    Column("need_id", "Need ID", "#meta+id", lazy_gettext("The need's number on this platform.")),
    Column("incident_id", "Incident ID", "#crisis+id", lazy_gettext("The incident's number.")),
    Column("incident", "Incident", "#crisis+name", lazy_gettext("The incident's name.")),
    Column("title", "Need", "#item+name", lazy_gettext("What is needed, in a few words.")),
    Column(
        "category",
        "Sector",
        "#sector",
        lazy_gettext("Category of the need, e.g. shelter, food, water_sanitation."),
    ),
    Column(
        "adm1", "Top-level area", "#adm1+name", lazy_gettext("The top-level area (e.g. county).")
    ),
    Column("area", "Area", "#loc+name", lazy_gettext("The area the need was logged in.")),
    Column("lat", "Latitude", "#geo+lat", lazy_gettext("Latitude, WGS 84.")),
    Column("lon", "Longitude", "#geo+lon", lazy_gettext("Longitude, WGS 84.")),
    Column("quantity", "Quantity needed", "#value+needed+num", lazy_gettext("How much is needed.")),
    Column("quantity_met", "Quantity met", "#value+met+num", lazy_gettext("How much is met.")),
    Column("unit", "Unit", "#item+unit", lazy_gettext("The unit of both quantities.")),
    Column(
        "priority",
        "Priority",
        "#severity",
        lazy_gettext("critical, high, medium or low."),
    ),
    Column(
        "status",
        "Status",
        "#status",
        lazy_gettext("open, partially_met, met, closed or cancelled."),
    ),
    Column("needed_by", "Needed by", "#date+deadline", lazy_gettext("Date, ISO 8601.")),
    Column("updated_at", "Updated", "#date+updated", lazy_gettext("Last change, UTC, ISO 8601.")),
)

THREE_W_COLUMNS = (
    Column("organization", "Organization", "#org+name", lazy_gettext("Who does the work.")),
    Column(
        "organization_type",
        "Organization type",
        "#org+type",
        lazy_gettext("government, ngo, company or community."),
    ),
    Column(
        "role",
        "Role",
        "#org+role",
        lazy_gettext("lead (leads the project) or responsible (answers for a task)."),
    ),
    Column(
        "sector",
        "Sector",
        "#sector",
        lazy_gettext("reconstruction: every project on the platform is rebuilding work."),
    ),
    Column("project_id", "Project ID", "#activity+project+id", lazy_gettext("Project number.")),
    Column("project", "Project", "#activity+project+name", lazy_gettext("The project.")),
    Column(
        "activity",
        "Activity",
        "#activity+name",
        lazy_gettext("The task, or the project itself for its lead."),
    ),
    Column("incident_id", "Incident ID", "#crisis+id", lazy_gettext("The incident's number.")),
    Column("incident", "Incident", "#crisis+name", lazy_gettext("The incident's name.")),
    Column("adm1", "Top-level area", "#adm1+name", lazy_gettext("The top-level area.")),
    Column("area", "Area", "#loc+name", lazy_gettext("Where the project works.")),
    Column("lat", "Latitude", "#geo+lat", lazy_gettext("Latitude of the area, WGS 84.")),
    Column("lon", "Longitude", "#geo+lon", lazy_gettext("Longitude of the area, WGS 84.")),
    Column("start", "Start", "#date+start", lazy_gettext("Project start, ISO 8601.")),
    Column("end", "Due", "#date+end", lazy_gettext("Due date, ISO 8601.")),
    Column("status", "Status", "#status", lazy_gettext("todo, in_progress, blocked or done.")),
    Column("progress", "Progress (%)", "#indicator+progress+pct", lazy_gettext("0 to 100.")),
)


class AreaNames:
    """Each area's own name and its top-level ancestor's, from one query per export."""

    def __init__(self, rows: list[tuple[int, int | None, str, float, float]]):
        self.rows = {area_id: (parent, name, lat, lon) for area_id, parent, name, lat, lon in rows}

    def top(self, area_id: int | None) -> str:
        seen = set()
        while area_id is not None and area_id in self.rows and area_id not in seen:
            seen.add(area_id)
            parent, name, _lat, _lon = self.rows[area_id]
            if parent is None:
                return name
            area_id = parent
        return ""

    def name(self, area_id: int | None) -> str:
        return self.rows[area_id][1] if area_id in self.rows else ""

    def point(self, area_id: int | None) -> tuple[float | None, float | None]:
        return (
            (self.rows[area_id][2], self.rows[area_id][3]) if area_id in self.rows else (None, None)
        )


async def _areas(session: AsyncSession, incident_id: int | None) -> AreaNames:
    query = select(Area.id, Area.parent_id, Area.name, Area.lat, Area.lon)
    if incident_id is not None:
        query = query.where(Area.incident_id == incident_id)
    return AreaNames([tuple(r) for r in (await session.execute(query)).all()])


def _needs_query(incident_id: int | None) -> Select:
    query = select(
        Need.id,
        Need.incident_id,
        Incident.name,
        Need.title,
        Need.category,
        Need.area_id,
        Need.lat,
        Need.lon,
        Need.quantity,
        Need.quantity_met,
        Need.unit,
        Need.priority,
        Need.status,
        Need.needed_by,
        Need.updated_at,
    ).join(Incident, Incident.id == Need.incident_id)
    # Drills are never in the open data, asked for by id or not.
    query = query.where(not_drill(Need.incident_id))
    if incident_id is not None:
        query = query.where(Need.incident_id == incident_id)
    return query.order_by(Need.id)


def _need_row(row, areas: AreaNames) -> dict[str, Any]:
    (nid, iid, incident, title, category, area_id, lat, lon, qty, met, unit) = row[:11]
    priority, status, needed_by, updated_at = row[11:]
    return {
        "need_id": nid,
        "incident_id": iid,
        "incident": incident,
        "title": title,
        "category": category,
        "adm1": areas.top(area_id),
        "area": areas.name(area_id),
        "lat": lat,
        "lon": lon,
        "quantity": qty,
        "quantity_met": met,
        "unit": unit,
        "priority": priority,
        "status": status,
        "needed_by": needed_by.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


def _three_w_query(incident_id: int | None) -> Select:
    project_status = case(
        (Project.progress >= 100, "done"), (Project.progress > 0, "in_progress"), else_="todo"
    )
    leads = select(
        Organization.name.label("organization"),
        Organization.kind.label("organization_type"),
        literal("lead").label("role"),
        Project.id.label("project_id"),
        Project.title.label("project"),
        Project.title.label("activity"),
        Project.incident_id.label("incident_id"),
        Incident.name.label("incident"),
        Project.area_id.label("area_id"),
        Project.starts_on.label("start"),
        Project.due_on.label("end"),
        project_status.label("status"),
        Project.progress.label("progress"),
        literal(0).label("sort_role"),
        literal(0).label("task_id"),
    ).select_from(Project)
    leads = leads.join(Organization, Organization.id == Project.lead_org_id).join(
        Incident, Incident.id == Project.incident_id
    )
    tasks = (
        select(
            Organization.name,
            Organization.kind,
            literal("responsible"),
            Project.id,
            Project.title,
            Task.title,
            Project.incident_id,
            Incident.name,
            Project.area_id,
            Project.starts_on,
            Task.due_on,
            Task.status,
            Task.progress,
            literal(1),
            Task.id,
        )
        .select_from(Task)
        .join(Project, Project.id == Task.project_id)
        .join(Organization, Organization.id == Task.responsible_org_id)
        .join(Incident, Incident.id == Project.incident_id)
    )
    leads = leads.where(not_drill(Project.incident_id))
    tasks = tasks.where(not_drill(Project.incident_id))
    if incident_id is not None:
        leads = leads.where(Project.incident_id == incident_id)
        tasks = tasks.where(Project.incident_id == incident_id)
    both = union_all(leads, tasks).subquery()
    return select(both).order_by(both.c.project_id, both.c.sort_role, both.c.task_id)


def _three_w_row(row, areas: AreaNames) -> dict[str, Any]:
    data = row._mapping
    lat, lon = areas.point(data["area_id"])
    return {
        "organization": data["organization"],
        "organization_type": data["organization_type"],
        "role": data["role"],
        "sector": PROJECT_SECTOR,
        "project_id": data["project_id"],
        "project": data["project"],
        "activity": data["activity"],
        "incident_id": data["incident_id"],
        "incident": data["incident"],
        "adm1": areas.top(data["area_id"]),
        "area": areas.name(data["area_id"]),
        "lat": lat,
        "lon": lon,
        "start": data["start"].isoformat(),
        "end": data["end"].isoformat(),
        "status": data["status"],
        "progress": data["progress"],
    }


DATASETS = {
    "needs": (NEED_COLUMNS, _needs_query, _need_row),
    "3w": (THREE_W_COLUMNS, _three_w_query, _three_w_row),
}


async def count_rows(session: AsyncSession, dataset: str, incident_id: int | None) -> int:
    _columns, build, _row = DATASETS[dataset]
    query = build(incident_id).order_by(None)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def rows(
    session: AsyncSession,
    dataset: str,
    incident_id: int | None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of rows, for the JSON exports."""
    _columns, build, to_row = DATASETS[dataset]
    areas = await _areas(session, incident_id)
    query = build(incident_id).limit(limit).offset(offset)
    return [to_row(row, areas) for row in (await session.execute(query)).all()]


async def stream_rows(
    session: AsyncSession, dataset: str, incident_id: int | None, *, batch: int = 2000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of the dataset, a batch at a time from a server-side cursor: the whole
    table is never held, however large."""
    _columns, build, to_row = DATASETS[dataset]
    areas = await _areas(session, incident_id)
    result = await session.stream(build(incident_id).execution_options(yield_per=batch))
    async for page in result.partitions(batch):
        yield [to_row(row, areas) for row in page]


async def csv_chunks(
    session: AsyncSession, dataset: str, incident_id: int | None, *, batch: int = 2000
) -> AsyncIterator[bytes]:
    """The HXL-tagged CSV: a header row, the hashtag row, then the data, streamed in batches."""
    columns = DATASETS[dataset][0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerow([c.hxl for c in columns])
    yield buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    async for page in stream_rows(session, dataset, incident_id, batch=batch):
        for data in page:
            writer.writerow([_cell(c.key, data[c.key]) for c in columns])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


async def json_chunks(
    session: AsyncSession, dataset: str, incident_id: int | None, *, batch: int = 2000
) -> AsyncIterator[bytes]:
    """HXL JSON, the CSV's shape as arrays: `[[headers], [hashtags], [row], …]`, streamed.

    Values keep their JSON types and text is not quoted against spreadsheets (that is the
    CSV's concern); libhxl and HXL Proxy read this form as they read the CSV."""
    columns = DATASETS[dataset][0]
    yield (
        "[\n"
        + json.dumps([c.header for c in columns], ensure_ascii=False)
        + ",\n"
        + json.dumps([c.hxl for c in columns], ensure_ascii=False)
    ).encode("utf-8")
    async for page in stream_rows(session, dataset, incident_id, batch=batch):
        yield "".join(
            ",\n" + json.dumps([data[c.key] for c in columns], ensure_ascii=False) for data in page
        ).encode("utf-8")
    yield b"\n]\n"
