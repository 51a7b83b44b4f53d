"""Tasks of a project: exactly one responsible organization each, status kept consistent."""

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.errors import Forbidden, InvalidInput
from core.events import publish
from core.i18n import _
from core.models import AuditEntry, Organization, User
from recovery.models import Incident, Project, Task, TaskStatus
from recovery.schemas import OFFICIAL_TASK_FIELDS, TaskCreate, TaskUpdate
from recovery.service.access import (
    can_act,
    can_update_task,
    ensure_can_act,
    verified_organization,
)
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_incident, get_project, lock_project, lock_task
from recovery.service.organizations import organization_names


def rolled_up_progress(tasks: list[Task]) -> int:
    """A project's progress: the mean of its tasks' progress, done tasks counting in full."""
    if not tasks:
        return 0
    total = sum(100 if t.status == TaskStatus.done else t.progress for t in tasks)
    return round(total / len(tasks))


# Built once: a project's page reads these, and building them costs more than running them.
_PROJECT_TASKS = (
    select(Task).where(Task.project_id == bindparam("project_id")).order_by(Task.due_on, Task.id)
)


_TASKS, _ORGANIZATIONS = Task.__table__, Organization.__table__
# The project's tasks with their responsible organizations' names, a part of its page's
# statement (recovery/service/projects.py); the tables' columns: the page only shows them.
PROJECT_TASKS_NAMED = (
    select(_TASKS, _ORGANIZATIONS.c.name)
    .outerjoin(_ORGANIZATIONS, _ORGANIZATIONS.c.id == _TASKS.c.responsible_org_id)
    .where(_TASKS.c.project_id == bindparam("project_id"))
)


async def project_tasks(session: AsyncSession, project_id: int) -> list[Task]:
    rows = await session.scalars(_PROJECT_TASKS, {"project_id": project_id})
    return list(rows)


async def refresh_progress(session: AsyncSession, project: Project) -> Project:
    project.progress = rolled_up_progress(await project_tasks(session, project.id))
    await session.flush()
    # Every task change ends here: the project's progress and the overdue counts may move.
    publish(session, project.incident_id, "task")
    return project


async def create_task(
    session: AsyncSession, project_id: int, data: TaskCreate, *, actor: User
) -> Task:
    await ensure_can_act(session, actor, (await get_project(session, project_id)).incident_id)
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
    project = await lock_project(session, task.project_id)
    if official_changes and not await can_act(session, actor, project.incident_id):
        field = sorted(official_changes)[0]
        raise Forbidden(
            _("Only officials may change a task's title, description, assignee or due date."),
            fields={field: _("officials only")},
        )
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


def task_view(task: Task, names: dict[int, str]) -> dict:
    """A task with its responsible organization's name, as the API shows it."""
    return task.model_dump() | {"responsible_org_name": names.get(task.responsible_org_id)}


async def task_details(session: AsyncSession, task: Task) -> dict:
    """One task as the API shows it, with its responsible organization's name."""
    return task_view(task, await organization_names(session, {task.responsible_org_id}))


async def task_rows(session: AsyncSession, *where) -> list[dict]:
    """Tasks matching `where`, each with its project and incident, the incident's today, the
    days it is late (0 when done or not yet due) and the days until it is due (None when done)."""
    rows = (
        await session.execute(
            select(Task, Project, Incident)
            .join(Project, Project.id == Task.project_id)
            .join(Incident, Incident.id == Project.incident_id)
            .where(*where)
        )
    ).all()
    items = []
    for task, project, incident in rows:
        today = incident_today(incident)
        done = task.status == TaskStatus.done
        items.append(
            {
                "task": task,
                "project": project,
                "incident": incident,
                "today": today,
                "days_late": 0 if done else max((today - task.due_on).days, 0),
                "due_in": None if done else (task.due_on - today).days,
            }
        )
    return items


async def organization_tasks(session: AsyncSession, organization_id: int) -> list[dict]:
    """Every task the organization is responsible for, with its project and incident: open
    overdue work first (most days late first), then open work by due date, then done work."""
    items = await task_rows(session, Task.responsible_org_id == organization_id)
    items.sort(
        key=lambda i: (
            i["task"].status == TaskStatus.done,
            -i["days_late"],
            i["task"].due_on,
            i["task"].id,
        )
    )
    return items


_ENTRIES = AuditEntry.__table__


def project_history(limit: int) -> Select:
    """The project's own changes and each task added to it, newest first, at most `limit`,
    with the actors' names: a part of its page's statement (recovery/service/projects.py)."""
    # The tables' columns, not the models: the history is only shown (core.db.records).
    actor = User.__table__.alias("actor")
    entry = _ENTRIES.c
    project_id = bindparam("project_id")
    added = select(_TASKS.c.id).where(_TASKS.c.project_id == project_id)
    return (
        select(_ENTRIES, actor.c.name)
        .outerjoin(actor, actor.c.id == entry.actor_id)
        .where(
            ((entry.object_type == "projects") & (entry.object_id == project_id))
            | (
                (entry.object_type == "tasks")
                & (entry.action == "task.create")
                & entry.object_id.in_(added)
            )
        )
        .order_by(entry.id.desc())
        .limit(limit)
    )
