"""Rebuilding projects and their milestones; a project's progress is rolled up from its tasks."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.db import core_connection, records
from core.drills import not_drill
from core.errors import InvalidInput
from core.events import publish
from core.i18n import _
from core.models import Organization, User
from recovery.errors import ProjectNotFound
from recovery.models import Area, Incident, Milestone, Project
from recovery.schemas import MilestoneCreate, ProjectCreate, ProjectQuery, ProjectUpdate
from recovery.service.access import ensure_can_act, verified_organization
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_area, get_project, lock_project
from recovery.service.organizations import organization_names
from recovery.service.tasks import project_tasks, task_view


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
# The project as a model: the funds it shows read it again through the session (get_project),
# which the identity map answers; incident and area are only shown (core.db.records).
_INCIDENTS, _AREAS, _ORGANIZATIONS = Incident.__table__, Area.__table__, Organization.__table__
_PROJECT_WITH_PLACES = (
    select(Project, _INCIDENTS, _AREAS, _ORGANIZATIONS.c.name)
    .join(_INCIDENTS, _INCIDENTS.c.id == Project.incident_id)
    .outerjoin(_AREAS, _AREAS.c.id == Project.area_id)
    .outerjoin(_ORGANIZATIONS, _ORGANIZATIONS.c.id == Project.lead_org_id)
    .where(Project.id == bindparam("project_id"))
)


async def list_milestones(session: AsyncSession, project_id: int) -> list[Milestone]:
    rows = await session.scalars(_MILESTONES, {"project_id": project_id})
    return list(rows)


_MILESTONE_TABLE = Milestone.__table__
# The same milestones as read-only records, for the project's page, which only shows them.
_MILESTONE_RECORDS = (
    select(_MILESTONE_TABLE)
    .where(_MILESTONE_TABLE.c.project_id == bindparam("project_id"))
    .order_by(_MILESTONE_TABLE.c.due_on)
)


async def milestone_records(session: AsyncSession, project_id: int) -> list:
    """The project's milestones by due date as read-only records (core.db.records)."""
    connection = await core_connection(session)
    rows = await connection.execute(_MILESTONE_RECORDS, {"project_id": project_id})
    return [records(row, _MILESTONE_TABLE)[0] for row in rows.all()]


async def project_with_places(session: AsyncSession, project_id: int) -> tuple:
    """A project with its incident and its area (None without one), both read-only records,
    and its lead organization's name, in one statement (its page shows all four)."""
    row = (await session.execute(_PROJECT_WITH_PLACES, {"project_id": project_id})).first()
    if row is None:
        raise ProjectNotFound(_("No such project."), fields={"project_id": _("not found")})
    return (row[0], *records(row[1:-1], _INCIDENTS, _AREAS), row[-1])


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
