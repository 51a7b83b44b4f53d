"""Rebuilding projects and their milestones; a project's progress is rolled up from its tasks."""

from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnElement

from core import audit
from core.db import core_connection, read_rows, records
from core.domain import Extensions
from core.drills import not_drill
from core.errors import InvalidInput
from core.events import publish
from core.i18n import _
from core.models import AuditEntry, Organization, User
from core.stacks import Stack
from recovery.errors import ProjectNotFound
from recovery.models import Area, Incident, Milestone, Project, Task
from recovery.schemas import MilestoneCreate, ProjectCreate, ProjectQuery, ProjectUpdate
from recovery.service.access import ensure_can_act, verified_organization
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_area, get_project, lock_project
from recovery.service.organizations import organization_names
from recovery.service.tasks import PROJECT_TASKS_NAMED, project_history, project_tasks, task_view


async def incident_projects(session: AsyncSession, incident_id: int) -> list[Project]:
    """An incident's projects in creation order, for other domains' pickers and exports."""
    rows = await session.scalars(
        select(Project).where(Project.incident_id == incident_id).order_by(Project.id)
    )
    return list(rows)


async def create_project(session: AsyncSession, data: ProjectCreate, *, actor: User) -> Project:
    await ensure_can_act(session, actor, data.incident_id)
    if data.area_id is not None:
        area = await get_area(session, data.area_id)
        if area.incident_id != data.incident_id:
            raise InvalidInput(
                _("The area belongs to another incident."),
                fields={"area_id": _("belongs to another incident")},
            )
    await verified_organization(session, data.lead_org_id, "lead_org_id")
    project = Project(**data.model_dump(exclude={"milestones"}), created_by_id=actor.id)
    session.add(project)
    await session.flush()
    await audit.record(
        session, actor=actor, action="project.create", obj=project, after=audit.snapshot(project)
    )
    for milestone in data.milestones:
        await add_milestone(session, project.id, milestone, actor=actor)
    publish(session, project.incident_id, "project")
    return project


async def update_project(
    session: AsyncSession, project_id: int, data: ProjectUpdate, *, actor: User
) -> Project:
    """An official's correction of a project's title, area, lead, budget or dates."""
    await ensure_can_act(session, actor, (await get_project(session, project_id)).incident_id)
    project = await lock_project(session, project_id)
    before = audit.snapshot(project)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("area_id") is not None:
        area = await get_area(session, changes["area_id"])
        if area.incident_id != project.incident_id:
            raise InvalidInput(
                _("The area belongs to another incident."),
                fields={"area_id": _("belongs to another incident")},
            )
    if changes.get("lead_org_id") is not None:
        await verified_organization(session, changes["lead_org_id"], "lead_org_id")
    for key, value in changes.items():
        if value is None and key not in ("area_id", "description"):
            raise InvalidInput(
                _("%(field)s cannot be empty.") % {"field": key}, fields={key: _("cannot be empty")}
            )
        setattr(project, key, value if value is not None or key == "area_id" else "")
    if project.due_on < project.starts_on:
        raise InvalidInput(
            _("The due date is before the start date."),
            fields={"due_on": _("before the start date")},
        )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="project.update",
        obj=project,
        before=before,
        after=audit.snapshot(project),
    )
    publish(session, project.incident_id, "project")
    return project


async def add_milestone(
    session: AsyncSession, project_id: int, data: MilestoneCreate, *, actor: User
) -> Milestone:
    project = await get_project(session, project_id)
    await ensure_can_act(session, actor, project.incident_id)
    milestone = Milestone(project_id=project_id, title=data.title, due_on=data.due_on)
    session.add(milestone)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="milestone.create",
        obj=milestone,
        after=audit.snapshot(milestone),
    )
    return milestone


async def reach_milestone(
    session: AsyncSession, milestone_id: int, *, actor: User, reached: bool = True
) -> Milestone:
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None:
        raise InvalidInput(_("No such milestone."), fields={"milestone_id": _("not found")})
    project = await get_project(session, milestone.project_id)
    incident = await ensure_can_act(session, actor, project.incident_id)
    before = audit.snapshot(milestone)
    milestone.reached_on = incident_today(incident) if reached else None
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="milestone.update",
        obj=milestone,
        before=before,
        after=audit.snapshot(milestone),
    )
    return milestone


# Built once: a project's page reads these, and building them costs more than running them.
_MILESTONES = (
    select(Milestone)
    .where(Milestone.project_id == bindparam("project_id"))
    .order_by(Milestone.due_on)
)


async def list_milestones(session: AsyncSession, project_id: int) -> list[Milestone]:
    rows = await session.scalars(_MILESTONES, {"project_id": project_id})
    return list(rows)


def project_currency(project_id) -> ColumnElement:
    """The currency of project `project_id` (a bound value, or the id column of the statement
    asking), as a scalar subquery: another domain's figures about a project in its currency."""
    own = Project.__table__.alias("currency_project")
    return select(own.c.currency).where(own.c.id == project_id).scalar_subquery()


