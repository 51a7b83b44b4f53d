"""`commons remind`: queue one reminder per responsible organization about its overdue tasks
and the other late work domains report (such as overdue public disclosures)."""

from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Router

from core import audit, notifications
from core.clock import utcnow, zone
from core.db import Database, settings_of
from core.i18n import _, current_locale, locale_object
from core.models import Organization, OutboxMessage
from core.settings import Settings
from recovery import labels
from recovery.routes import tasks as task_routes
from recovery.service.supervision import overdue_tasks_by_organization, provided_by_organization

KIND = "recovery.overdue_tasks"
MORNING_HOUR = 8
# The task page's route, so a reminder links to the same URL the site serves, outside a request.
_TASK_URLS = Router(routes=task_routes.routes)


def _body(org: Organization, items, settings: Settings, provided=()) -> str:
    lines = [_("Dear %(organization)s,") % {"organization": org.name}, ""]
    if items:
        lines += [
            _("These recovery tasks your organization is responsible for are past their due date:"),
            "",
        ]
    for task, project, incident, late in items:
        lines.append(
            "- "
            + _(
                "%(task)s (%(project)s, %(incident)s): due %(due)s, %(late)s day(s) late, "
                "%(progress)s%% done, status %(status)s"
            )
            % {
                "task": task.title,
                "project": project.title,
                "incident": incident.name,
                "due": format_date(task.due_on, "medium", locale=locale_object()),
                "late": late,
                "progress": task.progress,
                "status": str(labels.TASK_STATUS.get(task.status, task.status)),
            }
        )
        path = _TASK_URLS.url_path_for("task", id=task.id)
        lines.append(f"  {settings.base_url.rstrip('/')}{path}")
    if provided:
        lines += ["", _("These public disclosures of your projects are overdue:"), ""]
    for _kind, item, incident in provided:
        lines.append(
            "- "
            + _("Disclosure of %(project)s (%(incident)s): due %(due)s, %(late)s day(s) late")
            % {
                "project": item.title,
                "incident": incident.name,
                "due": format_date(item.due_on, "medium", locale=current_locale.get()),
                "late": item.days_late,
            }
        )
    lines += [
        "",
        _(
            "Please update each task's progress, or mark it blocked with the reason, so the "
            "recovery office can see where help is needed."
        ),
    ]
    return "\n".join(lines)


def _subject(org: Organization, items, provided=()) -> str:
    if not items:
        return _("%(count)s overdue public disclosure(s) for %(organization)s") % {
            "count": len(provided),
            "organization": org.name,
        }
    return _("%(count)s overdue recovery task(s) for %(organization)s") % {
        "count": len(items),
        "organization": org.name,
    }


async def queue_reminders(
    session: AsyncSession, settings: Settings, *, morning_only: bool = False
) -> int:
    """Queue reminders; an organization reminded in the last 20 hours is not reminded again.

    `morning_only` keeps the tasks of incidents where it is now the reminder hour (08:00 to
    08:59 in the incident's own time zone): the hourly job mails each zone at its morning."""
    found = await overdue_tasks_by_organization(session)
    if morning_only:
        now = utcnow()
        found = {
            org_id: kept
            for org_id, items in found.items()
            if (
                kept := [
                    item
                    for item in items
                    if now.astimezone(zone(item[2].time_zone)).hour == MORNING_HOUR
                ]
            )
        }
    provided = await provided_by_organization(session)
    recent = set(
        await session.scalars(
            select(OutboxMessage.organization_id).where(
                OutboxMessage.kind == KIND,
                OutboxMessage.created_at > utcnow() - timedelta(hours=20),
            )
        )
    )
    queued = 0
    for org_id in sorted(set(found) | set(provided)):
        items, extra = found.get(org_id, []), provided.get(org_id, [])
        if org_id in recent:
            continue
        org = await session.get(Organization, org_id)
        if org is None:
            continue
        messages = await notifications.queue_for_organization(
            session,
            organization_id=org_id,
            kind=KIND,
            compose=lambda org=org, items=items, extra=extra: (
                _subject(org, items, extra),
                _body(org, items, settings, extra),
            ),
        )
        if messages:
            await audit.record(
                session,
                actor=None,
                action="task.remind",
                obj=org,
                after={
                    "tasks": [task.id for task, *_rest in items],
                    "disclosures": [item.project_id for _kind, item, _i in extra],
                    "messages": len(messages),
                },
            )
        queued += len(messages)
    return queued


async def morning_reminders(session: AsyncSession, payload: dict) -> dict:
    """Job `recovery.morning_reminders`, hourly: the overdue-work mail of each incident whose
    morning it is."""
    return {"queued": await queue_reminders(session, settings_of(session), morning_only=True)}


async def run(database: Database) -> int:
    """Queue the reminders in one transaction; returns how many messages were queued."""
    try:
        async with database.transaction() as session:
            return await queue_reminders(session, database.settings)
    finally:
        await database.dispose()
