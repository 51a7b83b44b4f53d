"""`commons remind`: queue one reminder per responsible organization about its overdue tasks."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Router

from core import audit, notifications
from core.db import Database, utcnow
from core.models import Organization, OutboxMessage
from core.settings import Settings
from recovery.routes import projects as project_pages
from recovery.service.supervision import overdue_tasks_by_organization

KIND = "recovery.overdue_tasks"
# The task pages' routes, to reverse their URLs outside a request.
_TASK_URLS = Router(routes=project_pages.routes)


def _body(org: Organization, items, settings: Settings) -> str:
    lines = [
        f"Dear {org.name},",
        "",
        "These recovery tasks your organization is responsible for are past their due date:",
        "",
    ]
    for task, project, incident, late in items:
        lines.append(
            f"- {task.title} ({project.title}, {incident.name}): due {task.due_on.isoformat()}, "
            f"{late} day(s) late, {task.progress}% done, status {task.status}"
        )
        path = _TASK_URLS.url_path_for("recovery:task", id=task.id)
        lines.append(f"  {settings.base_url.rstrip('/')}{path}")
    lines += [
        "",
        "Please update each task's progress, or mark it blocked with the reason, so the",
        "recovery office can see where help is needed.",
    ]
    return "\n".join(lines)


async def queue_reminders(session: AsyncSession, settings: Settings) -> int:
    """Queue reminders; an organization reminded in the last 20 hours is not reminded again."""
    found = await overdue_tasks_by_organization(session)
    recent = set(
        await session.scalars(
            select(OutboxMessage.organization_id).where(
                OutboxMessage.kind == KIND,
                OutboxMessage.created_at > utcnow() - timedelta(hours=20),
            )
        )
    )
    queued = 0
    for org_id, items in sorted(found.items()):
        if org_id in recent:
            continue
        org = await session.get(Organization, org_id)
        if org is None:
            continue
        messages = await notifications.queue_for_organization(
            session,
            organization_id=org_id,
            kind=KIND,
            subject=f"{len(items)} overdue recovery task(s) for {org.name}",
            body=_body(org, items, settings),
        )
        if messages:
            await audit.record(
                session,
                actor=None,
                action="task.remind",
                obj=org,
                after={"tasks": [task.id for task, *_rest in items], "messages": len(messages)},
            )
        queued += len(messages)
    return queued


async def run(settings: Settings) -> int:
    """Queue the reminders in one transaction; returns how many messages were queued."""
    database = Database(settings)
    try:
        async with database.transaction() as session:
            return await queue_reminders(session, settings)
    finally:
        await database.dispose()
