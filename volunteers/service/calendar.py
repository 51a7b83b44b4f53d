"""The volunteer's shifts as an iCalendar feed, and the secret URL calendar apps subscribe to."""

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.models import User
from core.types import printable
from volunteers.models import Shift, ShiftStatus, Signup, SignupStatus, VolunteerProfile
from volunteers.service.profiles import ensure_profile
from volunteers.service.signups import my_signups


def shifts_calendar(
    rows: list[tuple[Signup, Shift]],
    *,
    host: str,
    shift_url: Callable[[int], str],
    name: str = "Recovery Commons shifts",
    now: datetime | None = None,
) -> bytes:
    """One VEVENT per sign-up; cancelled and waitlisted ones are marked so apps show it."""
    stamp = now or utcnow()
    # Imported here: only a calendar feed needs icalendar, not every web worker.
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Recovery Commons//Volunteer shifts//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for signup, shift in rows:
        event = Event()
        event.add("uid", f"shift-{shift.id}-signup-{signup.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", printable(shift.title))
        event.add("last-modified", shift.updated_at)
        if shift.location:
            event.add("location", printable(shift.location))
        event.add("geo", (shift.lat, shift.lon))
        event.add("url", shift_url(shift.id))
        event.add("description", printable(shift.description or shift.title))
        if shift.status == ShiftStatus.cancelled or signup.status == SignupStatus.cancelled:
            event.add("status", "CANCELLED")
        elif signup.status == SignupStatus.waitlisted:
            event.add("status", "TENTATIVE")
        else:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


async def calendar_for(
    session: AsyncSession, user: User, *, host: str, shift_url: Callable[[int], str]
) -> bytes:
    """Every sign-up of the volunteer, cancelled ones too, so calendar apps drop them."""
    rows = await my_signups(session, user.id, include_cancelled=True)
    return shifts_calendar(rows, host=host, shift_url=shift_url)


async def calendar_token(session: AsyncSession, user: User, *, regenerate: bool = False) -> str:
    """The secret of the volunteer's calendar subscription URL; a new one revokes the old."""
    profile = await ensure_profile(session, user)
    if profile.calendar_token and not regenerate:
        return profile.calendar_token
    profile.calendar_token = secrets.token_urlsafe(32)
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="volunteer.calendar_token",
        obj=profile,
        after={"regenerated": regenerate},
    )
    return profile.calendar_token


async def user_by_calendar_token(session: AsyncSession, token: str) -> User | None:
    if not token:
        return None
    row = await session.execute(
        select(User)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(VolunteerProfile.calendar_token == token, User.is_active.is_(True))
    )
    return row.scalar_one_or_none()
