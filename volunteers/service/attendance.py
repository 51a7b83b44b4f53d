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
from volunteers.schemas import MAX_SHIFT_HOURS
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
    shift = await get_shift(session, shift_id)
    require_owner(user, shift)
    signup = await _confirmed_signup(session, shift, volunteer_id)
    before = audit.snapshot(signup)
    if status == Attendance.no_show:
        signup.attendance = Attendance.no_show
        signup.checked_in_at = signup.checked_out_at = None
        signup.minutes = 0
    else:
        if checked_in_at is None or checked_out_at is None:
            raise InvalidAttendance(
                _("Attendance needs both check-in and check-out times."),
                fields={"checked_out_at": _("required")},
            )
        _check_window(shift, checked_in_at, checked_out_at)
        signup.attendance = Attendance.attended
        signup.checked_in_at = checked_in_at
        signup.checked_out_at = checked_out_at
        signup.minutes = int((checked_out_at - checked_in_at).total_seconds() // 60)
    signup.attendance_by_id = user.id
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action=f"attendance.{signup.attendance}",
        obj=signup,
        before=before,
        after=audit.snapshot(signup),
    )
    return signup


async def check_in(session: AsyncSession, *, user: User, shift_id: int, volunteer_id: int):
    """Check a volunteer in now (the roster's button); hours count once they check out."""
    shift = await get_shift(session, shift_id)
    require_owner(user, shift)
    signup = await _confirmed_signup(session, shift, volunteer_id)
    now = utcnow()
    if now < shift.starts_at - SLACK:
        raise InvalidAttendance(_("Check-in opens closer to the shift's start."))
    before = audit.snapshot(signup)
    signup.checked_in_at = now
    signup.checked_out_at = None
    signup.attendance = None
    signup.minutes = 0
    signup.attendance_by_id = user.id
    await session.flush()
    await audit.record(
        session,
        actor=user,
        action="attendance.check_in",
        obj=signup,
        before=before,
        after=audit.snapshot(signup),
    )
    return signup


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
