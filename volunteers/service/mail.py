"""The mails volunteers get: queued as a job in the caller's transaction, written by the worker.

A sign-up only inserts the job row, so the shift's row lock is not held while a mail is
composed (the incident's time zone read, dates formatted in the volunteer's language, the
outbox row written); the `volunteers.mail` job does that, then the outbox delivers it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import notifications
from core.clock import utcnow
from core.dates import format_span
from core.i18n import _, using_locale
from core.jobs import enqueue
from core.models import User
from recovery import service as recovery
from volunteers.models import Shift


async def shift_zone(session: AsyncSession, shift: Shift) -> str:
    """Shift times are told in the incident's local time zone."""
    incident = await recovery.get_incident(session, shift.incident_id)
    return incident.time_zone or "UTC"


def _when(shift: Shift, tz: str) -> str:
    return f"{format_span(shift.starts_at, shift.ends_at, tz)} ({tz})"


def _details(shift: Shift, tz: str) -> str:
    lines = [
        _("Shift: %(title)s") % {"title": shift.title},
        _("When: %(when)s") % {"when": _when(shift, tz)},
    ]
    if shift.location:
        lines.append(_("Where: %(place)s") % {"place": shift.location})
    return "\n".join(lines)


JOB = "volunteers.mail"
KINDS = ("confirmed", "waitlisted", "promoted", "changed", "cancelled", "reminder")


async def notify(
    session: AsyncSession, *, kind: str, user: User, shift: Shift, position: int = 0
) -> None:
    """Queue one of the volunteers' mails (kind: confirmed, waitlisted, promoted, changed,
    cancelled, reminder) to `user` about `shift`: only a job row now, in this transaction. (On
    PostgreSQL a sign-up's own statement queues the same payload: service/arrivals.py.)"""
    if kind not in KINDS:
        raise ValueError(f"unknown volunteer mail {kind!r}")
    payload = {
        "kind": kind,
        "user_id": user.id,
        "shift_id": shift.id,
        "position": position,
        "at": utcnow().isoformat(),
    }
    await enqueue(session, JOB, payload)


async def send_shift_mail(session: AsyncSession, payload: dict) -> None:
    """Job `volunteers.mail`: compose the mail in the volunteer's language and put it in the
    outbox. A volunteer or shift deleted meanwhile gets nothing."""
    user = await session.get(User, int(payload["user_id"]))
    shift = await session.get(Shift, int(payload["shift_id"]))
    if user is None or shift is None or not user.is_active:
        return
    await compose(
        session,
        kind=payload["kind"],
        user=user,
        shift=shift,
        position=payload["position"],
        at=datetime.fromisoformat(payload["at"]),
    )


async def compose(
    session: AsyncSession,
    *,
    kind: str,
    user: User,
    shift: Shift,
    position: int = 0,
    at: datetime | None = None,
) -> None:
    """Write the mail to the outbox (which queues its delivery), dated when it happened."""
    tz = await shift_zone(session, shift)
    with using_locale(user.locale):
        subjects = {
            "confirmed": _("You're in: %(title)s"),
            "waitlisted": _("Waitlisted #%(position)s: %(title)s"),
            "promoted": _("A place opened up, you're in: %(title)s"),
            "changed": _("Shift changed: %(title)s"),
            "cancelled": _("Shift cancelled: %(title)s"),
            "reminder": _("Coming up within 24 hours: %(title)s"),
        }
        intros = {
            "confirmed": _("Thank you for signing up. Your place is confirmed."),
            "waitlisted": _(
                "The shift is full, so you are on the waitlist at number %(position)s. "
                "We will write to you if a place opens up."
            ),
            "promoted": _("Someone cancelled and you moved up from the waitlist: you're in."),
            "changed": _("The organizers changed this shift. Please check the new details."),
            "cancelled": _("The organizers cancelled this shift. You do not need to come."),
            "reminder": _("This is a reminder that your shift starts within 24 hours."),
        }
        values = {"title": shift.title, "position": position}
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.name},
                intros[kind] % values,
                _details(shift, tz),
                _("You can see or cancel your sign-ups on your volunteer page."),
                _("Recovery Commons"),
            ]
        )
        await notifications.queue(
            session,
            kind=f"volunteers.{kind}",
            to_email=user.email,
            subject=subjects[kind] % values,
            body=body + "\n",
            user_id=user.id,
            organization_id=shift.organization_id,
            created_at=at,
        )
