"""Scheduled work on help requests: ask "still needed?", expire the silent, erase old contacts."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.db import settings_of
from residents.models import Complaint, HelpRequest, HelpRequestUpdate, RequestStatus
from residents.service.requests import add_update, erase_contacts

# Days without change before the requester is asked, then before a silent request expires.
ASK_AFTER_DAYS = 7
EXPIRE_AFTER_DAYS = 3
_ASKED = ("still_needed", "ask_still_needed")
_FINAL = (
    RequestStatus.closed,
    RequestStatus.expired,
    RequestStatus.rejected,
    RequestStatus.duplicate,
)


async def _last_message(session: AsyncSession, request_id: int) -> str | None:
    row = await session.execute(
        select(HelpRequestUpdate.message)
        .where(HelpRequestUpdate.request_id == request_id)
        .order_by(HelpRequestUpdate.at.desc(), HelpRequestUpdate.id.desc())
        .limit(1)
    )
    return row.scalar_one_or_none()


async def follow_up(session: AsyncSession, payload: dict) -> dict:
    """Job `residents.follow_up`: runs any time; acts only on what is due, so reruns are safe."""
    now = utcnow()
    asked = expired = 0
    stale = await session.execute(
        select(HelpRequest).where(
            HelpRequest.status.in_(
                (RequestStatus.received, RequestStatus.verified, RequestStatus.converted)
            ),
            HelpRequest.updated_at <= now - timedelta(days=EXPIRE_AFTER_DAYS),
        )
    )
    for request in stale.scalars().all():
        last = await _last_message(session, request.id)
        idle = now - request.updated_at
        if last in _ASKED:
            if idle >= timedelta(days=EXPIRE_AFTER_DAYS):
                request.closed_at = now
                await add_update(session, request, RequestStatus.expired, "expired")
                expired += 1
        elif idle >= timedelta(days=ASK_AFTER_DAYS):
            await add_update(
                session,
                request,
                request.status,
                "ask_still_needed",
                reference=request.reference,
                days=EXPIRE_AFTER_DAYS,
            )
            asked += 1
    return {"asked": asked, "expired": expired}


async def erase_closed(session: AsyncSession, payload: dict) -> dict:
    """Job `residents.erase_contacts`: retention of personal contact data, counted from when a
    request closed (COMMONS_RESIDENT_CONTACT_RETENTION_DAYS), and of complainants' contacts
    from when their complaint was resolved."""
    days = int(payload.get("days", settings_of(session).resident_contact_retention_days))
    before = utcnow() - timedelta(days=days)
    rows = await session.execute(
        select(HelpRequest).where(
            HelpRequest.status.in_(_FINAL),
            HelpRequest.erased_at.is_(None),
            HelpRequest.updated_at <= before,
        )
    )
    erased = 0
    for request in rows.scalars().all():
        await erase_contacts(session, request)
        erased += 1
    complaints = await session.scalars(
        select(Complaint).where(Complaint.contact.is_not(None), Complaint.resolved_at <= before)
    )
    erased_complaints = 0
    for complaint in complaints.all():
        complaint.contact = None
        await audit.record(session, actor=None, action="complaint.erase", obj=complaint)
        erased_complaints += 1
    await session.flush()
    return {"erased": erased, "complaint_contacts_erased": erased_complaints}
