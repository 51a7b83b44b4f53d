"""Fundraising activities: an incident's appeals, which gifts may name and which disclose.

Each is run by one verified organization and discloses on the Charity Law's calendar like a
project (Order 81: one record per fundraising activity). Naming one does not restrict a gift.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import InvalidInput
from core.i18n import _
from core.models import Organization, OrgStatus, User
from donations.models import Donation, DonationStatus, FundraisingActivity
from donations.schemas import FundraisingCreate
from donations.service.disclosures import get_activity
from recovery.service import ensure_can_act

__all__ = ["create_activity", "get_activity", "list_activities", "raised"]


async def create_activity(
    session: AsyncSession, *, data: FundraisingCreate, actor: User
) -> FundraisingActivity:
    """Register an appeal for an incident, run by the actor's agency or another verified
    organization."""
    await ensure_can_act(session, actor, data.incident_id)
    organization_id = data.organization_id or actor.organization_id
    organization = await session.get(Organization, organization_id) if organization_id else None
    if organization is None or organization.status != OrgStatus.verified:
        raise InvalidInput(
            _("A fundraising activity is run by a verified organization."),
            fields={"organization_id": _("not a verified organization")},
        )
    activity = FundraisingActivity(
        **data.model_dump(exclude={"organization_id"}),
        organization_id=organization.id,
        created_by_id=actor.id,
    )
    session.add(activity)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="fundraising.create",
        obj=activity,
        after=audit.snapshot(activity),
    )
    return activity


async def raised(session: AsyncSession, activity_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per activity: what came through it in its own currency (received less refunds), and
    how many gifts that was."""
    if not activity_ids:
        return {}
    rows = await session.execute(
        select(
            Donation.fundraising_id,
            func.sum(func.coalesce(Donation.received_minor, 0) - Donation.refunded_minor),
            func.count(),
        )
        .join(FundraisingActivity, FundraisingActivity.id == Donation.fundraising_id)
        .where(
            Donation.fundraising_id.in_(activity_ids),
            Donation.status == DonationStatus.received.value,
            Donation.currency == FundraisingActivity.currency,
        )
        .group_by(Donation.fundraising_id)
    )
    return {activity_id: (int(total), count) for activity_id, total, count in rows}


async def list_activities(
    session: AsyncSession, incident_id: int, *, limit: int = 200, offset: int = 0
) -> tuple[list[dict], int]:
    """The incident's fundraising activities with what each raised (public)."""
    query = select(FundraisingActivity).where(FundraisingActivity.incident_id == incident_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    activities = list(
        await session.scalars(
            query.order_by(FundraisingActivity.starts_on, FundraisingActivity.id)
            .limit(limit)
            .offset(offset)
        )
    )
    figures = await raised(session, [a.id for a in activities])
    items = []
    for activity in activities:
        amount, gifts = figures.get(activity.id, (0, 0))
        items.append(activity.model_dump() | {"raised_minor": amount, "gifts": gifts})
    return items, total
