"""The notifications outbox: mail queued in the caller's transaction, each delivered by a
`core.send_mail` job (core/mail.py) once that transaction commits."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import mail
from core.i18n import using_locale
from core.jobs import enqueue
from core.models import OutboxMessage, User


async def queue(
    session: AsyncSession,
    *,
    kind: str,
    to_email: str,
    subject: str,
    body: str,
    user_id: int | None = None,
    organization_id: int | None = None,
    created_at: datetime | None = None,
) -> OutboxMessage:
    """Put a mail in the outbox; `created_at` is when it happened, for mail a job composes
    after the fact (jobs run in any order, so the outbox's order is by this time)."""
    message = OutboxMessage(
        kind=kind,
        to_email=to_email,
        subject=subject,
        body=body,
        user_id=user_id,
        organization_id=organization_id,
    )
    if created_at is not None:
        message.created_at = created_at
    session.add(message)
    await session.flush()
    await enqueue(session, mail.JOB, {"id": message.id})
    return message


async def queue_for_organization(
    session: AsyncSession,
    *,
    organization_id: int,
    kind: str,
    compose: Callable[[], tuple[str, str]],
) -> list[OutboxMessage]:
    """One message to every active member of an organization, each in the member's language.

    `compose()` returns (subject, body); it is called once per member with that member's
    locale in force, so its `_()` calls translate for them.
    """
    members = await session.scalars(
        select(User).where(User.organization_id == organization_id, User.is_active.is_(True))
    )
    messages = []
    for member in members:
        with using_locale(member.locale):
            subject, body = compose()
        messages.append(
            await queue(
                session,
                kind=kind,
                to_email=member.email,
                subject=subject,
                body=body,
                user_id=member.id,
                organization_id=organization_id,
            )
        )
    return messages
