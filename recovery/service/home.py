"""Recovery's part of each role's home page: overdue and new work, an NGO's tasks."""

from datetime import timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Organization, OrgStatus, Role, User
from recovery.models import Need, NeedStatus, Project, Task, TaskStatus
from recovery.service.access import acting_incident_ids
from recovery.service.tasks import organization_tasks, task_rows

SHOWN = 5
# A need logged this recently is "new" on the official's day.
NEW_NEEDS = timedelta(days=3)
OPEN = (NeedStatus.open.value, NeedStatus.partially_met.value)


async def overdue_tasks(session: AsyncSession, incident_ids: Select) -> tuple[list[dict], int]:
    """Open tasks past their due date in these incidents, most days late first."""
    rows = await task_rows(
        session, Project.incident_id.in_(incident_ids), Task.status != TaskStatus.done
    )
    late = [item for item in rows if item["days_late"] > 0]
    late.sort(key=lambda item: (-item["days_late"], item["task"].id))
    organizations = dict(
        (
            await session.execute(
                select(Organization.id, Organization.name).where(
                    Organization.id.in_({i["task"].responsible_org_id for i in late[:SHOWN]})
                )
            )
        ).all()
    )
    for item in late:
        item["organization"] = organizations.get(item["task"].responsible_org_id, "")
    return late[:SHOWN], len(late)


async def unserved_needs(
    session: AsyncSession, incident_ids: Select, served: Select, *, limit: int = SHOWN
) -> tuple[list[Need], int]:
    """Open needs of these incidents whose id is not in `served` (a subquery of need ids, e.g.
    the needs another domain has an offer for), most urgent first, and how many in all."""
    conditions = (
        Need.incident_id.in_(incident_ids),
        Need.status.in_(OPEN),
        Need.quantity_met < Need.quantity,
        Need.id.not_in(served),
    )
    rows = await session.scalars(
        select(Need).where(*conditions).order_by(Need.priority_rank, Need.needed_by, Need.id)
    )
    found = list(rows.all())
    total = await session.scalar(select(func.count()).select_from(Need).where(*conditions))
    return found[:limit], total or 0


async def home_panel(session: AsyncSession, user_id: int) -> dict:
    """Provider "home.panels": the official's overdue work and new needs, the NGO's tasks, the
    administrator's organizations waiting for verification."""
    user = await session.get(User, user_id)
    if user is None:
        return {}
    if user.role == Role.official and user.organization_id:
        incidents = acting_incident_ids(user)
        late, late_total = await overdue_tasks(session, incidents)
        since = utcnow() - NEW_NEEDS
        new_conditions = (
            Need.incident_id.in_(incidents),
            Need.created_at >= since,
            Need.status.in_(OPEN),
        )
        new_needs = list(
            await session.scalars(
                select(Need)
                .where(*new_conditions)
                .order_by(Need.created_at.desc(), Need.id.desc())
                .limit(SHOWN)
            )
        )
        new_total = await session.scalar(
            select(func.count()).select_from(Need).where(*new_conditions)
        )
        return {
            "recovery": {
                "role": "official",
                "overdue": late,
                "overdue_total": late_total,
                "new_needs": new_needs,
                "new_total": new_total or 0,
                "new_days": NEW_NEEDS.days,
            }
        }
    if user.role == Role.ngo and user.organization_id:
        items = [
            i
            for i in await organization_tasks(session, user.organization_id)
            if i["task"].status != TaskStatus.done
        ]
        return {
            "recovery": {
                "role": "ngo",
                "tasks": items[:SHOWN],
                "tasks_total": len(items),
                "overdue_total": sum(1 for i in items if i["days_late"]),
            }
        }
    if user.role == Role.admin:
        pending = await session.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.status == OrgStatus.pending)
        )
        return {"recovery": {"role": "admin", "pending_organizations": pending or 0}}
    return {}
