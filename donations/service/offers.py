"""Offers: NGO capacity and donors' in-kind pledges, who may see and change them."""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.errors import Conflict, InvalidInput
from core.i18n import _
from core.models import Role, User
from donations.errors import InvalidState, NotOwner, OfferNotFound
from donations.models import Match, MatchStatus, Offer, OfferKind, OfferStatus
from donations.schemas import OfferCreate, OfferUpdate
from donations.service.giving import refuse_unwanted
from recovery.service import get_incident


def owns_offer(user: User, offer: Offer) -> bool:
    """The person who posted it, or any member of the organization it was posted for."""
    if offer.owner_id == user.id:
        return True
    return (
        user.role in (Role.ngo, Role.official)
        and offer.organization_id is not None
        and offer.organization_id == user.organization_id
    )


async def get_offer(session: AsyncSession, offer_id: int, *, viewer: User | None = None) -> Offer:
    """The offer; with `viewer`, only for the offering side or an official."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise OfferNotFound(_("No such offer."))
    if viewer is not None and viewer.role != Role.official and not owns_offer(viewer, offer):
        raise NotOwner(_("Only the offering side and officials may see this offer."))
    return offer


async def editable_offer(session: AsyncSession, offer_id: int, *, actor: User) -> Offer:
    """The offer its owner is about to change."""
    offer = await get_offer(session, offer_id)
    if not owns_offer(actor, offer):
        raise NotOwner(_("Only the offering organization or person may change this offer."))
    return offer


async def create_offer(session: AsyncSession, *, owner: User, data: OfferCreate) -> Offer:
    await get_incident(session, data.incident_id)
    kind = OfferKind.pledge if owner.role == Role.donor else OfferKind.capacity
    if kind == OfferKind.pledge:
        await refuse_unwanted(session, data.incident_id, data.category)
    offer = Offer(
        **data.model_dump(exclude={"description"}),
        description=data.description or "",
        kind=kind,
        owner_id=owner.id,
        organization_id=owner.organization_id if kind == OfferKind.capacity else None,
    )
    session.add(offer)
    await session.flush()
    await audit.record(
        session, actor=owner, action="offer.create", obj=offer, after=audit.snapshot(offer)
    )
    return offer


async def update_offer(
    session: AsyncSession, *, offer_id: int, actor: User, data: OfferUpdate
) -> Offer:
    offer = await editable_offer(session, offer_id, actor=actor)
    if offer.status != OfferStatus.open:
        raise InvalidState(_("A withdrawn offer cannot be changed."))
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    before = audit.snapshot(offer)
    kept = ("available_from", "available_until", "quantity", "value_minor", "value_currency")
    merged = {key: getattr(offer, key) for key in kept} | changes
    if merged["value_minor"] is not None and merged["value_currency"] is None:
        raise InvalidInput(
            _("Name the currency of the estimated value."),
            fields={"value_currency": _("needed with an estimated value")},
        )
    if merged["value_currency"] is not None and merged["value_minor"] is None:
        raise InvalidInput(
            _("Give the estimated value, or leave both empty."),
            fields={"value_minor": _("needed with a currency")},
        )
    if merged["available_until"] < merged["available_from"]:
        raise InvalidInput(
            _("The offer must end on or after its first day."),
            fields={"available_until": _("before available from")},
        )
    if merged["quantity"] < offer.quantity_committed:
        raise InvalidInput(
            _("%(n)s are already committed to accepted matches.") % {"n": offer.quantity_committed},
            fields={"quantity": _("below what is already committed")},
        )
    if offer.kind == OfferKind.pledge and "category" in changes:
        await refuse_unwanted(session, offer.incident_id, changes["category"])
    for key, value in changes.items():
        setattr(offer, key, value)
    offer.updated_at = utcnow()
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent accept raised the commitment meanwhile
        raise Conflict(_("The offer changed meanwhile; reload and try again.")) from exc
    await audit.record(
        session,
        actor=actor,
        action="offer.update",
        obj=offer,
        before=before,
        after=audit.snapshot(offer),
    )
    return offer


async def withdraw_offer(session: AsyncSession, *, offer_id: int, actor: User) -> Offer:
    """Withdraw; open proposals for it lapse, but accepted matches must be fulfilled first."""
    offer = await get_offer(session, offer_id)
    if not owns_offer(actor, offer):
        raise NotOwner(_("Only the offering organization or person may withdraw this offer."))
    if offer.status != OfferStatus.open:
        raise InvalidState(_("This offer is already withdrawn."))
    pending = await session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.offer_id == offer.id, Match.status == MatchStatus.accepted.value)
    )
    if pending:
        raise InvalidState(
            _("This offer has accepted matches still to fulfil; fulfil them first."),
        )
    before = audit.snapshot(offer)
    await session.execute(
        update(Match)
        .where(Match.offer_id == offer.id, Match.status == MatchStatus.proposed.value)
        .values(status=MatchStatus.declined.value, decided_by_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    offer.status = OfferStatus.withdrawn
    offer.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="offer.withdraw",
        obj=offer,
        before=before,
        after=audit.snapshot(offer),
    )
    return offer


async def list_offers(
    session: AsyncSession,
    *,
    viewer: User,
    incident_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Offer], int]:
    """Officials see every offer; others see their own and their organization's."""
    query = select(Offer)
    if viewer.role != Role.official:
        mine = Offer.owner_id == viewer.id
        if viewer.role == Role.ngo and viewer.organization_id is not None:
            mine = mine | (Offer.organization_id == viewer.organization_id)
        query = query.where(mine)
    if incident_id is not None:
        query = query.where(Offer.incident_id == incident_id)
    if status is not None:
        query = query.where(Offer.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Offer.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


async def put_reserve_offer(
    session: AsyncSession,
    *,
    offer_id: int | None,
    incident_id: int,
    owner_id: int,
    organization_id: int | None,
    category: str,
    unit: str,
    available: int,
    lat: float,
    lon: float,
    radius_km: float,
    available_from,
    available_until,
    description: str,
) -> int | None:
    """Create or refresh the offer of a warehouse's stock to an incident: what is on hand and
    not held, on top of what accepted matches already committed. None when nothing is left."""
    offer = await session.get(Offer, offer_id) if offer_id is not None else None
    committed = offer.quantity_committed if offer is not None else 0
    quantity = committed + max(available, 0)
    if offer is None:
        if available <= 0:
            return None
        offer = Offer(
            incident_id=incident_id,
            kind=OfferKind.reserve,
            owner_id=owner_id,
            organization_id=organization_id,
            category=category,
            unit=unit,
            quantity=quantity,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
            available_from=available_from,
            available_until=available_until,
            description=description,
        )
        session.add(offer)
    elif quantity <= 0:
        offer.status = OfferStatus.withdrawn
    else:
        offer.quantity = quantity
        offer.status = OfferStatus.open
        offer.lat, offer.lon = lat, lon
        offer.available_from, offer.available_until = available_from, available_until
        offer.updated_at = utcnow()
    await session.flush()
    return offer.id
