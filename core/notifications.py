"""The notifications outbox: mail queued in the caller's transaction, sent by `commons worker`."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
) -> OutboxMessage:
    message = OutboxMessage(
        kind=kind,
        to_email=to_email,
        subject=subject,
        body=body,
        user_id=user_id,
        organization_id=organization_id,
    )
    session.add(message)
    await session.flush()
    return message


async def queue_for_organization(
    session: AsyncSession, *, organization_id: int, kind: str, subject: str, body: str
) -> list[OutboxMessage]:
    """One message to every active member of an organization."""
    members = await session.scalars(
        select(User).where(User.organization_id == organization_id, User.is_active.is_(True))
    )
    return [
        await queue(
            session,
            kind=kind,
            to_email=member.email,
            subject=subject,
            body=body,
            user_id=member.id,
            organization_id=organization_id,
        )
        for member in members
    ]
