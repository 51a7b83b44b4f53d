"""Site-wide search over volunteers' public records: open shifts that have not ended."""

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.dates import format_span
from core.domain import SearchGroup, SearchHit
from core.domain import search_contains as _contains
from core.drills import not_drill
from core.i18n import lazy_gettext
from volunteers.models import Shift, ShiftStatus
from volunteers.service.browse import incident_zones


async def search(session: AsyncSession, text: str, limit: int) -> list[SearchGroup]:
    """Open, coming shifts (not a drill's) whose title, description or place contain `text`,
    soonest first."""
    where = (
        Shift.status == ShiftStatus.open,
        Shift.ends_at > utcnow(),
        not_drill(Shift.incident_id),
        or_(
            _contains(Shift.title, text),
            _contains(Shift.description, text),
            _contains(Shift.location, text),
        ),
    )
    shifts = list(
        await session.scalars(
            select(Shift).where(*where).order_by(Shift.starts_at, Shift.id).limit(limit)
        )
    )
    total = await session.scalar(select(func.count()).select_from(Shift).where(*where))
    zones = await incident_zones(session, shifts)
    hits = [
        SearchHit(
            title=shift.title,
            route="volunteers:shift",
            params={"id": shift.id},
            detail=format_span(shift.starts_at, shift.ends_at, zones.get(shift.incident_id)),
        )
        for shift in shifts
    ]
    return [SearchGroup("shifts", lazy_gettext("Shifts"), hits, total or 0)]
