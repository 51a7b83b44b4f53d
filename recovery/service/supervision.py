"""The supervision board: late, at-risk and blocked work, grouped by who is responsible."""

from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.domain import gather
from core.i18n import _
from core.models import Organization, User
from recovery.models import (
    Escalation,
    Incident,
    IncidentStatus,
    Need,
    NeedStatus,
    Project,
    Task,
    TaskStatus,
)
from recovery.schemas import (
    SupervisionBoard,
    SupervisionGroup,
    SupervisionItem,
    SupervisionPanels,
)
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_incident
from recovery.service.organizations import organization_names

AT_RISK_DAYS = 7
AT_RISK_PROGRESS = 50
KINDS = ("overdue_tasks", "at_risk_tasks", "blocked_tasks", "overdue_needs", "overdue_disclosures")
# Kinds that other domains add through the "supervision.items" providers.
PROVIDED = ("overdue_disclosures",)


async def _incidents(
    session: AsyncSession, incident_id: int | None, only: Select | None = None
) -> list[Incident]:
    if incident_id is not None:
        return [await get_incident(session, incident_id)]
    query = select(Incident).where(Incident.status != IncidentStatus.closed)
    if only is not None:
        query = query.where(Incident.id.in_(only))
    return list(await session.scalars(query))


async def board(
    session: AsyncSession,
    incident_id: int | None = None,
    *,
    today: date | None = None,
    only: Select | None = None,
) -> SupervisionBoard:
    """Overdue tasks and needs, at-risk tasks (due within 7 days, under 50 %), blocked tasks.

    Tasks count against their responsible organization; a need counts against the agency of
    the official who logged it. Each incident's deadlines use its own calendar day. Without
    an incident, the board covers the open incidents whose ids `only` selects (all when None).
    """
    incidents = await _incidents(session, incident_id, only)
    todays = {i.id: today or incident_today(i) for i in incidents}
    groups: dict[int | None, dict[str, list[SupervisionItem]]] = {}

    def add(org_id: int | None, kind: str, item: SupervisionItem) -> None:
        groups.setdefault(org_id, {k: [] for k in KINDS})[kind].append(item)

    if todays:
        horizon = max(todays.values()) + timedelta(days=AT_RISK_DAYS)
        tasks = await session.execute(
            select(Task, Project.incident_id)
            .join(Project, Project.id == Task.project_id)
            .where(
                Project.incident_id.in_(todays),
                Task.status != TaskStatus.done,
                (Task.due_on <= horizon) | (Task.status == TaskStatus.blocked),
            )
            .order_by(Task.due_on, Task.id)
        )
        for task, task_incident in tasks.all():
            day = todays[task_incident]
            item = SupervisionItem(
                kind="task",
                id=task.id,
                title=task.title,
                incident_id=task_incident,
                project_id=task.project_id,
                due_on=task.due_on,
                days_late=(day - task.due_on).days,
                status=task.status,
                progress=task.progress,
                blocked_reason=task.blocked_reason,
            )
            if task.due_on < day:
                add(task.responsible_org_id, "overdue_tasks", item)
            elif task.due_on <= day + timedelta(days=AT_RISK_DAYS) and (
                task.progress < AT_RISK_PROGRESS
            ):
                add(task.responsible_org_id, "at_risk_tasks", item)
            if task.status == TaskStatus.blocked:
                add(task.responsible_org_id, "blocked_tasks", item)
        needs = await session.execute(
            select(Need, User.organization_id)
            .outerjoin(User, User.id == Need.created_by_id)
            .where(
                Need.incident_id.in_(todays),
                Need.status.in_([NeedStatus.open.value, NeedStatus.partially_met.value]),
                Need.needed_by < max(todays.values()),
            )
            .order_by(Need.needed_by, Need.id)
        )
        for need, org_id in needs.all():
            day = todays[need.incident_id]
            if need.needed_by >= day:
                continue
            add(
                org_id,
                "overdue_needs",
                SupervisionItem(
                    kind="need",
                    id=need.id,
                    title=need.title,
                    incident_id=need.incident_id,
                    due_on=need.needed_by,
                    days_late=(day - need.needed_by).days,
                    status=need.status,
                ),
            )
        for incident in incidents:
            for kind, org_id, item in await provided_items(session, incident.id):
                add(org_id, kind, item)
    await _mark_escalated_items(
        session, [item for kinds in groups.values() for items in kinds.values() for item in items]
    )
    names = await organization_names(session, {k for k in groups if k is not None})
    result = [
        SupervisionGroup(
            organization_id=org_id,
            organization_name=names.get(org_id, "") if org_id else _("No organization"),
            counts={kind: len(items[kind]) for kind in KINDS},
            **items,
        )
        for org_id, items in groups.items()
    ]
    result.sort(key=lambda g: (-sum(g.counts.values()), g.organization_name))
    totals = {kind: sum(g.counts[kind] for g in result) for kind in KINDS}
    # Days late count from each incident's own today; the latest of them is the board's date.
    as_of = today or (max(todays.values()) if todays else clock.today())
    sections, panels = {}, []
    if incident_id is not None:
        sections = await gather("supervision.sections", session, incident_id)
    else:
        # Panels are per incident (a median wait or an oldest request does not add up across
        # incidents), so the board of all incidents shows each incident's own, by name.
        for incident in sorted(incidents, key=lambda i: (i.name, i.id)):
            found = await gather("supervision.sections", session, incident.id)
            if found:
                panels.append(
                    SupervisionPanels(
                        incident_id=incident.id, incident_name=incident.name, sections=found
                    )
                )
    return SupervisionBoard(
        incident_id=incident_id,
        as_of=as_of,
        totals=totals,
        organizations=result,
        sections=sections,
        panels=panels,
    )


