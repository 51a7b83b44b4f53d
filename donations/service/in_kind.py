"""Gifts in kind at their givers' estimated value: shown apart from cash, never in a balance.

An offer may carry an estimated value; each delivery on one of its matches adds its value (as
stated, else the offer's value pro rata) to the match. A warehouse's reserve stock is the
government's own, not a gift, so it is left out.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from donations.models import Match, Offer, OfferKind, OfferStatus
from recovery.service import get_need

GIVEN = Offer.kind != OfferKind.reserve.value


def _row(currency: str) -> dict:
    return {
        "currency": currency,
        "offered_value_minor": 0,
        "delivered_value_minor": 0,
        "offers": 0,
        "deliveries": 0,
    }


async def incident_in_kind(session: AsyncSession, incident_id: int) -> list[dict]:
    """Per currency: the estimated value of the open valued offers, and of what was delivered."""
    by_currency: dict[str, dict] = {}
    offered = await session.execute(
        select(Offer.value_currency, func.sum(Offer.value_minor), func.count())
        .where(
            Offer.incident_id == incident_id,
            GIVEN,
            Offer.status == OfferStatus.open.value,
            Offer.value_minor.is_not(None),
        )
        .group_by(Offer.value_currency)
    )
    for currency, total, count in offered:
        row = by_currency.setdefault(currency, _row(currency))
        row["offered_value_minor"] += int(total)
        row["offers"] += count
    delivered = await session.execute(
        select(Offer.value_currency, func.sum(Match.value_delivered_minor), func.count())
        .join(Offer, Offer.id == Match.offer_id)
        .where(Offer.incident_id == incident_id, GIVEN, Match.value_delivered_minor > 0)
        .group_by(Offer.value_currency)
    )
    for currency, total, count in delivered:
        row = by_currency.setdefault(currency, _row(currency))
        row["delivered_value_minor"] += int(total)
        row["deliveries"] += count
    return [by_currency[c] for c in sorted(by_currency)]


async def donor_gifts_in_kind(session: AsyncSession, donor: User) -> list[dict]:
    """The donor's own in-kind pledges, each with where its deliveries went and their value."""
    offers = list(
        await session.scalars(
            select(Offer)
            .where(Offer.owner_id == donor.id, Offer.kind == OfferKind.pledge.value)
            .order_by(Offer.id.desc())
        )
    )
    if not offers:
        return []
    matches = await session.scalars(
        select(Match)
        .where(Match.offer_id.in_([o.id for o in offers]), Match.quantity_fulfilled > 0)
        .order_by(Match.fulfilled_at, Match.id)
    )
    deliveries: dict[int, list[dict]] = {}
    titles: dict[int, str] = {}
    for match in matches:
        if match.need_id not in titles:
            titles[match.need_id] = (await get_need(session, match.need_id)).title
        deliveries.setdefault(match.offer_id, []).append(
            {
                "need_id": match.need_id,
                "need": titles[match.need_id],
                "quantity": match.quantity_fulfilled,
                "value_minor": match.value_delivered_minor,
            }
        )
    return [
        {
            "offer": offer,
            "deliveries": deliveries.get(offer.id, []),
            "delivered_value_minor": sum(d["value_minor"] for d in deliveries.get(offer.id, [])),
        }
        for offer in offers
    ]
