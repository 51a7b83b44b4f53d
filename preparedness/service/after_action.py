"""The after-action report of an incident (a drill above all): per organization, how long each
step took and what was late."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.i18n import _
from core.models import Organization, User
from preparedness.models import Deployment, PlanActivation
from recovery.service import ensure_can_act, get_task, incident_today


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)


def _local_day(value: datetime | None, tz: str):
    return None if value is None else value.astimezone(clock.zone(tz)).date()


async def after_action(session: AsyncSession, incident_id: int, *, actor: User) -> dict:
    incident = await ensure_can_act(session, actor, incident_id)
    today = incident_today(incident)
    orgs: dict[int, dict] = {}

    async def entry(org_id: int) -> dict:
        if org_id not in orgs:
            org = await session.get(Organization, org_id)
            orgs[org_id] = {
                "organization_id": org_id,
                "name": org.name if org else "",
                "deployments": [],
                "tasks": [],
                "late": [],
            }
        return orgs[org_id]

    deployments = await session.scalars(
        select(Deployment).where(Deployment.incident_id == incident_id).order_by(Deployment.id)
    )
    for d in deployments:
        row = await entry(d.team_org_id)
        row["deployments"].append(
            {
                "deployment_id": d.id,
                "status": d.status,
                "hours_to_acceptance": _hours(d.requested_at, d.decided_at),
                "hours_to_check_in": _hours(d.requested_at, d.checked_in_at),
                "hours_to_completion": _hours(d.requested_at, d.checked_out_at),
            }
        )
        arrived = _local_day(d.checked_in_at, incident.time_zone)
        if (arrived or today) > d.starts_on and d.status != "declined":
            row["late"].append(
                _("Deployment %(id)s: on site after its start date %(day)s.")
                % {"id": d.id, "day": d.starts_on.isoformat()}
            )
        left = _local_day(d.checked_out_at, incident.time_zone)
        if d.status == "on_site" and today > d.ends_on or (left and left > d.ends_on):
            row["late"].append(
                _("Deployment %(id)s: finished after its end date %(day)s.")
                % {"id": d.id, "day": d.ends_on.isoformat()}
            )
    activations = await session.scalars(
        select(PlanActivation).where(PlanActivation.incident_id == incident_id)
    )
    for activation in activations:
        for task_id in activation.task_ids:
            task = await get_task(session, task_id)
            row = await entry(task.responsible_org_id)
            done = task.completed_on
            row["tasks"].append(
                {
                    "task_id": task.id,
                    "title": task.title,
                    "due_on": task.due_on,
                    "completed_on": done,
                    "status": task.status,
                }
            )
            if (done and done > task.due_on) or (done is None and today > task.due_on):
                row["late"].append(
                    _("Task %(title)s: due %(day)s.")
                    % {"title": task.title, "day": task.due_on.isoformat()}
                )
    return {
        "incident_id": incident.id,
        "status": incident.status,
        "organizations": sorted(orgs.values(), key=lambda r: r["name"]),
    }
