"""Site-wide search over volunteers' public records: open shifts that have not ended."""

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.dates import format_span
from core.domain import SearchHit, SearchSource
from core.domain import search_contains as _contains
from core.drills import not_drill
from core.i18n import lazy_gettext
from core.search import search_columns
from volunteers.models import Shift, ShiftStatus
from volunteers.service.browse import incident_zones


def _shifts(text: str, incident_id: int | None):
    """Open, coming shifts (not a drill's) whose title, description or place contain `text`,
    soonest first."""
    return select(
        *search_columns(
            id=Shift.id,
            title=Shift.title,
            incident_id=Shift.incident_id,
            starts_at=Shift.starts_at,
            ends_at=Shift.ends_at,
            order_by=(Shift.starts_at, Shift.id),
        )
    ).where(
        Shift.status == ShiftStatus.open,
        Shift.ends_at > utcnow(),
        not_drill(Shift.incident_id),
        true() if incident_id is None else Shift.incident_id == incident_id,
        or_(
            _contains(Shift.title, text),
            _contains(Shift.description, text),
            _contains(Shift.location, text),
        ),
    )


async def _hits(session: AsyncSession, rows) -> list[SearchHit]:
    # Times in each incident's own zone, as on the shift's page.
    zones = await incident_zones(session, rows)
    return [
        SearchHit(
            title=row.title,
            route="volunteers:shift",
            params={"id": row.id},
            detail=format_span(row.starts_at, row.ends_at, zones.get(row.incident_id)),
        )
        for row in rows
    ]


SOURCES = [SearchSource("shifts", lazy_gettext("Shifts"), _shifts, _hits)]
