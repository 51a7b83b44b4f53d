"""Stock on hand offered to matching: one reserve offer per warehouse, incident and item."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.geo import haversine_km
from core.i18n import _
from core.models import Organization
from donations.service import get_match, put_reserve_offer
from preparedness.models import MovementKind, Reservation, ReserveOffer, Warehouse
from preparedness.service.reserves import (
    _log,
    _short,
    _take_first_expiring,
    available,
    lock_warehouse,
)
from recovery.service import area_choices, get_incident, incident_today

# Reserve offers stand for a year from the run; the lots' own expiry is checked on each run.
OFFER_DAYS = 365


async def _serves(session: AsyncSession, warehouse: Warehouse, incident_id: int) -> bool:
    """Whether any area of the incident lies within the warehouse's delivery radius."""
    for area, _depth in await area_choices(session, incident_id):
        if haversine_km(warehouse.lat, warehouse.lon, area.lat, area.lon) <= warehouse.radius_km:
            return True
    return False


async def sync_offers(session: AsyncSession, incident_id: int) -> dict:
    """Provider "matching.offers": bring the incident's reserve offers up to date."""
    incident = await get_incident(session, incident_id)
    today = incident_today(incident)
    warehouses = await session.scalars(select(Warehouse).order_by(Warehouse.id))
    for warehouse in list(warehouses):
        org = await session.get(Organization, warehouse.organization_id)
        if (
            org is None
            or not org.is_verified()
            or not await _serves(session, warehouse, incident_id)
        ):
            continue
        free = await available(session, warehouse, today)
        existing = {
            (ro.category, ro.unit): ro
            for ro in await session.scalars(
                select(ReserveOffer).where(
                    ReserveOffer.warehouse_id == warehouse.id,
                    ReserveOffer.incident_id == incident_id,
                )
            )
        }
        for category, unit in sorted(set(free) | set(existing)):
            link = existing.get((category, unit))
            offer_id = await put_reserve_offer(
                session,
                offer_id=link.offer_id if link else None,
                incident_id=incident_id,
                owner_id=warehouse.created_by_id,
                organization_id=warehouse.organization_id,
                category=category,
                unit=unit,
                available=free.get((category, unit), 0),
                lat=warehouse.lat,
                lon=warehouse.lon,
                radius_km=warehouse.radius_km,
                available_from=today,
                available_until=today + timedelta(days=OFFER_DAYS),
                description=_("Reserve stock in %(name)s") % {"name": warehouse.name},
            )
            if link is None and offer_id is not None:
                session.add(
                    ReserveOffer(
                        offer_id=offer_id,
                        warehouse_id=warehouse.id,
                        incident_id=incident_id,
                        category=category,
                        unit=unit,
                    )
                )
    await session.flush()
    return {}


async def _link(session: AsyncSession, offer_id: int) -> ReserveOffer | None:
    return await session.scalar(select(ReserveOffer).where(ReserveOffer.offer_id == offer_id))


async def offer_source(session: AsyncSession, offer_id: int) -> dict:
    """Provider "offer.source": the warehouse behind a reserve offer."""
    link = await _link(session, offer_id)
    return {"warehouse_id": link.warehouse_id} if link else {}


async def hold_for_match(session: AsyncSession, match_id: int) -> dict:
    """Provider "match.accepted": hold the warehouse's stock for an accepted reserve match."""
    match = await get_match(session, match_id)
    link = await _link(session, match.offer_id)
    if link is None:
        return {}
    await lock_warehouse(session, link.warehouse_id)
    warehouse = await session.get(Warehouse, link.warehouse_id)
    incident = await get_incident(session, link.incident_id)
    free = (await available(session, warehouse, incident_today(incident))).get(
        (link.category, link.unit), 0
    )
    if free < match.quantity:
        raise _short(free)
    session.add(
        Reservation(
            match_id=match.id,
            warehouse_id=warehouse.id,
            category=link.category,
            unit=link.unit,
            quantity=match.quantity,
            exercise=incident.exercise,
        )
    )
    await session.flush()
    return {}


async def issue_for_match(session: AsyncSession, match_id: int) -> dict:
    """Provider "match.fulfilled": what was delivered leaves the warehouse, first expiring first."""
    match = await get_match(session, match_id)
    reservation = await session.scalar(select(Reservation).where(Reservation.match_id == match_id))
    if reservation is None:
        return {}
    delta = match.quantity_fulfilled - reservation.issued
    if delta <= 0:
        return {}
    warehouse = await session.get(Warehouse, reservation.warehouse_id)
    if reservation.exercise:
        # A drill's delivery is recorded, and the real reserve keeps its stock.
        reservation.issued += delta
        await session.flush()
        await audit.record(
            session,
            actor=None,
            action="stock.exercise_issue",
            obj=reservation,
            after={"match_id": match.id, "quantity": delta, "warehouse_id": warehouse.id},
        )
        return {}
    taken = await _take_first_expiring(
        session, warehouse.id, reservation.category, reservation.unit, delta
    )
    for lot, part in taken:
        await _log(
            session,
            warehouse,
            None,
            kind=MovementKind.issue,
            category=lot.category,
            unit=lot.unit,
            lot=lot.lot,
            expires_on=lot.expires_on,
            quantity=-part,
            need_id=match.need_id,
            match_id=match.id,
            reason=_("delivered on match %(id)s") % {"id": match.id},
        )
    reservation.issued += delta
    await session.flush()
    return {}
