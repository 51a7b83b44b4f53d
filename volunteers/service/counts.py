"""Counts other domains show about volunteering (declared as providers in DOMAIN): no names."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.domain import FigureColumns
from volunteers.models import Attendance, Shift, ShiftStatus, Signup, SignupStatus


async def incident_figures(session: AsyncSession, incident_id: int) -> dict:
    """Counts only: shifts, places filled, distinct volunteers and hours served."""
    shifts = await session.execute(
        select(func.count(), func.coalesce(func.sum(Shift.filled), 0)).where(
            Shift.incident_id == incident_id, Shift.status == ShiftStatus.open
        )
    )
    shift_count, filled = shifts.one()
    people = await session.execute(
        select(
            func.count(func.distinct(Signup.volunteer_id)),
            func.coalesce(func.sum(Signup.minutes), 0),
        )
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Shift.incident_id == incident_id,
            Signup.status == SignupStatus.confirmed,
        )
    )
    volunteers, minutes = people.one()
    return {
        "volunteers": {
            "shifts": shift_count,
            "places_filled": filled,
            "volunteers": volunteers,
            "hours": round(minutes / 60, 1),
        }
    }


def _need_volunteers(need_id) -> list:
    """How many volunteers signed up (or served) on shifts for the need, as one column."""
    count = (
        select(func.count(func.distinct(Signup.volunteer_id)))
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Shift.need_id == need_id,
            Signup.status == SignupStatus.confirmed,
            (Signup.attendance.is_(None)) | (Signup.attendance == Attendance.attended),
        )
    )
    return [count.scalar_subquery().label("volunteers_count")]


# The need page reads it inside its own statement (core/domain.py FigureColumns).
NEED_HELPERS = FigureColumns(
    columns=_need_volunteers,
    read=lambda values: {"volunteer_count": values["volunteers_count"] or 0},
)


async def map_marks(session: AsyncSession, incident_id: int) -> dict:
    """The incident's open shifts not yet over, as marks on its public map (title, place,
    places left: nothing about who signed up)."""
    rows = await session.execute(
        select(Shift.id, Shift.title, Shift.lat, Shift.lon, Shift.capacity, Shift.filled)
        .where(
            Shift.incident_id == incident_id,
            Shift.status == ShiftStatus.open,
            Shift.ends_at >= utcnow(),
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(300)
    )
    return {
        "shifts": [
            {
                "id": sid,
                "title": title,
                "lat": lat,
                "lon": lon,
                "route": "volunteers:shift",
                "list_route": "volunteers:shifts",
                "detail": f"{filled}/{capacity}",
            }
            for sid, title, lat, lon, capacity, filled in rows.all()
        ]
    }
