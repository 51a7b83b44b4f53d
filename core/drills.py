"""Drills: the one predicate every public list, figure, export and feed uses to leave them out.

An incident whose status is (or once was) `exercise` runs everything, but the public never
counts it. Platform-wide lists, figures and feeds leave drills out, and so do organizations'
and teams' public records; open-data exports (needs, 3W, IATI, the ledger's downloads) leave
them out even when asked for by id. Only a drill's own pages and lists, asked for by its id
(and marked as an exercise), show what it did.
"""

from sqlalchemy import Boolean, Integer, column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

# Recovery owns the incidents table; the kernel names only the two columns it reads, so it
# still imports no domain.
_INCIDENTS = table("incidents", column("id", Integer), column("exercise", Boolean))
DRILL_IDS = select(_INCIDENTS.c.id).where(_INCIDENTS.c.exercise.is_(True))


def not_drill(incident_id: ColumnElement) -> ColumnElement[bool]:
    """True where `incident_id` (a column naming an incident, or none) is not a drill's."""
    # NOT IN is unknown for a NULL, so a row of no incident (a platform-wide alert) is kept.
    return or_(incident_id.is_(None), incident_id.not_in(DRILL_IDS.scalar_subquery()))


async def is_drill(session: AsyncSession, incident_id: int) -> bool:
    """Whether the incident is a drill (False for an unknown id)."""
    found = await session.scalar(
        select(_INCIDENTS.c.exercise).where(_INCIDENTS.c.id == incident_id)
    )
    return bool(found)
