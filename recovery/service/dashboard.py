"""Incident figures for the public pages, each from one indexed aggregate query."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import gather
from core.models import Organization
from recovery.models import (
    Area,
    Incident,
    Need,
    NeedStatus,
    Project,
    Report,
    ReportStatus,
    Task,
    TaskStatus,
)
from recovery.service.incidents import list_incidents
from recovery.service.met import average_met, met_share_sum

# Statuses the charts show; cancelled needs are counted apart and left out of "percent met".
CHART_STATUSES = (NeedStatus.open, NeedStatus.partially_met, NeedStatus.met, NeedStatus.closed)


@dataclass
class CategoryRow:
    category: str
    counts: dict[str, int]
    total: int


@dataclass
class NeedFigures:
    total: int = 0
    cancelled: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: list[CategoryRow] = field(default_factory=list)
    met_share_sum: float = 0.0

    @property
    def percent_met(self) -> float | None:
        """The one "met" figure (recovery.service.met)."""
        return average_met(self.met_share_sum, self.total)


async def need_figures(session: AsyncSession, incident_id: int) -> NeedFigures:
    rows = await session.execute(
        select(Need.category, Need.status, func.count(), met_share_sum())
        .where(Need.incident_id == incident_id)
        .group_by(Need.category, Need.status)
    )
    figures = NeedFigures(by_status={s.value: 0 for s in CHART_STATUSES})
    categories: dict[str, dict[str, int]] = {}
    for category, status, count, share in rows.all():
        if status == NeedStatus.cancelled:
            figures.cancelled += count
            continue
        figures.total += count
        figures.met_share_sum += share or 0.0
        figures.by_status[status] = figures.by_status.get(status, 0) + count
        per = categories.setdefault(category, {s.value: 0 for s in CHART_STATUSES})
        per[status] = per.get(status, 0) + count
    figures.by_category = sorted(
        (CategoryRow(c, counts, sum(counts.values())) for c, counts in categories.items()),
        key=lambda row: (-row.total, row.category),
    )
    return figures


@dataclass
class ProjectRow:
    id: int
    title: str
    lead_org_id: int
    lead_org: str
    progress: int
    due_on: date
    tasks_total: int = 0
    tasks_done: int = 0


@dataclass
class ProjectFigures:
    total: int = 0
    completed: int = 0
    average_progress: float | None = None
    shown: list[ProjectRow] = field(default_factory=list)


async def project_figures(
    session: AsyncSession, incident_id: int, *, limit: int = 8
) -> ProjectFigures:
    total, completed, average = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Project.progress >= 100, 1), else_=0)), 0),
                func.avg(Project.progress),
            ).where(Project.incident_id == incident_id)
        )
    ).one()
    figures = ProjectFigures(
        total=total,
        completed=completed,
        average_progress=float(average) / 100 if average is not None else None,
    )
    # Unfinished projects due soonest first: what the public most wants to check on.
    rows = await session.execute(
        select(
            Project.id,
            Project.title,
            Project.lead_org_id,
            Organization.name,
            Project.progress,
            Project.due_on,
        )
        .join(Organization, Organization.id == Project.lead_org_id)
        .where(Project.incident_id == incident_id)
        .order_by((Project.progress >= 100).asc(), Project.due_on, Project.id)
        .limit(limit)
    )
    figures.shown = [ProjectRow(*row) for row in rows.all()]
    if figures.shown:
        counts = await session.execute(
            select(
                Task.project_id,
                func.count(),
                func.sum(case((Task.status == TaskStatus.done, 1), else_=0)),
            )
            .where(Task.project_id.in_([p.id for p in figures.shown]))
            .group_by(Task.project_id)
        )
        by_project = {pid: (n, done) for pid, n, done in counts.all()}
        for project in figures.shown:
            project.tasks_total, project.tasks_done = by_project.get(project.id, (0, 0))
    return figures


@dataclass
class OverdueRow:
    org_id: int
    name: str
    overdue: int


async def overdue_by_organization(
    session: AsyncSession, incident_id: int, today: date
) -> list[OverdueRow]:
    """Unfinished tasks past their due date, counted per responsible organization."""
    count = func.count(Task.id)
    rows = await session.execute(
        select(Organization.id, Organization.name, count)
        .select_from(Task)
        .join(Project, Project.id == Task.project_id)
        .join(Organization, Organization.id == Task.responsible_org_id)
        .where(
            Project.incident_id == incident_id,
            Task.status != TaskStatus.done,
            Task.due_on < today,
        )
        .group_by(Organization.id, Organization.name)
        .order_by(count.desc(), Organization.name)
    )
    return [OverdueRow(*row) for row in rows.all()]


async def latest_reports(session: AsyncSession, incident_id: int, *, limit: int = 5) -> list:
    rows = await session.execute(
        select(Report.id, Report.title, Report.published_at)
        .where(Report.incident_id == incident_id, Report.status == ReportStatus.published)
        .order_by(Report.published_at.desc(), Report.id.desc())
        .limit(limit)
    )
    return list(rows.all())


@dataclass
class UrgentNeed:
    id: int
    title: str
    category: str
    priority: str
    status: str
    quantity: int
    quantity_met: int
    unit: str
    needed_by: date


UNMET = (NeedStatus.open, NeedStatus.partially_met)
SETTLED = (NeedStatus.met, NeedStatus.closed)
PRIORITIES = ("critical", "high", "medium", "low")


async def _by_priority(
    session: AsyncSession, incident_id: int, statuses, columns, limit: int
) -> list:
    """Needs in `statuses`, highest priority then earliest deadline: one short query per
    priority on (incident_id, priority, needed_by), so a large incident never sorts them all."""
    found: list = []
    for priority in PRIORITIES:
        if len(found) >= limit:
            break
        rows = await session.execute(
            select(*columns)
            .where(
                Need.incident_id == incident_id,
                Need.priority == priority,
                Need.status.in_([s.value for s in statuses]),
            )
            .order_by(Need.needed_by, Need.id)
            .limit(limit - len(found))
        )
        found.extend(rows.all())
    return found


async def urgent_needs(session: AsyncSession, incident_id: int, *, limit: int = 5) -> list:
    columns = (
        Need.id,
        Need.title,
        Need.category,
        Need.priority,
        Need.status,
        Need.quantity,
        Need.quantity_met,
        Need.unit,
        Need.needed_by,
    )
    rows = await _by_priority(session, incident_id, UNMET, columns, limit)
    return [UrgentNeed(*row) for row in rows]


@dataclass
class IncidentSummary:
    incident: Incident
    needs: int
    needs_met: int
    percent_met: float | None
    projects: int


async def incident_summaries(
    session: AsyncSession, *, limit: int = 50, exercises: bool = False
) -> list[IncidentSummary]:
    """The incidents for the home page, newest first, each with its headline figures; drills
    only on their own list (`exercises`), never among the real incidents."""
    incidents, _total = await list_incidents(session, exercises_only=exercises, limit=limit)
    if not incidents:
        return []
    ids = [i.id for i in incidents]
    active = Need.status != NeedStatus.cancelled
    need_rows = await session.execute(
        select(
            Need.incident_id,
            func.count(),
            func.sum(case((Need.status == NeedStatus.met, 1), else_=0)),
            met_share_sum(),
        )
        .where(Need.incident_id.in_(ids), active)
        .group_by(Need.incident_id)
    )
    needs = {iid: (n, met, share) for iid, n, met, share in need_rows.all()}
    project_rows = await session.execute(
        select(Project.incident_id, func.count())
        .where(Project.incident_id.in_(ids))
        .group_by(Project.incident_id)
    )
    projects = dict(project_rows.all())
    summaries = []
    for incident in incidents:
        n, met, share = needs.get(incident.id, (0, 0, 0.0))
        summaries.append(
            IncidentSummary(
                incident=incident,
                needs=n,
                needs_met=met or 0,
                percent_met=average_met(share, n),
                projects=projects.get(incident.id, 0),
            )
        )
    return summaries


@dataclass
class MapPoint:
    id: int
    title: str
    category: str
    priority: str
    status: str
    lat: float
    lon: float


@dataclass
class MapData:
    points: list[MapPoint]
    total: int
    areas: list[tuple[str, float, float]]
    # recovery.service.maps: MapArea (with the shape to draw) and MapMark lists by layer.
    shapes: list = field(default_factory=list)
    layers: dict = field(default_factory=dict)


async def map_data(
    session: AsyncSession,
    incident_id: int,
    *,
    limit: int = 500,
    total: int | None = None,
    areas: bool = True,
) -> MapData:
    """The most urgent needs (unmet first), capped so the map stays light on a weak network;
    `total` when the caller has counted the needs already; without `areas` the caller reads
    them itself (recovery.service.maps)."""
    if total is None:
        total = await session.scalar(
            select(func.count())
            .select_from(Need)
            .where(Need.incident_id == incident_id, Need.status != NeedStatus.cancelled)
        )
    columns = (Need.id, Need.title, Need.category, Need.priority, Need.status, Need.lat, Need.lon)
    rows = await _by_priority(session, incident_id, UNMET, columns, limit)
    rows += await _by_priority(session, incident_id, SETTLED, columns, limit - len(rows))
    if not areas:
        return MapData([MapPoint(*row) for row in rows], total or 0, [])
    named = await session.execute(
        # Every level (county, townships, villages): the places people know the needs by.
        select(Area.name, Area.lat, Area.lon)
        .where(Area.incident_id == incident_id)
        .order_by(Area.parent_id.is_not(None), Area.name)
        .limit(50)
    )
    return MapData(
        points=[MapPoint(*row) for row in rows],
        total=total or 0,
        areas=[tuple(row) for row in named.all()],
    )


async def public_figures(session: AsyncSession, incident: Incident, today: date) -> dict:
    """The numbers the dashboard shows, as the JSON the live-update stream sends."""
    return figures_of(
        incident.id,
        await need_figures(session, incident.id),
        await project_figures(session, incident.id, limit=0),
        await overdue_by_organization(session, incident.id, today),
        await gather("incident.figures", session, incident.id),
    )


def figures_of(incident_id: int, needs, projects, overdue, extra: dict) -> dict:
    """public_figures from what the dashboard page read already (the live stream renders the
    page's sections and sends these figures from one set of reads)."""
    return {
        "incident_id": incident_id,
        "needs": {
            "total": needs.total,
            "cancelled": needs.cancelled,
            "percent_met": needs.percent_met,
            "by_status": needs.by_status,
            "by_category": {row.category: row.counts for row in needs.by_category},
        },
        "projects": {
            "total": projects.total,
            "completed": projects.completed,
            "average_progress": projects.average_progress,
        },
        "overdue_tasks": sum(row.overdue for row in overdue),
        **extra,
    }
