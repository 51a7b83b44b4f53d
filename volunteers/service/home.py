"""Volunteers' part of the home pages: a volunteer's next shifts and recommendations, an
organization's coming shifts."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import Role, User
from volunteers.models import SignupStatus
from volunteers.service.browse import browse, public_shifts
from volunteers.service.shifts import list_shifts
from volunteers.service.signups import my_signups, queue_position

SHOWN = 5
RECOMMENDED = 3


async def home_panel(session: AsyncSession, user_id: int) -> dict:
    """Provider "home.panels"."""
    user = await session.get(User, user_id)
    if user is None:
        return {}
    if user.role == Role.volunteer:
        now = utcnow()
        coming = [(s, sh) for s, sh in await my_signups(session, user.id) if sh.ends_at > now]
        coming.sort(key=lambda pair: (pair[1].starts_at, pair[1].id))
        coming = coming[:SHOWN]
        shown = await public_shifts(session, [shift for _signup, shift in coming])
        mine = {shift.id for _signup, shift in coming}
        pool, _total = await browse(
            session, user, recommended=True, limit=RECOMMENDED + len(mine), offset=0
        )
        return {
            "volunteers": {
                "role": "volunteer",
                "next": [
                    {
                        "shift": shift,
                        "status": signup.status,
                        "place": await queue_position(session, signup)
                        if signup.status == SignupStatus.waitlisted
                        else None,
                    }
                    for (signup, _row), shift in zip(coming, shown, strict=True)
                ],
                "recommended": [s for s in pool if s.id not in mine][:RECOMMENDED],
            }
        }
    if user.role == Role.ngo and user.organization_id:
        shifts, total = await list_shifts(
            session, organization_id=user.organization_id, limit=SHOWN
        )
        return {
            "volunteers": {
                "role": "ngo",
                "shifts": await public_shifts(session, shifts),
                "shifts_total": total,
            }
        }
    return {}
