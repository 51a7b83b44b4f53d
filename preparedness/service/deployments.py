"""Deployments by zone: requested by officials, accepted by teams, checked in and out on site."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.i18n import _
from core.models import User
from preparedness.errors import (
    DeploymentNotFound,
    InvalidTeam,
    InvalidTransition,
    NotCertified,
    ZoneFull,
)
from preparedness.models import HOLDS_PLACE, Deployment, DeploymentStatus, Zone
from preparedness.schemas import CheckOut, DeploymentCreate, Position
from preparedness.service.teams import ensure_member, get_team, is_certified
from recovery.service import ensure_can_act, get_area, get_incident, get_task, incident_today


async def set_zone(session: AsyncSession, area_id: int, max_teams: int, *, actor: User) -> Zone:
    area = await get_area(session, area_id)
    await ensure_can_act(session, actor, area.incident_id)
    zone = await session.scalar(select(Zone).where(Zone.area_id == area_id))
    before = audit.snapshot(zone) if zone else None
    if zone is None:
        zone = Zone(area_id=area_id, max_teams=max_teams)
        session.add(zone)
    else:
        zone.max_teams = max_teams
    await session.flush()
    await audit.record(
        session, actor=actor, action="zone.set", obj=zone, before=before, after=audit.snapshot(zone)
    )
    return zone


async def _locked_zone(session: AsyncSession, area_id: int) -> Zone | None:
    # FOR UPDATE serializes requests for one area on PostgreSQL; on SQLite the write
    # transaction (BEGIN IMMEDIATE) already runs alone.
    return await session.scalar(
        select(Zone)
        .where(Zone.area_id == area_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def teams_in_zone(session: AsyncSession, area_id: int, starts_on, ends_on) -> int:
    """Deployments holding a place in the area whose dates overlap the given ones."""
    return await session.scalar(
        select(func.count(Deployment.id)).where(
            Deployment.area_id == area_id,
            Deployment.status.in_([s.value for s in HOLDS_PLACE]),
            Deployment.starts_on <= ends_on,
            Deployment.ends_on >= starts_on,
        )
    )


async def request_deployment(
    session: AsyncSession, data: DeploymentCreate, *, actor: User
) -> Deployment:
    incident = await ensure_can_act(session, actor, data.incident_id)
    area = await get_area(session, data.area_id)
    if area.incident_id != incident.id:
        raise InvalidTeam(
            _("The area is not in this incident."), fields={"area_id": _("not in incident")}
        )
    if data.task_id is not None:
        await get_task(session, data.task_id)
    team = await get_team(session, data.team_org_id)
    if data.capability not in team.capabilities:
        raise InvalidTeam(
            _("The team does not offer this capability."),
            fields={"capability": _("not offered by the team")},
        )
    if not await is_certified(session, data.team_org_id, data.capability, incident_today(incident)):
        raise NotCertified(
            _("The team holds no current certification for this capability."),
            fields={"capability": _("no current certification")},
        )
    zone = await _locked_zone(session, data.area_id)
    if zone is not None:
        held = await teams_in_zone(session, data.area_id, data.starts_on, data.ends_on)
        if held >= zone.max_teams:
            raise ZoneFull(
                _("This zone admits %(max)s teams at once and is full for these dates.")
                % {"max": zone.max_teams},
                fields={"area_id": _("zone full")},
            )
    deployment = Deployment(**data.model_dump(mode="python"), requested_by_id=actor.id)
    session.add(deployment)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="deployment.request",
        obj=deployment,
        after=audit.snapshot(deployment),
    )
    return deployment


async def get_deployment(session: AsyncSession, deployment_id: int) -> Deployment:
    deployment = await session.get(Deployment, deployment_id)
    if deployment is None:
        raise DeploymentNotFound(_("No such deployment."), fields={"id": _("not found")})
    return deployment


async def list_deployments(
    session: AsyncSession, incident_id: int, *, actor: User
) -> list[Deployment]:
    await ensure_can_act(session, actor, incident_id)
    rows = await session.scalars(
        select(Deployment).where(Deployment.incident_id == incident_id).order_by(Deployment.id)
    )
    return list(rows)


async def _move(
    session: AsyncSession,
    deployment_id: int,
    actor: User,
    allowed_from: tuple[DeploymentStatus, ...],
    to: DeploymentStatus,
    **values,
) -> Deployment:
    deployment = await get_deployment(session, deployment_id)
    ensure_member(actor, deployment.team_org_id)
    if deployment.status not in allowed_from:
        raise InvalidTransition(
            _("This deployment is %(status)s; that cannot be done now.")
            % {"status": deployment.status},
            fields={"status": deployment.status},
        )
    before = audit.snapshot(deployment)
    deployment.status = to
    for key, value in values.items():
        setattr(deployment, key, value)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=f"deployment.{to.value}",
        obj=deployment,
        before=before,
        after=audit.snapshot(deployment),
    )
    return deployment


async def accept(session: AsyncSession, deployment_id: int, *, actor: User) -> Deployment:
    return await _move(
        session,
        deployment_id,
        actor,
        (DeploymentStatus.requested,),
        DeploymentStatus.accepted,
        decided_at=clock.utcnow(),
    )


async def decline(session: AsyncSession, deployment_id: int, *, actor: User) -> Deployment:
    return await _move(
        session,
        deployment_id,
        actor,
        (DeploymentStatus.requested,),
        DeploymentStatus.declined,
        decided_at=clock.utcnow(),
    )


async def check_in(
    session: AsyncSession, deployment_id: int, at: Position, *, actor: User
) -> Deployment:
    return await _move(
        session,
        deployment_id,
        actor,
        (DeploymentStatus.accepted,),
        DeploymentStatus.on_site,
        checked_in_at=clock.utcnow(),
        check_in_lat=at.lat,
        check_in_lon=at.lon,
    )


async def check_out(
    session: AsyncSession, deployment_id: int, at: CheckOut, *, actor: User
) -> Deployment:
    return await _move(
        session,
        deployment_id,
        actor,
        (DeploymentStatus.on_site,),
        DeploymentStatus.completed,
        checked_out_at=clock.utcnow(),
        check_out_lat=at.lat,
        check_out_lon=at.lon,
    )


def hours(deployment: Deployment, now: datetime | None = None) -> float:
    """Hours on site: from check-in to check-out (or to now while still on site)."""
    if deployment.checked_in_at is None:
        return 0.0
    end = deployment.checked_out_at or (now or clock.utcnow())
    return round((end - deployment.checked_in_at).total_seconds() / 3600, 1)


async def incident_of(session: AsyncSession, deployment: Deployment):
    return await get_incident(session, deployment.incident_id)
