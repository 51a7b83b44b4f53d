"""The volunteer's shifts as an iCalendar feed, for calendar apps to import or subscribe to."""

from datetime import datetime

from icalendar import Calendar, Event

from core.clock import utcnow
from volunteers.models import Shift, ShiftStatus, Signup, SignupStatus


def shifts_calendar(
    rows: list[tuple[Signup, Shift]],
    *,
    host: str,
    shift_url,
    name: str = "Recovery Commons shifts",
    now: datetime | None = None,
) -> bytes:
    """One VEVENT per sign-up; cancelled and waitlisted ones are marked so apps show it."""
    stamp = now or utcnow()
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
        event.add("summary", shift.title)
        event.add("last-modified", shift.updated_at)
        if shift.location:
            event.add("location", shift.location)
        event.add("geo", (shift.lat, shift.lon))
        event.add("url", shift_url(shift.id))
        event.add("description", shift.description or shift.title)
        if shift.status == ShiftStatus.cancelled or signup.status == SignupStatus.cancelled:
            event.add("status", "CANCELLED")
        elif signup.status == SignupStatus.waitlisted:
            event.add("status", "TENTATIVE")
        else:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
