"""The shift roster for organizers: who is in, who waits, and how to reach those who agreed."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from volunteers.models import Shift, Signup, SignupStatus, VolunteerProfile
from volunteers.schemas import RosterEntry
from volunteers.service.profiles import hours
from volunteers.service.shifts import require_owner


async def roster(session: AsyncSession, *, user: User, shift: Shift) -> list[RosterEntry]:
    """Confirmed first, then the waitlist in order; contact details only with consent."""
    require_owner(user, shift)
    rows = await session.execute(
        select(Signup, User, VolunteerProfile)
        .join(User, User.id == Signup.volunteer_id)
        .outerjoin(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(Signup.shift_id == shift.id, Signup.status != SignupStatus.cancelled)
    )
    entries = []
    place = 0
    ordered = sorted(
        rows.all(),
        key=lambda r: (r[0].status != SignupStatus.confirmed, r[0].waitlist_position or 0, r[0].id),
    )
    for signup, volunteer, profile in ordered:
        consent = bool(profile and profile.contact_consent and volunteer.is_active)
        if signup.status == SignupStatus.waitlisted:
            place += 1
        entries.append(
            RosterEntry(
                volunteer_id=volunteer.id,
                name=volunteer.name,
                status=signup.status,
                waitlist_position=place if signup.status == SignupStatus.waitlisted else None,
                attendance=signup.attendance,
                checked_in_at=signup.checked_in_at,
                checked_out_at=signup.checked_out_at,
                hours=hours(signup.minutes),
                email=volunteer.email if consent else None,
                phone=profile.phone if consent and profile else None,
            )
        )
    return entries