# The tables' columns, not the models: the project's page only shows its rows (core.db.records).
_PROJECTS, _INCIDENTS, _AREAS = Project.__table__, Incident.__table__, Area.__table__
_ORGANIZATIONS, _MILESTONE_TABLE = Organization.__table__, Milestone.__table__
_TASKS, _ENTRIES = Task.__table__, AuditEntry.__table__
_PROJECT_WITH_PLACES = (
    select(_PROJECTS, _INCIDENTS, _AREAS, _ORGANIZATIONS.c.name)
    .join(_INCIDENTS, _INCIDENTS.c.id == _PROJECTS.c.incident_id)
    .outerjoin(_AREAS, _AREAS.c.id == _PROJECTS.c.area_id)
    .outerjoin(_ORGANIZATIONS, _ORGANIZATIONS.c.id == _PROJECTS.c.lead_org_id)
    .where(_PROJECTS.c.id == bindparam("project_id"))
)
# The project's row ends with its lead organization's name, then the other domains' funds.
_PLACES_WIDTH = len(_PROJECTS.columns) + len(_INCIDENTS.columns) + len(_AREAS.columns)
_MILESTONE_RECORDS = select(_MILESTONE_TABLE).where(
    _MILESTONE_TABLE.c.project_id == bindparam("project_id")
)
# A project page shows its newest audit rows, at most this many.
HISTORY_LIMIT = 100


class ProjectPageRows(NamedTuple):
    """What a project's page shows: read-only records, the funds, the history."""

    project: Any
    incident: Any
    area: Any
    lead_name: str | None
    tasks: list[tuple]
    milestones: list
    funds: dict
    history: list[tuple]


def _project_page_stack(extensions: Extensions) -> Stack:
    """The project with its incident, area, lead organization's name and the other domains'
    funds; its tasks with their organizations' names; its milestones; its history: one
    statement."""
    history = project_history(HISTORY_LIMIT).subquery()
    head = _PROJECT_WITH_PLACES.add_columns(
        *extensions.figure_columns("project.funds", _PROJECTS.c.id)
    )
    return Stack(
        (head, ()),
        (PROJECT_TASKS_NAMED, (_TASKS.c.due_on, _TASKS.c.id)),
        (_MILESTONE_RECORDS, (_MILESTONE_TABLE.c.due_on, _MILESTONE_TABLE.c.id)),
        (select(history), (history.c.id.desc(),)),
    )


async def project_page(session: AsyncSession, project_id: int) -> ProjectPageRows:
    """What a project's page shows, in one statement, as read-only records: a thousand
    projects read at random are a miss most of the time, and each statement more waited its
    turn of a busy event loop."""
    return await project_page_on(await core_connection(session), Extensions.of(session), project_id)


async def project_page_on(
    connection: AsyncConnection, extensions: Extensions, project_id: int
) -> ProjectPageRows:
    """`project_page` on a connection of its own: the signed-out lane (core/pages.py) reads
    it with no session."""
    stack = extensions.statement("project.page", _project_page_stack)
    rows = await read_rows(connection, stack.statement, {"project_id": project_id})
    head, tasks, milestones, history = stack.split(rows)
    if not head:
        raise ProjectNotFound(_("No such project."), fields={"project_id": _("not found")})
    (first,) = head
    project, incident, area = records(first, _PROJECTS, _INCIDENTS, _AREAS)
    return ProjectPageRows(
        project,
        incident,
        area,
        first[_PLACES_WIDTH],
        [(records(row, _TASKS)[0], row[-1]) for row in tasks],
        [records(row, _MILESTONE_TABLE)[0] for row in milestones],
        extensions.read_figures("project.funds", first[_PLACES_WIDTH + 1 :]),
        [(records(row, _ENTRIES)[0], row[-1]) for row in history],
    )


async def list_projects(
    session: AsyncSession, query: ProjectQuery
) -> tuple[list[tuple[Project, str]], int]:
    conditions = []
    if query.incident_id is not None:
        conditions.append(Project.incident_id == query.incident_id)
    else:
        # The platform-wide list leaves drills out (a drill's own list shows its projects).
        conditions.append(not_drill(Project.incident_id))
    if query.lead_org_id is not None:
        conditions.append(Project.lead_org_id == query.lead_org_id)
    total = await session.scalar(select(func.count()).select_from(Project).where(*conditions))
    rows = await session.execute(
        select(Project, Organization.name)
        .join(Organization, Organization.id == Project.lead_org_id)
        .where(*conditions)
        .order_by(Project.due_on, Project.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    return [(p, name) for p, name in rows.all()], total or 0


async def project_view(session: AsyncSession, project: Project) -> dict:
    """A project with its milestones, tasks and organizations' names, as the API shows it."""
    tasks = await project_tasks(session, project.id)
    names = await organization_names(
        session, {project.lead_org_id, *(t.responsible_org_id for t in tasks)}
    )
    return project.model_dump() | {
        "lead_org_name": names.get(project.lead_org_id),
        "milestones": await list_milestones(session, project.id),
        "tasks": [task_view(t, names) for t in tasks],
    }
