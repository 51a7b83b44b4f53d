"""The residents' panel of the supervision board: unanswered help requests by area and kind,
how long people wait, the oldest unanswered one, and complaints overdue by organization."""

from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Organization
from recovery.service import area_choices, latest_escalations
from residents.models import OPEN_STATUSES, Complaint, HelpRequest, RequestStatus
from residents.schemas import (
    AreaWaiting,
    ComplaintsByOrganization,
    OldestRequest,
    OverdueComplaint,
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
    complaints, overdue_complaints = await _complaints(session, incident_id, now)
    return {
        "residents": ResidentsSupervision(
            answer_within_hours=ANSWER_WITHIN_HOURS,
            open=sum(r.open for r in by_area),
            unanswered=count,
            overdue=sum(r.overdue for r in by_area),
            median_wait_hours=median,
            oldest_unanswered=oldest,
            by_area=by_area,
            complaints=complaints,
            overdue_complaints=overdue_complaints,
        ).model_dump(mode="json")
    }


async def _complaints(session: AsyncSession, incident_id: int, now) -> tuple[list, list]:
    """Open complaints by responsible organization, and each overdue one with the agency it
    has been escalated to (recovery's escalation by territory), for the board's "escalated to
    …"."""
    overdue = Complaint.due_at < now
    rows = await session.execute(
        select(
            Complaint.responsible_org_id,
            Organization.name,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
        )
        .outerjoin(Organization, Organization.id == Complaint.responsible_org_id)
        .where(Complaint.incident_id == incident_id, Complaint.status == "open")
        .group_by(Complaint.responsible_org_id, Organization.name)
    )
    late_rows = (
        await session.execute(
            select(
                Complaint.id, Complaint.about_kind, Complaint.responsible_org_id, Complaint.due_at
            )
            .where(Complaint.incident_id == incident_id, Complaint.status == "open", overdue)
            .order_by(Complaint.due_at, Complaint.id)
        )
    ).all()
    steps = await latest_escalations(session, "complaint", [row[0] for row in late_rows])
    names: dict[int | None, str] = {}
    found = []
    for org_id, name, n, o in rows.all():
        names[org_id] = name or ""
        found.append(
            ComplaintsByOrganization(
                organization_id=org_id, organization_name=name or "", open=n, overdue=o or 0,
                escalated=0,
            )
        )  # fmt: skip
    late = []
    for complaint_id, about_kind, org_id, due_at in late_rows:
        step, agency = steps.get(complaint_id, (None, None))
        late.append(
            OverdueComplaint(
                id=complaint_id,
                about_kind=about_kind,
                organization_id=org_id,
                organization_name=names.get(org_id, ""),
                due_at=due_at,
                days_late=(now - due_at).days,
                escalated_to_id=step.organization_id if step else None,
                escalated_to=agency,
                escalation_level=step.level if step else None,
            )
        )
    for row in found:
        reached = [c.escalated_to for c in late if c.organization_id == row.organization_id]
        reached = [agency for agency in reached if agency]
        row.escalated = len(reached)
        row.escalated_to = sorted(set(reached))
    found.sort(key=lambda r: (-r.overdue, -r.open, r.organization_name))
    return found, late