async def latest_escalations(
    session: AsyncSession, kind: str, object_ids: list[int]
) -> dict[int, tuple[Escalation, str]]:
    """The highest step each object has reached, with the agency's name."""
    if not object_ids:
        return {}
    rows = await session.execute(
        select(Escalation, Organization.name)
        .join(Organization, Organization.id == Escalation.organization_id)
        .where(Escalation.kind == kind, Escalation.object_id.in_(object_ids))
        .order_by(Escalation.level)
    )
    return {step.object_id: (step, name) for step, name in rows.all()}


async def _mark_escalated_items(session: AsyncSession, items: list[SupervisionItem]) -> None:
    """Show on each task how far up the territory it has been escalated."""
    steps = await latest_escalations(session, "task", [i.id for i in items if i.kind == "task"])
    for item in items:
        if item.kind == "task" and item.id in steps:
            step, name = steps[item.id]
            item.escalated_to_id = step.organization_id
            item.escalated_to = name
            item.escalation_level = step.level


async def provided_items(
    session: AsyncSession, incident_id: int
) -> list[tuple[str, int | None, SupervisionItem]]:
    """What other domains report as late for this incident, each with its organization."""
    found = await gather("supervision.items", session, incident_id)
    items = []
    for kind in PROVIDED:
        for raw in found.get(kind, []):
            data = dict(raw)
            org_id = data.pop("organization_id", None)
            items.append((kind, org_id, SupervisionItem(**data)))
    return items


async def overdue_tasks_by_organization(
    session: AsyncSession,
) -> dict[int, list[tuple[Task, Project, Incident, int]]]:
    """Every open incident's overdue tasks, by responsible organization, with days late."""
    incidents = {i.id: i for i in await _incidents(session, None)}
    if not incidents:
        return {}
    rows = await session.execute(
        select(Task, Project)
        .join(Project, Project.id == Task.project_id)
        .where(Project.incident_id.in_(incidents), Task.status != TaskStatus.done)
        .order_by(Task.due_on, Task.id)
    )
    found: dict[int, list[tuple[Task, Project, Incident, int]]] = {}
    for task, project in rows.all():
        incident = incidents[project.incident_id]
        late = (incident_today(incident) - task.due_on).days
        if late > 0:
            found.setdefault(task.responsible_org_id, []).append((task, project, incident, late))
    return found


async def provided_by_organization(
    session: AsyncSession,
) -> dict[int, list[tuple[str, SupervisionItem, Incident]]]:
    """Every open incident's late work reported by other domains, by organization."""
    found: dict[int, list[tuple[str, SupervisionItem, Incident]]] = {}
    for incident in await _incidents(session, None):
        for kind, org_id, item in await provided_items(session, incident.id):
            if org_id is not None:
                found.setdefault(org_id, []).append((kind, item, incident))
    return found
