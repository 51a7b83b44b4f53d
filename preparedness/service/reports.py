"""Daily reports from site, the coordination page of an incident, and a team's public record."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.drills import not_drill
from core.i18n import _
from core.models import Organization, User
from preparedness.errors import InvalidTransition
from preparedness.models import DailyReport, Deployment, DeploymentStatus
from preparedness.schemas import DailyReportIn
from preparedness.service.deployments import get_deployment, hours
from preparedness.service.teams import ensure_member, get_team
from recovery.service import (
    NeedCreate,
    Priority,
    area_choices,
    create_need,
    ensure_can_act,
    get_area,
    get_incident,
    get_need,
    incident_today,
)

# A logistics need from site is wanted soon: it falls due this many days after the report.
NEED_DUE_DAYS = 2


async def file_report(
    session: AsyncSession, deployment_id: int, data: DailyReportIn, *, actor: User
) -> DailyReport:
    """The team's day on site; what it needs becomes needs of the incident in its area."""
    deployment = await get_deployment(session, deployment_id)
    ensure_member(actor, deployment.team_org_id)
    if deployment.status not in (DeploymentStatus.on_site, DeploymentStatus.completed):
        raise InvalidTransition(
            _("Reports are filed once the team has checked in."),
            fields={"status": deployment.status},
        )
    incident = await get_incident(session, deployment.incident_id)
    on = data.on or incident_today(incident)
    team_org = await session.get(Organization, deployment.team_org_id)
    # The needs are logged on behalf of the official who asked for the team: the team's
    # members are not officials of the incident.
    official = await session.get(User, deployment.requested_by_id)
    need_ids = []
    for item in data.needs:
        need = await create_need(
            session,
            NeedCreate(
                incident_id=deployment.incident_id,
                area_id=deployment.area_id,
                title=item.title
                or _("%(unit)s for %(team)s") % {"unit": item.unit, "team": team_org.name},
                category=item.category,
                quantity=item.quantity,
                unit=item.unit,
                priority=Priority.high,
                needed_by=on + timedelta(days=NEED_DUE_DAYS),
                description=_("Logistics need reported from site by %(team)s.")
                % {"team": team_org.name},
            ),
            actor=official,
        )
        need_ids.append(need.id)
    report = DailyReport(
        deployment_id=deployment.id,
        on=on,
        work_done=data.work_done,
        people_helped=data.people_helped,
        need_ids=need_ids,
        filed_by_id=actor.id,
    )
    session.add(report)
    await session.flush()
    await audit.record(
        session, actor=actor, action="deployment.report", obj=report, after=audit.snapshot(report)
    )
    return report


async def coordination(session: AsyncSession, incident_id: int, *, actor: User) -> dict:
    """Every area of the incident with its teams, their status and their open needs."""
    incident = await ensure_can_act(session, actor, incident_id)
    deployments = list(
        await session.scalars(
            select(Deployment).where(Deployment.incident_id == incident_id).order_by(Deployment.id)
        )
    )
    reports = list(
        await session.scalars(
            select(DailyReport).where(
                DailyReport.deployment_id.in_([d.id for d in deployments] or [0])
            )
        )
    )
    by_area: dict[int, list[dict]] = {}
    for d in deployments:
        org = await session.get(Organization, d.team_org_id)
        needs = []
        for report in reports:
            if report.deployment_id == d.id:
                needs.extend([await get_need(session, nid) for nid in report.need_ids])
        by_area.setdefault(d.area_id, []).append(
            {"deployment": d, "team": org.name, "needs": needs, "hours": hours(d)}
        )
    areas = [
        {"area": area, "depth": depth, "teams": by_area.get(area.id, [])}
        for area, depth in await area_choices(session, incident_id)
    ]
    return {"incident": incident, "areas": areas}


async def team_record(session: AsyncSession, org_id: int) -> dict:
    """A team's public page: its profile's public part, deployments and hours on site."""
    team = await get_team(session, org_id)
    org = await session.get(Organization, org_id)
    rows = list(
        await session.scalars(
            select(Deployment)
            .where(
                Deployment.team_org_id == org_id,
                Deployment.status.in_([DeploymentStatus.on_site, DeploymentStatus.completed]),
                # A drill's deployments are not in the team's public record.
                not_drill(Deployment.incident_id),
            )
            .order_by(Deployment.starts_on.desc())
        )
    )
    now = clock.utcnow()
    items = []
    for d in rows:
        incident = await get_incident(session, d.incident_id)
        area = await get_area(session, d.area_id)
        items.append({"deployment": d, "incident": incident, "area": area, "hours": hours(d, now)})
    return {
        "team": team,
        "organization": org,
        "deployments": items,
        "total_hours": round(sum(i["hours"] for i in items), 1),
    }
