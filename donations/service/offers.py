"""Offers: NGO capacity and donors' in-kind pledges, and the incident's don't-send list."""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import _
from core.models import Role, User
from donations.errors import InvalidState, NotOwner, NotWanted, OfferNotFound
from donations.models import DontSendItem, Match, MatchStatus, Offer, OfferKind, OfferStatus
from donations.schemas import DontSendCreate, OfferCreate, OfferUpdate
from donations.service.common import owns_offer
from recovery.service import get_incident


async def get_offer(session: AsyncSession, offer_id: int) -> Offer:
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise OfferNotFound(_("No such offer."))
    return offer


async def _refuse_unwanted(session: AsyncSession, incident_id: int, category: str) -> None:
    item = await session.scalar(
        select(DontSendItem).where(
            DontSendItem.incident_id == incident_id, DontSendItem.category == category
        )
    )
    if item is not None:
        raise NotWanted(
            _("Please don't send this: %(label)s. %(reason)s")
            % {"label": item.label, "reason": item.reason},
            fields={"category": item.reason},
        )


async def create_offer(session: AsyncSession, *, owner: User, data: OfferCreate) -> Offer:
    await get_incident(session, data.incident_id)
    kind = OfferKind.pledge if owner.role == Role.donor else OfferKind.capacity
    if kind == OfferKind.pledge:
        await _refuse_unwanted(session, data.incident_id, data.category)
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
    offer = await get_offer(session, offer_id)
    if not owns_offer(actor, offer):
        raise NotOwner(_("Only the offering organization or person may change this offer."))
    if offer.status != OfferStatus.open:
        raise InvalidState(_("A withdrawn offer cannot be changed."))
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    before = audit.snapshot(offer)
    merged = {
        key: getattr(offer, key) for key in ("available_from", "available_until", "quantity")
    } | changes
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
        await _refuse_unwanted(session, offer.incident_id, changes["category"])
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


async def dont_send_list(session: AsyncSession, incident_id: int) -> list[DontSendItem]:
    rows = await session.scalars(
        select(DontSendItem)
        .where(DontSendItem.incident_id == incident_id)
        .order_by(DontSendItem.category)
    )
    return list(rows)


async def add_dont_send(
    session: AsyncSession, *, data: DontSendCreate, actor: User
) -> DontSendItem:
    await get_incident(session, data.incident_id)
    exists = await session.scalar(
        select(DontSendItem.id).where(
            DontSendItem.incident_id == data.incident_id,
            DontSendItem.category == data.category,
        )
    )
    if exists:
        raise Conflict(
            _("This category is already on the list."),
            fields={"category": _("already listed")},
        )
    item = DontSendItem(**data.model_dump(), created_by_id=actor.id)
    session.add(item)
    await session.flush()
    await audit.record(
        session, actor=actor, action="dont_send.add", obj=item, after=audit.snapshot(item)
    )
    return item


async def remove_dont_send(session: AsyncSession, *, item_id: int, actor: User) -> DontSendItem:
    item = await session.get(DontSendItem, item_id)
    if item is None:
        raise NotFound(_("No such entry."))
    before = audit.snapshot(item)
    await session.delete(item)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="dont_send.remove",
        object_type="dont_send_items",
        object_id=item_id,
        before=before,
    )
    return item
