"""What the offering side has to deliver: its accepted matches, with what, how much and where."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from donations.models import Match, MatchStatus, Offer
from recovery.service import area_choices, get_incident, need_rows

COMMITTED = (MatchStatus.accepted.value, MatchStatus.fulfilled.value)


def _mine(user: User):
    mine = Offer.owner_id == user.id
    if user.organization_id is not None:
        mine = mine | (Offer.organization_id == user.organization_id)
    return mine


async def deliveries(
    session: AsyncSession,
    user: User,
    *,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Accepted (still to deliver) then fulfilled matches on the user's or their
    organization's offers, soonest needed first: each with the need it serves, its area and
    place, and how much is left to bring."""
    statuses = COMMITTED if status is None else (status,)
    where = (_mine(user), Match.status.in_(statuses))
    joined = select(func.count()).select_from(Match).join(Offer, Offer.id == Match.offer_id)
    total = await session.scalar(joined.where(*where))
    query = (
        select(Match, Offer.unit, Offer.description, Offer.incident_id, Offer.value_currency)
        .join(Offer, Offer.id == Match.offer_id)
        .where(*where)
        .order_by(Match.status, Match.needed_by, Match.id)
        .offset(max(offset, 0))
    )
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    needs = await need_rows(session, {m.need_id for m, *_rest in rows})
    areas: dict[int, str] = {}
    incidents: dict[int, str] = {}
    for incident_id in sorted({row.incident_id for row in rows}):
        incidents[incident_id] = (await get_incident(session, incident_id)).name
        areas.update((a.id, a.name) for a, _depth in await area_choices(session, incident_id))
    items = []
    for m, unit, description, incident_id, value_currency in rows:
        need = needs.get(m.need_id)
        items.append(
            {
                "id": m.id,
                "run_id": m.run_id,
                "need_id": m.need_id,
                "offer_id": m.offer_id,
                "quantity": m.quantity,
                "quantity_fulfilled": m.quantity_fulfilled,
                "to_deliver": m.quantity - m.quantity_fulfilled,
                "distance_km": m.distance_km,
                "reasons": m.reasons,
                "status": m.status,
                "needed_by": m.needed_by,
                "unit": unit,
                "offer_description": description,
                "value_delivered_minor": m.value_delivered_minor,
                "value_currency": value_currency,
                "incident_id": incident_id,
                "incident": incidents.get(incident_id),
                "need_title": need.title if need else None,
                "category": need.category if need else None,
                "priority": need.priority if need else None,
                "area_id": need.area_id if need else None,
                "area": areas.get(need.area_id) if need and need.area_id else None,
                "lat": need.lat if need else None,
                "lon": need.lon if need else None,
            }
        )
    return items, total or 0
