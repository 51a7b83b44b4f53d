"""Residents' part of an official's home page: help requests waiting for triage."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Role, User
from recovery.service import acting_incident_ids
from residents.models import HelpRequest, RequestStatus

SHOWN = 5


async def home_panel(session: AsyncSession, user_id: int) -> dict:
    """Provider "home.panels": the oldest requests nobody has triaged yet, per incident."""
    user = await session.get(User, user_id)
    if user is None or user.role != Role.official or not user.organization_id:
        return {}
    waiting = (
        HelpRequest.incident_id.in_(acting_incident_ids(user)),
        HelpRequest.status == RequestStatus.received,
    )
    oldest = list(
        await session.scalars(
            select(HelpRequest)
            .where(*waiting)
            .order_by(HelpRequest.created_at, HelpRequest.id)
            .limit(SHOWN)
        )
    )
    total = await session.scalar(select(func.count()).select_from(HelpRequest).where(*waiting))
    # Only what triage needs to pick one: no names or phone numbers on the home page.
    items = [
        {
            "id": r.id,
            "reference": r.reference,
            "incident_id": r.incident_id,
            "category": r.category,
            "created_at": r.created_at,
        }
        for r in oldest
    ]
    return {"residents": {"to_triage": items, "to_triage_total": total or 0}}
