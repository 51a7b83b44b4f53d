"""The residents' panel of the supervision board: unanswered help requests by area and kind,
how long people wait, the oldest unanswered one, and complaints overdue by organization."""

from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Organization
from recovery.service import area_choices
from residents.models import OPEN_STATUSES, Complaint, HelpRequest, RequestStatus
from residents.schemas import (
    AreaWaiting,
    ComplaintsByOrganization,
    OldestRequest,
    ResidentsSupervision,
)

# A request nobody verified, converted or turned down within this long is overdue.
ANSWER_WITHIN_HOURS = 48


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


async def supervision_section(session: AsyncSession, incident_id: int) -> dict:
    """Provider "supervision.sections": the panel's figures, computed from indexed counts."""
    now = utcnow()
    late = now - timedelta(hours=ANSWER_WITHIN_HOURS)
    unanswered = HelpRequest.status == RequestStatus.received
    rows = await session.execute(
        select(
            HelpRequest.area_id,
            HelpRequest.category,
            func.count(),
            func.sum(case((unanswered, 1), else_=0)),
            func.sum(case((unanswered & (HelpRequest.created_at < late), 1), else_=0)),
        )
        .where(HelpRequest.incident_id == incident_id, HelpRequest.status.in_(OPEN_STATUSES))
        .group_by(HelpRequest.area_id, HelpRequest.category)
    )
    names = {area.id: area.name for area, _depth in await area_choices(session, incident_id)}
    by_area = [
        AreaWaiting(
            area_id=a,
            area_name=names.get(a, ""),
            category=c,
            open=n,
            unanswered=u or 0,
            overdue=o or 0,
        )
        for a, c, n, u, o in rows.all()
    ]
    by_area.sort(key=lambda r: (-r.overdue, -r.unanswered, r.area_id or 0, r.category))
    waiting = select(HelpRequest.created_at).where(
        HelpRequest.incident_id == incident_id, unanswered
    )
    count = sum(r.unanswered for r in by_area)
    oldest = median = None
    if count:
        first = (
            await session.execute(
                select(HelpRequest.id, HelpRequest.reference, HelpRequest.created_at)
                .where(HelpRequest.incident_id == incident_id, unanswered)
                .order_by(HelpRequest.created_at, HelpRequest.id)
                .limit(1)
            )
        ).one()
        oldest = OldestRequest(
            id=first[0],
            reference=first[1],
            created_at=first[2],
            waiting_hours=_hours(now - first[2]),
        )
        middle = await session.scalar(
            waiting.order_by(HelpRequest.created_at).offset(count // 2).limit(1)
        )
        median = _hours(now - middle) if middle else None
    return {
        "residents": ResidentsSupervision(
            answer_within_hours=ANSWER_WITHIN_HOURS,
            open=sum(r.open for r in by_area),
            unanswered=count,
            overdue=sum(r.overdue for r in by_area),
            median_wait_hours=median,
            oldest_unanswered=oldest,
            by_area=by_area,
            complaints=await _complaints(session, incident_id, now),
        ).model_dump(mode="json")
    }


async def _complaints(session: AsyncSession, incident_id: int, now) -> list:
    overdue = Complaint.due_at < now
    rows = await session.execute(
        select(
            Complaint.responsible_org_id,
            Organization.name,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((Complaint.escalated_at.is_not(None), 1), else_=0)),
        )
        .outerjoin(Organization, Organization.id == Complaint.responsible_org_id)
        .where(Complaint.incident_id == incident_id, Complaint.status == "open")
        .group_by(Complaint.responsible_org_id, Organization.name)
    )
    found = [
        ComplaintsByOrganization(
            organization_id=org_id,
            organization_name=name or "",
            open=n,
            overdue=o or 0,
            escalated=e or 0,
        )
        for org_id, name, n, o, e in rows.all()
    ]
    return sorted(found, key=lambda r: (-r.overdue, -r.open, r.organization_name))
