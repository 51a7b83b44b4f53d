"""The 24-hour reminder: queued once per confirmed sign-up, however often the worker runs."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.models import User
from volunteers.models import Shift, ShiftStatus, Signup, SignupStatus
from volunteers.service import mail

REMINDER_AHEAD = timedelta(hours=24)


async def queue_reminders(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Queue a reminder for each confirmed place on a shift starting within 24 hours."""
    now = now or utcnow()
    due = await session.execute(
        select(Signup.id, Shift, User)
        .join(Shift, Shift.id == Signup.shift_id)
        .join(User, User.id == Signup.volunteer_id)
        .where(
            Signup.status == SignupStatus.confirmed,
            Signup.reminder_queued_at.is_(None),
            Shift.status == ShiftStatus.open,
            Shift.starts_at > now,
            Shift.starts_at <= now + REMINDER_AHEAD,
            User.is_active.is_(True),
        )
        .order_by(Signup.id)
    )
    count = 0
    for signup_id, shift, user in due.all():
        # The conditional claim makes a second worker (or a second run) skip this sign-up.
        claimed = await session.execute(
            update(Signup)
            .where(Signup.id == signup_id, Signup.reminder_queued_at.is_(None))
            .values(reminder_queued_at=now)
            .returning(Signup.id)
            .execution_options(synchronize_session=False)
        )
        if claimed.first() is None:
            continue
        await mail.notify(session, kind="reminder", user=user, shift=shift)
        count += 1
    return count


async def remind_shifts(session: AsyncSession, payload: dict) -> dict:
    """Job `volunteers.remind_shifts`, every 15 minutes: the 24-hour reminders now due."""
    return {"queued": await queue_reminders(session)}
