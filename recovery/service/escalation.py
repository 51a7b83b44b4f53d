"""Escalation by territory: overdue work is first reminded to its responsible organization,
then, every `COMMONS_ESCALATION_DAYS` days, handed one step up — to the agency responsible for
its area, then to the parent area's agency, up to the incident's lead agency."""

from collections.abc import Callable

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, notifications
from core.db import settings_of
from core.i18n import _, locale_object
from core.models import Organization
from recovery.models import Area, Escalation, Incident
from recovery.service.supervision import overdue_tasks_by_organization

KIND = "recovery.escalation"


async def agency_chain(
    session: AsyncSession, incident: Incident, area_id: int | None, *, skip: int | None = None
) -> list[tuple[int, int | None]]:
    """(agency, the area it answers for) from the area upward, each agency once, ending with
    the incident's lead agency; `skip` (the responsible organization) is never a step."""
    chain: list[tuple[int, int | None]] = []
    seen = {skip} if skip is not None else set()
    visited: set[int] = set()
    current = area_id
    while current is not None and current not in visited:
        visited.add(current)
        area = await session.get(Area, current)
        if area is None:
            break
        if area.responsible_org_id is not None and area.responsible_org_id not in seen:
            chain.append((area.responsible_org_id, area.id))
            seen.add(area.responsible_org_id)
        current = area.parent_id
    if incident.lead_org_id is not None and incident.lead_org_id not in seen:
        chain.append((incident.lead_org_id, None))
    return chain


def steps_reached(days_late: int, every: int) -> int:
    """How many steps up overdue work has gone: one more each `every` days late."""
    return max(days_late, 0) // every


async def escalate(
    session: AsyncSession,
    *,
    kind: str,
    object_id: int,
    incident: Incident,
    area_id: int | None,
    days_late: int,
    responsible_org_id: int | None,
    compose: Callable[[int, str | None], tuple[str, str]],
) -> list[Escalation]:
    """Record and mail each step the work has newly reached; a step is taken once.

    `compose(level, area_name)` writes the mail in the recipient's language."""
    every = settings_of(session).escalation_days
    chain = await agency_chain(session, incident, area_id, skip=responsible_org_id)
    reached = min(steps_reached(days_late, every), len(chain))
    if reached == 0:
        return []
    taken = set(
        await session.scalars(
            select(Escalation.level).where(
                Escalation.kind == kind, Escalation.object_id == object_id
            )
        )
    )
    made = []
    for level in range(1, reached + 1):
        if level in taken:
            continue
        org_id, for_area = chain[level - 1]
        step = Escalation(
            kind=kind,
            object_id=object_id,
            incident_id=incident.id,
            level=level,
            organization_id=org_id,
            area_id=for_area,
            days_late=days_late,
        )
        session.add(step)
        await session.flush()
        area_name = (await session.get(Area, for_area)).name if for_area else None
        await notifications.queue_for_organization(
            session,
            organization_id=org_id,
            kind=KIND,
            compose=lambda level=level, area_name=area_name: compose(level, area_name),
        )
        await audit.record(
            session, actor=None, action=f"{kind}.escalate", obj=step, after=audit.snapshot(step)
        )
        made.append(step)
    return made


def _task_mail(task, project, incident, late: int, org_name: str):
    def compose(level: int, area_name: str | None) -> tuple[str, str]:
        params = {
            "task": task.title,
            "project": project.title,
            "incident": incident.name,
            "organization": org_name,
            "due": format_date(task.due_on, "medium", locale=locale_object()),
            "late": late,
            "area": area_name or incident.name,
        }
        subject = _("Escalated to you: %(task)s is %(late)s day(s) overdue") % params
        body = (
            _(
                "The task %(task)s (%(project)s, %(incident)s), the responsibility of "
                "%(organization)s, was due %(due)s and is %(late)s day(s) late. It has been "
                "reminded and is now escalated to your agency, responsible for %(area)s. Please "
                "follow it up with %(organization)s."
            )
            % params
        )
        return subject, body

    return compose


async def escalate_overdue_tasks(session: AsyncSession, payload: dict) -> dict:
    """Job `recovery.escalate_tasks`, hourly: overdue tasks take the steps they have reached."""
    made = 0
    for org_id, items in (await overdue_tasks_by_organization(session)).items():
        org = await session.get(Organization, org_id)
        for task, project, incident, late in items:
            made += len(
                await escalate(
                    session,
                    kind="task",
                    object_id=task.id,
                    incident=incident,
                    area_id=project.area_id,
                    days_late=late,
                    responsible_org_id=task.responsible_org_id,
                    compose=_task_mail(task, project, incident, late, org.name if org else ""),
                )
            )
    return {"escalated": made}
