"""Rebuilding projects, milestones and tasks: one responsible organization per task, roll-up."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.errors import Forbidden, InvalidInput
from core.i18n import _
from core.models import Organization, User
from recovery.models import Milestone, Project, Task, TaskStatus
from recovery.schemas import (
    OFFICIAL_TASK_FIELDS,
    MilestoneCreate,
    ProjectCreate,
    ProjectPublic,
    ProjectQuery,
    ProjectUpdate,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
)
from recovery.service.access import (
    can_update_task,
    ensure_official,
    is_official,
    verified_organization,
)
from recovery.service.incidents import incident_today
from recovery.service.lookup import (
    get_area,
    get_incident,
    get_project,
    lock_project,
    lock_task,
)


def rolled_up_progress(tasks: list[Task]) -> int:
    """A project's progress: the mean of its tasks' progress, done tasks counting in full."""
    if not tasks:
        return 0
    total = sum(100 if t.status == TaskStatus.done else t.progress for t in tasks)
    return round(total / len(tasks))


async def project_tasks(session: AsyncSession, project_id: int) -> list[Task]:
    rows = await session.scalars(
        select(Task).where(Task.project_id == project_id).order_by(Task.due_on, Task.id)
    )
    return list(rows)


async def incident_projects(session: AsyncSession, incident_id: int) -> list[Project]:
    """An incident's projects in creation order, for other domains' pickers and exports."""
    rows = await session.scalars(
        select(Project).where(Project.incident_id == incident_id).order_by(Project.id)
    )
    return list(rows)


async def refresh_progress(session: AsyncSession, project: Project) -> Project:
    project.progress = rolled_up_progress(await project_tasks(session, project.id))
    await session.flush()
    return project


async def create_project(session: AsyncSession, data: ProjectCreate, *, actor: User) -> Project:
    await ensure_official(session, actor)
    await get_incident(session, data.incident_id)
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
    return project


async def update_project(
    session: AsyncSession, project_id: int, data: ProjectUpdate, *, actor: User
) -> Project:
    """An official's correction of a project's title, area, lead, budget or dates."""
    await ensure_official(session, actor)
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
    return project


async def add_milestone(
    session: AsyncSession, project_id: int, data: MilestoneCreate, *, actor: User
) -> Milestone:
    await ensure_official(session, actor)
    await get_project(session, project_id)
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
    await ensure_official(session, actor)
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None:
        raise InvalidInput(_("No such milestone."), fields={"milestone_id": _("not found")})
    project = await get_project(session, milestone.project_id)
    incident = await get_incident(session, project.incident_id)
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


async def list_milestones(session: AsyncSession, project_id: int) -> list[Milestone]:
    rows = await session.scalars(
        select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.due_on)
    )
    return list(rows)


async def list_projects(
    session: AsyncSession, query: ProjectQuery
) -> tuple[list[tuple[Project, str]], int]:
    conditions = []
    if query.incident_id is not None:
        conditions.append(Project.incident_id == query.incident_id)
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


async def create_task(
    session: AsyncSession, project_id: int, data: TaskCreate, *, actor: User
) -> Task:
    await ensure_official(session, actor)
    # The project is locked while its progress is recomputed, so concurrent task changes
    # cannot leave it rolled up from a stale set of tasks.
    project = await lock_project(session, project_id)
    await verified_organization(session, data.responsible_org_id, "responsible_org_id")
    now = utcnow()
    task = Task(project_id=project.id, **data.model_dump(), created_at=now, updated_at=now)
    session.add(task)
    await session.flush()
    await audit.record(
        session, actor=actor, action="task.create", obj=task, after=audit.snapshot(task)
    )
    await refresh_progress(session, project)
    return task


def _apply_status(task: Task, changes: dict, today) -> None:
    """Keep status, progress, reason and completion date consistent with each other."""
    status = changes.get("status")
    progress = changes.get("progress")
    if progress is not None:
        task.progress = progress
    if status is None and progress is not None:
        if progress == 100:
            status = TaskStatus.done
        elif task.status == TaskStatus.done or task.status == TaskStatus.todo and progress > 0:
            status = TaskStatus.in_progress
    if "blocked_reason" in changes:
        task.blocked_reason = (changes["blocked_reason"] or "").strip() or None
    if status is not None:
        task.status = status
        if status == TaskStatus.todo and progress is None:
            task.progress = 0
    if task.status == TaskStatus.blocked:
        if not task.blocked_reason:
            raise InvalidInput(
                _("Say why the task is blocked."),
                fields={"blocked_reason": _("required when the task is blocked")},
            )
    else:
        task.blocked_reason = None
    if task.status == TaskStatus.done:
        task.progress = 100
        task.completed_on = task.completed_on or today
    else:
        if task.progress == 100:
            raise InvalidInput(
                _("A task at full progress is done; mark it done or lower the progress."),
                fields={"progress": _("full progress only when done")},
            )
        task.completed_on = None


async def update_task(
    session: AsyncSession, task_id: int, data: TaskUpdate, *, actor: User | None
) -> Task:
    """Officials may change anything; the responsible organization its status and progress."""
    task = await lock_task(session, task_id)
    if not await can_update_task(session, actor, task):
        raise Forbidden(_("Only officials and the responsible organization may update this task."))
    changes = data.model_dump(exclude_unset=True)
    official_changes = OFFICIAL_TASK_FIELDS & set(changes)
    if official_changes and not await is_official(session, actor):
        field = sorted(official_changes)[0]
        raise Forbidden(
            _("Only officials may change a task's title, description, assignee or due date."),
            fields={field: _("officials only")},
        )
    project = await lock_project(session, task.project_id)
    incident = await get_incident(session, project.incident_id)
    before = audit.snapshot(task)
    for key in OFFICIAL_TASK_FIELDS & set(changes):
        value = changes[key]
        if value is None and key != "description":
            raise InvalidInput(
                _("%(field)s cannot be empty.") % {"field": key}, fields={key: _("cannot be empty")}
            )
        if key == "responsible_org_id":
            await verified_organization(session, value, "responsible_org_id")
        setattr(task, key, value if value is not None else "")
    _apply_status(task, changes, incident_today(incident))
    task.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="task.update",
        obj=task,
        before=before,
        after=audit.snapshot(task),
    )
    await refresh_progress(session, project)
    return task


async def organization_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {org_id: name for org_id, name in rows.all()}


async def assignable_organizations(session: AsyncSession) -> list[Organization]:
    """Verified organizations, which may lead projects and be responsible for tasks."""
    rows = await session.scalars(select(Organization).order_by(Organization.name))
    return [org for org in rows if org.is_verified()]


def task_public(task: Task, names: dict[int, str]) -> TaskPublic:
    return TaskPublic(
        **task.model_dump(exclude={"created_at"}),
        responsible_org_name=names.get(task.responsible_org_id),
    )


async def project_public(session: AsyncSession, project: Project) -> ProjectPublic:
    tasks = await project_tasks(session, project.id)
    milestones = await list_milestones(session, project.id)
    names = await organization_names(
        session, {project.lead_org_id, *(t.responsible_org_id for t in tasks)}
    )
    return ProjectPublic(
        **project.model_dump(exclude={"created_at", "created_by_id"}),
        lead_org_name=names.get(project.lead_org_id),
        milestones=[m.model_dump() for m in milestones],
        tasks=[task_public(t, names) for t in tasks],
    )
