"""Organizations as recovery sees them: public profiles, track records, who may take on work."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.domain import gather
from core.drills import not_drill
from core.models import Organization, OrgStatus, User
from recovery.models import Incident, Project, Task, TaskStatus


@dataclass
class Verification:
    state: str  # "verified", "expired", "pending" or "rejected"
    verified_by: str | None
    verified_at: datetime | None
    verified_until: datetime | None


@dataclass
class TrackRecord:
    tasks_total: int
    tasks_done: int
    tasks_done_on_time: int
    overdue_now: int
    projects_led: int
    other: dict = field(default_factory=dict)


@dataclass
class WorkRow:
    project_id: int
    project: str
    incident: str
    task: str | None
    status: str
    due_on: date
    overdue: bool


async def verification(session: AsyncSession, org: Organization) -> Verification:
    """Who verified the organization and until when; only the admin's name is public."""
    verifier = None
    if org.verified_by_id is not None:
        verifier = await session.scalar(select(User.name).where(User.id == org.verified_by_id))
    if org.status == OrgStatus.verified:
        state = "verified" if org.is_verified(utcnow()) else "expired"
    else:
        state = org.status
    return Verification(state, verifier, org.verified_at, org.verified_until)


async def track_record(session: AsyncSession, org_id: int, today: date) -> TrackRecord:
    done = Task.status == TaskStatus.done
    row = (
        await session.execute(
            select(
                func.count(Task.id),
                func.coalesce(func.sum(case((done, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((and_(done, Task.completed_on <= Task.due_on), 1), else_=0)), 0
                ),
                func.coalesce(func.sum(case((and_(~done, Task.due_on < today), 1), else_=0)), 0),
            )
            .join(Project, Project.id == Task.project_id)
            # A drill's work is not in the public record.
            .where(Task.responsible_org_id == org_id, not_drill(Project.incident_id))
        )
    ).one()
    projects_led = await session.scalar(
        select(func.count())
        .select_from(Project)
        .where(Project.lead_org_id == org_id, not_drill(Project.incident_id))
    )
    other = await gather("organization.record", session, org_id)
    return TrackRecord(*row, projects_led=projects_led or 0, other=other)


async def current_work(
    session: AsyncSession, org_id: int, today: date, *, limit: int = 20
) -> list[WorkRow]:
    """Unfinished tasks the organization answers for, overdue and soonest due first."""
    rows = await session.execute(
        select(Project.id, Project.title, Incident.name, Task.title, Task.status, Task.due_on)
        .select_from(Task)
        .join(Project, Project.id == Task.project_id)
        .join(Incident, Incident.id == Project.incident_id)
        .where(
            Task.responsible_org_id == org_id,
            Task.status != TaskStatus.done,
            not_drill(Project.incident_id),
        )
        .order_by(Task.due_on, Task.id)
        .limit(limit)
    )
    return [WorkRow(*row, overdue=row[5] < today) for row in rows.all()]


async def overdue_counts(session: AsyncSession, org_ids: list[int], today: date) -> dict:
    """Unfinished tasks past due, per organization, for a page of organizations at once."""
    if not org_ids:
        return {}
    rows = await session.execute(
        select(Task.responsible_org_id, func.count())
        .join(Project, Project.id == Task.project_id)
        .where(
            Task.responsible_org_id.in_(org_ids),
            Task.status != TaskStatus.done,
            Task.due_on < today,
            not_drill(Project.incident_id),
        )
        .group_by(Task.responsible_org_id)
    )
    return dict(rows.all())


async def projects_led(session: AsyncSession, org_id: int, *, limit: int = 20) -> list:
    rows = await session.execute(
        select(Project.id, Project.title, Project.progress, Project.due_on)
        .where(Project.lead_org_id == org_id, not_drill(Project.incident_id))
        .order_by(Project.due_on.desc(), Project.id.desc())
        .limit(limit)
    )
    return list(rows.all())


# Built once: every project page reads it, and building it costs more than running it.
_NAMES = select(Organization.id, Organization.name).where(
    Organization.id.in_(bindparam("ids", expanding=True))
)


async def organization_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(_NAMES, {"ids": list(ids)})
    return {org_id: name for org_id, name in rows.all()}


async def assignable_organizations(session: AsyncSession) -> list[Organization]:
    """Verified organizations, which may lead projects and be responsible for tasks."""
    rows = await session.scalars(select(Organization).order_by(Organization.name))
    return [org for org in rows if org.is_verified()]
