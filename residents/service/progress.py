"""What requesters hear when organizations act on their need: who is coming and when, and
that the help was delivered (providers "match.accepted" and "match.fulfilled")."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Organization
from donations.service import get_match, get_offer
from recovery.service import NeedStatus, get_need
from residents.models import HelpRequest, RequestStatus
from residents.service.requests import add_update

# The requests that follow a need: converted into it, or merged into one that was.
_FOLLOWING = (RequestStatus.converted, RequestStatus.duplicate)


async def _followers(session: AsyncSession, need_id: int) -> list[HelpRequest]:
    rows = await session.scalars(
        select(HelpRequest)
        .where(HelpRequest.need_id == need_id, HelpRequest.status.in_(_FOLLOWING))
        .order_by(HelpRequest.id)
    )
    return list(rows)


async def _who(session: AsyncSession, organization_id: int | None) -> str | None:
    """The organization's public name; a private giver is never named to the requester."""
    if organization_id is None:
        return None
    org = await session.get(Organization, organization_id)
    return org.name if org else None


async def help_coming(session: AsyncSession, match_id: int) -> dict:
    """Provider "match.accepted": each requester of the need learns who comes, and when."""
    match = await get_match(session, match_id)
    offer = await get_offer(session, match.offer_id)
    until = min(offer.available_until, match.needed_by)
    if until < offer.available_from:
        until = offer.available_until
    who = await _who(session, offer.organization_id)
    # The organization is kept with the step: it is the one alerted if the requester says no.
    dates = {
        "start": offer.available_from.isoformat(),
        "end": until.isoformat(),
        "organization_id": offer.organization_id,
    }
    for request in await _followers(session, match.need_id):
        if who:
            await add_update(session, request, request.status, "coming", organization=who, **dates)
        else:
            await add_update(session, request, request.status, "coming_giver", **dates)
    return {}


async def help_delivered(session: AsyncSession, match_id: int) -> dict:
    """Provider "match.fulfilled": once the need is met, each requester is asked to confirm."""
    match = await get_match(session, match_id)
    need = await get_need(session, match.need_id)
    await session.refresh(need)  # recovery raised quantity_met by an UPDATE just before
    if need.status != NeedStatus.met:
        return {}
    offer = await get_offer(session, match.offer_id)
    who = await _who(session, offer.organization_id)
    for request in await _followers(session, match.need_id):
        ref = request.reference
        if who:
            await add_update(
                session, request, request.status, "delivered", organization=who, reference=ref
            )
        else:
            await add_update(session, request, request.status, "delivered_giver", reference=ref)
    return {}
