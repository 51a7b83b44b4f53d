"""What the public may know of help requests: counts per area, category and status."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from residents.models import HelpRequest
from residents.schemas import RequestCount


async def request_counts(session: AsyncSession, incident_id: int) -> list[RequestCount]:
    rows = await session.execute(
        select(HelpRequest.area_id, HelpRequest.category, HelpRequest.status, func.count())
        .where(HelpRequest.incident_id == incident_id)
        .group_by(HelpRequest.area_id, HelpRequest.category, HelpRequest.status)
        .order_by(HelpRequest.area_id, HelpRequest.category, HelpRequest.status)
    )
    return [RequestCount(area_id=a, category=c, status=s, count=n) for a, c, s, n in rows.all()]


async def incident_figures(session: AsyncSession, incident_id: int) -> dict:
    """Provider "incident.figures": request counts by status, no personal data."""
    total: dict[str, int] = {}
    for row in await request_counts(session, incident_id):
        total[row.status] = total.get(row.status, 0) + row.count
    return {"help_requests": total}
