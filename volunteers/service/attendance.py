"""Attendance: the shift's organizers check volunteers in and out; minutes become hours."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.i18n import _
from core.models import User
from volunteers.errors import InvalidAttendance, SignupNotFound
from volunteers.models import Attendance, Shift, Signup, SignupStatus
from volunteers.schemas import MAX_SHIFT_HOURS, AttendanceResult
from volunteers.service.profiles import hours, total_minutes
from volunteers.service.shifts import get_shift, require_owner

# Volunteers may arrive early or stay late, within reason.
SLACK = timedelta(hours=6)
CLOCK_SKEW = timedelta(minutes=5)


async def _confirmed_signup(session: AsyncSession, shift: Shift, volunteer_id: int) -> Signup:
    signup = await session.scalar(
        select(Signup).where(Signup.shift_id == shift.id, Signup.volunteer_id == volunteer_id)
    )
    if signup is None or signup.status != SignupStatus.confirmed:
        raise SignupNotFound(
            _("This volunteer has no confirmed place on this shift."),
            fields={"volunteer_id": _("not confirmed on this shift")},
        )
    return signup


def _check_window(shift: Shift, checked_in_at: datetime, checked_out_at: datetime) -> None:
    if checked_in_at < shift.starts_at - SLACK or checked_out_at > shift.ends_at + SLACK:
        raise InvalidAttendance(
            _("The times must lie around the shift's own times."),
            fields={"checked_in_at": _("too far from the shift's times")},
        )
    if checked_out_at > utcnow() + CLOCK_SKEW:
        raise InvalidAttendance(
            _("Check-out cannot be in the future."),
            fields={"checked_out_at": _("in the future")},
        )
    if checked_out_at <= checked_in_at:
        raise InvalidAttendance(
            _("Check-out must come after check-in."),
            fields={"checked_out_at": _("before check-in")},
        )
    if checked_out_at - checked_in_at > timedelta(hours=MAX_SHIFT_HOURS):
        raise InvalidAttendance(
            _("At most 24 hours per shift."), fields={"checked_out_at": _("too long")}
        )


async def _owned_signup(
    session: AsyncSession, user: User, shift_id: int, volunteer_id: int
) -> tuple[Shift, Signup]:
    """The shift (its organization only) and the volunteer's confirmed place on it."""
    shift = await get_shift(session, shift_id)
    require_owner(user, shift)
    return shift, await _confirmed_signup(session, shift, volunteer_id)


async def _mark(
    session: AsyncSession,
    user: User,
    signup: Signup,
    action: str,
    attendance: str | None,
    checked_in_at: datetime | None = None,
    checked_out_at: datetime | None = None,
) -> Signup:
    """Write the attendance (minutes from the times, none without both) and audit it."""
    before = audit.snapshot(signup)
    signup.attendance = attendance
    signup.checked_in_at = checked_in_at
    signup.checked_out_at = checked_out_at
    minutes = 0
    if checked_in_at is not None and checked_out_at is not None:
        minutes = int((checked_out_at - checked_in_at).total_seconds() // 60)
    signup.minutes = minutes
    signup.attendance_by_id = user.id
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action=action,
        obj=signup,
        before=before,
        after=audit.snapshot(signup),
    )
    return signup


async def record_attendance(
    session: AsyncSession,
    *,
    user: User,
    shift_id: int,
    volunteer_id: int,
    status: str,
    checked_in_at: datetime | None = None,
    checked_out_at: datetime | None = None,
) -> Signup:
    """Record that a volunteer came (with times) or did not come; recording again corrects it."""
    shift, signup = await _owned_signup(session, user, shift_id, volunteer_id)
    if status == Attendance.no_show:
        return await _mark(session, user, signup, "attendance.no_show", Attendance.no_show)
    if checked_in_at is None or checked_out_at is None:
        raise InvalidAttendance(
            _("Attendance needs both check-in and check-out times."),
            fields={"checked_out_at": _("required")},
        )
    _check_window(shift, checked_in_at, checked_out_at)
    return await _mark(
        session,
        user,
        signup,
        "attendance.attended",
        Attendance.attended,
        checked_in_at,
        checked_out_at,
    )


async def check_in(session: AsyncSession, *, user: User, shift_id: int, volunteer_id: int):
    """Check a volunteer in now (the roster's button); hours count once they check out."""
    shift, signup = await _owned_signup(session, user, shift_id, volunteer_id)
    now = utcnow()
    if now < shift.starts_at - SLACK:
        raise InvalidAttendance(_("Check-in opens closer to the shift's start."))
    return await _mark(session, user, signup, "attendance.check_in", None, now)


async def check_out(session: AsyncSession, *, user: User, shift_id: int, volunteer_id: int):
    shift = await get_shift(session, shift_id)
    signup = await _confirmed_signup(session, shift, volunteer_id)
    if signup.checked_in_at is None:
        raise InvalidAttendance(_("Check the volunteer in first."))
    return await record_attendance(
        session,
        user=user,
        shift_id=shift_id,
        volunteer_id=volunteer_id,
        status=Attendance.attended,
        checked_in_at=signup.checked_in_at,
        checked_out_at=max(utcnow(), signup.checked_in_at + timedelta(minutes=1)),
    )


async def attendance_result(session: AsyncSession, signup: Signup) -> AttendanceResult:
    """What was recorded, with the hours of this shift and the volunteer's total."""
    total = await total_minutes(session, signup.volunteer_id)
    return AttendanceResult(
        shift_id=signup.shift_id,
        volunteer_id=signup.volunteer_id,
        attendance=signup.attendance,
        checked_in_at=signup.checked_in_at,
        checked_out_at=signup.checked_out_at,
        hours=hours(signup.minutes),
        total_hours=hours(total),
    )
