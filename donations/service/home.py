"""Donations' part of each role's home page: proposals and money for officials, matches to
deliver for the offering side, a donor's gifts and where they went."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Role, User
from donations.models import Donation, DonationStatus, Match, MatchingRun, MatchStatus, Offer
from donations.service.deliveries import deliveries
from donations.service.donations import donor_donations
from donations.service.trail import gift_trail
from recovery.service import acting_incident_ids, unserved_needs

SHOWN = 5
# A need has an offer once a proposal for it is waiting, accepted or delivered.
SERVING = (MatchStatus.proposed.value, MatchStatus.accepted.value, MatchStatus.fulfilled.value)


async def _count(session: AsyncSession, query) -> int:
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def home_panel(session: AsyncSession, user_id: int) -> dict:
    """Provider "home.panels"."""
    user = await session.get(User, user_id)
    if user is None:
        return {}
    if user.role == Role.official and user.organization_id:
        incidents = acting_incident_ids(user)
        waiting = (
            select(MatchingRun.incident_id, func.count().label("count"))
            .join(Match, Match.run_id == MatchingRun.id)
            .where(MatchingRun.incident_id.in_(incidents), Match.status == MatchStatus.proposed)
            .group_by(MatchingRun.incident_id)
        )
        proposals = {row.incident_id: row.count for row in await session.execute(waiting)}
        served = select(Match.need_id).where(Match.status.in_(SERVING))
        unserved, unserved_total = await unserved_needs(session, incidents, served)
        pledged = select(Donation.id).where(
            Donation.incident_id.in_(incidents), Donation.status == DonationStatus.pledged
        )
        return {
            "donations": {
                "role": "official",
                "proposals": proposals,
                "proposals_total": sum(proposals.values()),
                "unserved": unserved,
                "unserved_total": unserved_total,
                "pledges_total": await _count(session, pledged),
                "first_incident": min(proposals) if proposals else None,
            }
        }
    if user.role == Role.ngo and user.organization_id:
        rows, total = await deliveries(
            session, user, status=MatchStatus.accepted.value, limit=SHOWN
        )
        offers = select(Offer.id).where(
            Offer.organization_id == user.organization_id, Offer.status == "open"
        )
        return {
            "donations": {
                "role": "ngo",
                "to_deliver": rows,
                "to_deliver_total": total,
                "open_offers": await _count(session, offers),
            }
        }
    if user.role == Role.donor:
        gifts = await donor_donations(session, user.id)
        return {
            "donations": {
                "role": "donor",
                "gifts": [(gift, await gift_trail(session, gift)) for gift in gifts[:SHOWN]],
                "gifts_total": len(gifts),
            }
        }
    return {}
