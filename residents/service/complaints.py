"""Complaints and feedback: each has a responsible organization, a due date and a resolution."""

import secrets
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, notifications
from core.clock import utcnow
from core.drills import not_drill
from core.errors import Forbidden, NotFound
from core.i18n import _
from core.models import User
from recovery.service import (
    can_act,
    escalate,
    get_incident,
    get_need,
    get_project,
    get_task,
)
from residents.models import Complaint, ComplaintAbout
from residents.schemas import Accountability, ComplaintCreate, ComplaintView
from residents.service.requests import token_hash

# Days the responsible organization has to resolve a complaint before it escalates.
RESOLVE_WITHIN_DAYS = 14


async def _responsible(session: AsyncSession, data: ComplaintCreate, lead_org_id) -> int | None:
    """The organization of the task or project complained about, the organization itself,
    or else the incident's lead agency."""
    if data.about_kind == ComplaintAbout.task:
        return (await get_task(session, data.about_id)).responsible_org_id
    if data.about_kind == ComplaintAbout.project:
        return (await get_project(session, data.about_id)).lead_org_id
    if data.about_kind == ComplaintAbout.organization:
        return data.about_id
    if data.about_kind == ComplaintAbout.need:
        await get_need(session, data.about_id)
    return lead_org_id


async def file_complaint(session: AsyncSession, data: ComplaintCreate) -> tuple[Complaint, str]:
    incident = await get_incident(session, data.incident_id)
    token = secrets.token_urlsafe(24)
    now = utcnow()
    complaint = Complaint(
        **data.model_dump(),
        responsible_org_id=await _responsible(session, data, incident.lead_org_id),
        due_at=now + timedelta(days=RESOLVE_WITHIN_DAYS),
        token_hash=token_hash(token),
        created_at=now,
    )
    session.add(complaint)
    await session.flush()
    await audit.record(
        session,
        actor=None,
        action="complaint.create",
        obj=complaint,
        after={"about_kind": complaint.about_kind, "about_id": complaint.about_id},
    )
    return complaint, token


async def list_complaints(session: AsyncSession, user: User, incident_id: int) -> list[Complaint]:
    if not await can_act(session, user, incident_id):
        raise Forbidden("Only officials acting on this incident see its complaints.")
    rows = await session.execute(
        select(Complaint).where(Complaint.incident_id == incident_id).order_by(Complaint.due_at)
    )
    return list(rows.scalars())


async def resolve(session: AsyncSession, complaint_id: int, resolution: str, *, actor: User):
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("No such complaint.")
    responsible = actor.organization_id is not None and (
        actor.organization_id == complaint.responsible_org_id
    )
    if not responsible and not await can_act(session, actor, complaint.incident_id):
        raise Forbidden("Only the responsible organization or an official may resolve this.")
    complaint.status = "resolved"
    complaint.resolution = resolution
    complaint.resolved_at = utcnow()
    await session.flush()
    await audit.record(session, actor=actor, action="complaint.resolve", obj=complaint)
    return complaint


async def complaint_view(session: AsyncSession, token: str) -> ComplaintView:
    row = await session.execute(select(Complaint).where(Complaint.token_hash == token_hash(token)))
    complaint = row.scalar_one_or_none()
    if complaint is None:
        raise NotFound("No complaint has this follow-up link.")
    return ComplaintView.model_validate(complaint, from_attributes=True)


async def accountability(session: AsyncSession, org_id: int) -> Accountability:
    """Counts only: complaints received, resolved in time, resolved late, open; a drill's
    complaints are not in an organization's public record."""
    resolved = Complaint.resolved_at.is_not(None)
    row = (
        await session.execute(
            select(
                func.count(Complaint.id),
                func.coalesce(
                    func.sum(
                        case((resolved & (Complaint.resolved_at <= Complaint.due_at), 1), else_=0)
                    ),
                    0,
                ),
                func.coalesce(
                    func.sum(
                        case((resolved & (Complaint.resolved_at > Complaint.due_at), 1), else_=0)
                    ),
                    0,
                ),
                func.coalesce(func.sum(case((~resolved, 1), else_=0)), 0),
            ).where(Complaint.responsible_org_id == org_id, not_drill(Complaint.incident_id))
        )
    ).one()
    return Accountability(
        complaints_received=row[0], resolved_in_time=row[1], resolved_late=row[2], open=row[3]
    )


async def organization_record(session: AsyncSession, org_id: int) -> dict:
    """Provider "organization.record": the complaint counts on the organization's page, once
    it has received any."""
    counts = await accountability(session, org_id)
    return {"complaints": counts.model_dump()} if counts.complaints_received else {}


def _overdue_mail(complaint: Complaint, incident_name: str):
    def compose() -> tuple[str, str]:
        params = {
            "id": complaint.id,
            "incident": incident_name,
            "due": f"{complaint.due_at:%Y-%m-%d}",
        }
        return (
            _("Complaint %(id)s is overdue") % params,
            _("Complaint %(id)s on %(incident)s was due %(due)s and is not resolved.") % params,
        )

    return compose


async def _area_of(session: AsyncSession, complaint: Complaint) -> int | None:
    """The area the complaint is about, so it can climb that area's agencies."""
    if complaint.about_id is None:
        return None
    if complaint.about_kind == ComplaintAbout.task:
        task = await get_task(session, complaint.about_id)
        return (await get_project(session, task.project_id)).area_id
    if complaint.about_kind == ComplaintAbout.project:
        return (await get_project(session, complaint.about_id)).area_id
    if complaint.about_kind == ComplaintAbout.need:
        return (await get_need(session, complaint.about_id)).area_id
    return None


def _escalation_mail(complaint: Complaint, incident_name: str, days_late: int):
    def compose(level: int, area_name: str | None) -> tuple[str, str]:
        params = {
            "id": complaint.id,
            "incident": incident_name,
            "due": f"{complaint.due_at:%Y-%m-%d}",
            "late": days_late,
            "area": area_name or incident_name,
        }
        return (
            _("Escalated to you: complaint %(id)s is %(late)s day(s) overdue") % params,
            _(
                "Complaint %(id)s on %(incident)s was due %(due)s and is not resolved. It was "
                "reminded to the organization responsible and is now escalated to your agency, "
                "responsible for %(area)s."
            )
            % params,
        )

    return compose


async def escalate_overdue(session: AsyncSession, payload: dict) -> dict:
    """Job `residents.escalate_complaints`: an overdue complaint is first reminded to its
    responsible organization (the lead agency when none), then climbs the territory's agencies
    (recovery's escalation: its area's agency, the parent area's, the lead agency)."""
    now = utcnow()
    rows = await session.execute(
        select(Complaint).where(Complaint.status == "open", Complaint.due_at < now)
    )
    reminded = escalated = 0
    for complaint in rows.scalars().all():
        incident = await get_incident(session, complaint.incident_id)
        if complaint.escalated_at is None:
            complaint.escalated_at = now
            target = complaint.responsible_org_id or incident.lead_org_id
            if target is not None:
                await notifications.queue_for_organization(
                    session,
                    organization_id=target,
                    kind="residents.complaint_overdue",
                    compose=_overdue_mail(complaint, incident.name),
                )
            reminded += 1
        days_late = (now - complaint.due_at).days
        steps = await escalate(
            session,
            kind="complaint",
            object_id=complaint.id,
            incident=incident,
            area_id=await _area_of(session, complaint),
            days_late=days_late,
            responsible_org_id=complaint.responsible_org_id,
            compose=_escalation_mail(complaint, incident.name, days_late),
        )
        escalated += len(steps)
    await session.flush()
    return {"reminded": reminded, "escalated": escalated}
