"""Material reserves: warehouses, lots, audited movements that never go below zero, holds."""

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock, notifications
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.i18n import _
from core.models import Organization, Role, User
from preparedness.models import MovementKind, Reservation, StockLot, StockMovement, Warehouse
from preparedness.schemas import MovementIn, StockLevel, WarehouseCreate
from recovery.service import get_area, get_need


class StockShort(Conflict):
    code = "stock_short"


async def create_warehouse(session: AsyncSession, data: WarehouseCreate, *, actor: User):
    if actor.organization_id is None:
        raise Forbidden(_("Only members of an organization keep warehouses."))
    if data.area_id is not None:
        await get_area(session, data.area_id)
    warehouse = Warehouse(
        **data.model_dump(mode="json"),
        organization_id=actor.organization_id,
        created_by_id=actor.id,
    )
    session.add(warehouse)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="warehouse.create",
        obj=warehouse,
        after=audit.snapshot(warehouse),
    )
    return warehouse


async def get_warehouse(session: AsyncSession, warehouse_id: int, field: str = "id") -> Warehouse:
    warehouse = await session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(_("No such warehouse."), fields={field: _("not found")})
    return warehouse


async def lock_warehouse(session: AsyncSession, warehouse_id: int) -> None:
    """Serialize what takes or holds a warehouse's stock: on PostgreSQL a row lock, so a
    manual issue and a match's hold cannot both count the same free stock; on SQLite the write
    transaction (BEGIN IMMEDIATE) already runs alone."""
    await session.execute(
        select(Warehouse.id).where(Warehouse.id == warehouse_id).with_for_update()
    )


def _owns(user: User, warehouse: Warehouse) -> bool:
    return user.organization_id == warehouse.organization_id


async def reserved_by_item(session: AsyncSession, warehouse_id: int) -> dict[tuple[str, str], int]:
    rows = await session.execute(
        select(
            Reservation.category,
            Reservation.unit,
            func.sum(Reservation.quantity - Reservation.issued),
        )
        .where(Reservation.warehouse_id == warehouse_id, Reservation.exercise.is_(False))
        .group_by(Reservation.category, Reservation.unit)
    )
    return {(c, u): int(q or 0) for c, u, q in rows}


async def lots(session: AsyncSession, warehouse_id: int) -> list[StockLot]:
    rows = await session.scalars(
        select(StockLot)
        .where(StockLot.warehouse_id == warehouse_id, StockLot.quantity > 0)
        .order_by(StockLot.category, StockLot.unit, StockLot.expires_on, StockLot.id)
    )
    return list(rows)


async def stock(session: AsyncSession, warehouse_id: int, *, viewer: User) -> list[StockLevel]:
    """Levels by category, unit, lot and expiry: for the owner and officials."""
    warehouse = await get_warehouse(session, warehouse_id)
    if not _owns(viewer, warehouse) and viewer.role != Role.official:
        raise Forbidden(_("Only the warehouse's organization and officials see its stock."))
    return [
        StockLevel.model_validate(lot, from_attributes=True)
        for lot in await lots(session, warehouse_id)
    ]


async def _lot(
    session: AsyncSession, warehouse_id: int, data: MovementIn, *, create: bool
) -> StockLot | None:
    expiry = (
        StockLot.expires_on.is_(None)
        if data.expires_on is None
        else (StockLot.expires_on == data.expires_on)
    )
    found = await session.scalar(
        select(StockLot)
        .where(
            StockLot.warehouse_id == warehouse_id,
            StockLot.category == data.category,
            StockLot.unit == data.unit,
            StockLot.lot == (data.lot or ""),
            expiry,
        )
        .order_by(StockLot.id)
        .limit(1)
    )
    if found is None and create:
        found = StockLot(
            warehouse_id=warehouse_id,
            category=data.category,
            unit=data.unit,
            lot=data.lot or "",
            expires_on=data.expires_on,
            quantity=0,
        )
        session.add(found)
        await session.flush()
    return found


async def _take(session: AsyncSession, lot: StockLot, quantity: int) -> bool:
    """One conditional update: the lot loses `quantity` only if it holds that much."""
    changed = await session.execute(
        update(StockLot)
        .where(StockLot.id == lot.id, StockLot.quantity >= quantity)
        .values(quantity=StockLot.quantity - quantity)
        .returning(StockLot.id)
        .execution_options(synchronize_session=False)
    )
    if changed.scalar_one_or_none() is None:
        return False
    await session.refresh(lot)
    return True


async def _give(session: AsyncSession, lot: StockLot, quantity: int) -> None:
    await session.execute(
        update(StockLot)
        .where(StockLot.id == lot.id)
        .values(quantity=StockLot.quantity + quantity)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(lot)


async def _ensure_not_held(
    session: AsyncSession, warehouse_id: int, category: str, unit: str, amount: int
) -> None:
    """A manual issue or transfer may not take stock held for accepted matches (409). A
    negative adjustment may: it records stock that is physically gone, held or not."""
    on_hand = await session.scalar(
        select(func.coalesce(func.sum(StockLot.quantity), 0)).where(
            StockLot.warehouse_id == warehouse_id,
            StockLot.category == category,
            StockLot.unit == unit,
        )
    )
    held = (await reserved_by_item(session, warehouse_id)).get((category, unit), 0)
    if amount > int(on_hand) - held:
        raise StockShort(
            _(
                "Only %(free)s of %(on_hand)s on hand are free: "
                "%(held)s are held for accepted matches."
            )
            % {"free": max(int(on_hand) - held, 0), "on_hand": int(on_hand), "held": held},
            fields={"quantity": _("more than is free of holds")},
        )


def _short(available: int) -> StockShort:
    return StockShort(
        _("Not enough stock: %(n)s on hand.") % {"n": available},
        fields={"quantity": _("more than is on hand")},
    )


async def _take_first_expiring(
    session: AsyncSession, warehouse_id: int, category: str, unit: str, quantity: int
) -> list[tuple[StockLot, int]]:
    """Take `quantity` from the lots that expire first; all or nothing (409)."""
    candidates = [
        lot
        for lot in await lots(session, warehouse_id)
        if lot.category == category and lot.unit == unit
    ]
    candidates.sort(key=lambda lot: (lot.expires_on is None, lot.expires_on or date.max, lot.id))
    if sum(lot.quantity for lot in candidates) < quantity:
        raise _short(sum(lot.quantity for lot in candidates))
    taken, left = [], quantity
    for lot in candidates:
        if left == 0:
            break
        part = min(left, lot.quantity)
        if not await _take(session, lot, part):
            raise _short(lot.quantity)
        taken.append((lot, part))
        left -= part
    return taken


async def _log(session, warehouse: Warehouse, actor, **values) -> StockMovement:
    movement = StockMovement(
        warehouse_id=warehouse.id, actor_id=getattr(actor, "id", actor), **values
    )
    session.add(movement)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=f"stock.{values['kind']}",
        obj=movement,
        after=audit.snapshot(movement),
    )
    return movement


async def move(
    session: AsyncSession, warehouse_id: int, data: MovementIn, *, actor: User
) -> list[StockMovement]:
    """Receive, issue, transfer or adjust; stock never goes below zero (409)."""
    warehouse = await get_warehouse(session, warehouse_id)
    if not _owns(actor, warehouse):
        raise Forbidden(_("Only the warehouse's organization moves its stock."))
    if data.need_id is not None:
        await get_need(session, data.need_id)
    common = {
        "category": data.category,
        "unit": data.unit,
        "need_id": data.need_id,
        "reason": data.reason,
    }
    if data.kind == MovementKind.receive or (
        data.kind == MovementKind.adjust and data.quantity > 0
    ):
        lot = await _lot(session, warehouse.id, data, create=True)
        await _give(session, lot, data.quantity)
        return [
            await _log(
                session, warehouse, actor, kind=data.kind, lot=lot.lot,
                expires_on=lot.expires_on, quantity=data.quantity, **common,
            )
        ]  # fmt: skip
    amount = abs(data.quantity)
    await lock_warehouse(session, warehouse.id)
    if data.kind in (MovementKind.issue, MovementKind.transfer):
        await _ensure_not_held(session, warehouse.id, data.category, data.unit, amount)
    if data.lot is not None or data.expires_on is not None:
        lot = await _lot(session, warehouse.id, data, create=False)
        if lot is None or not await _take(session, lot, amount):
            raise _short(lot.quantity if lot else 0)
        taken = [(lot, amount)]
    else:
        taken = await _take_first_expiring(session, warehouse.id, data.category, data.unit, amount)
    target = None
    if data.kind == MovementKind.transfer:
        if data.to_warehouse_id == warehouse.id:
            raise InvalidInput(
                _("Transfer to another warehouse."),
                fields={"to_warehouse_id": _("the same warehouse")},
            )
        target = await get_warehouse(session, data.to_warehouse_id, "to_warehouse_id")
    movements = []
    for lot, part in taken:
        movements.append(
            await _log(
                session, warehouse, actor, kind=data.kind, lot=lot.lot, expires_on=lot.expires_on,
                quantity=-part, to_warehouse_id=data.to_warehouse_id, **common,
            )
        )  # fmt: skip
        if target is not None:
            incoming = MovementIn(
                kind=MovementKind.receive, category=lot.category, unit=lot.unit,
                quantity=part, lot=lot.lot or None, expires_on=lot.expires_on,
            )  # fmt: skip
            target_lot = await _lot(session, target.id, incoming, create=True)
            await _give(session, target_lot, part)
            await _log(
                session, target, actor, kind=MovementKind.receive, lot=lot.lot,
                expires_on=lot.expires_on, quantity=part,
                reason=_("transfer from %(name)s") % {"name": warehouse.name},
                category=lot.category, unit=lot.unit,
            )  # fmt: skip
    return movements


async def available(session: AsyncSession, warehouse: Warehouse, today: date) -> dict:
    """Per (category, unit): stock on hand that has not expired, less what is held."""
    totals: dict[tuple[str, str], int] = {}
    for lot in await lots(session, warehouse.id):
        if lot.expires_on is None or lot.expires_on >= today:
            key = (lot.category, lot.unit)
            totals[key] = totals.get(key, 0) + lot.quantity
    held = await reserved_by_item(session, warehouse.id)
    return {key: totals.get(key, 0) - held.get(key, 0) for key in set(totals) | set(held)}


async def public_totals(session: AsyncSession) -> list[dict]:
    """Reserve totals per category and unit across verified organizations' warehouses: no
    warehouse, place or lot."""
    rows = await session.execute(
        select(StockLot.category, StockLot.unit, func.sum(StockLot.quantity), Organization)
        .join(Warehouse, Warehouse.id == StockLot.warehouse_id)
        .join(Organization, Organization.id == Warehouse.organization_id)
        .where(StockLot.quantity > 0)
        .group_by(StockLot.category, StockLot.unit, Organization.id)
    )
    totals: dict[tuple[str, str], int] = {}
    for category, unit, quantity, org in rows.all():
        if org.is_verified():
            totals[(category, unit)] = totals.get((category, unit), 0) + int(quantity)
    return [{"category": c, "unit": u, "quantity": q} for (c, u), q in sorted(totals.items())]


# Lots expiring within this many days are reported to the owner.
EXPIRY_WARNING_DAYS = 30


async def stock_alerts(session: AsyncSession, payload: dict) -> None:
    """Job: tell each owner of lots about to expire and of categories below their threshold,
    once per lot and once a day per category."""
    today = clock.today()
    expiring = await session.scalars(
        select(StockLot).where(
            StockLot.quantity > 0,
            StockLot.expires_on.is_not(None),
            StockLot.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            StockLot.expiry_alerted_on.is_(None),
        )
    )
    for lot in list(expiring):
        warehouse = await session.get(Warehouse, lot.warehouse_id)

        def compose(lot=lot, warehouse=warehouse):
            subject = _("Stock expiring in %(name)s") % {"name": warehouse.name}
            body = _("Lot %(lot)s: %(quantity)s %(unit)s of %(category)s expires on %(date)s.") % {
                "lot": lot.lot or "-",
                "quantity": lot.quantity,
                "unit": lot.unit,
                "category": lot.category,
                "date": lot.expires_on.isoformat(),
            }
            return subject, body

        await notifications.queue_for_organization(
            session,
            organization_id=warehouse.organization_id,
            kind="stock.expiring",
            compose=compose,
        )
        lot.expiry_alerted_on = today
    warehouses = await session.scalars(select(Warehouse).order_by(Warehouse.id))
    for warehouse in [w for w in warehouses if w.low_stock]:
        on_hand: dict[str, int] = {}
        for lot in await lots(session, warehouse.id):
            on_hand[lot.category] = on_hand.get(lot.category, 0) + lot.quantity
        alerted = dict(warehouse.alerted)
        for category, threshold in warehouse.low_stock.items():
            level = on_hand.get(category, 0)
            if level >= threshold or alerted.get(category) == today.isoformat():
                continue

            def compose(category=category, level=level, threshold=threshold, warehouse=warehouse):
                subject = _("Low stock in %(name)s") % {"name": warehouse.name}
                body = _("%(category)s: %(level)s on hand, below the threshold of %(min)s.") % {
                    "category": category,
                    "level": level,
                    "min": threshold,
                }
                return subject, body

            await notifications.queue_for_organization(
                session,
                organization_id=warehouse.organization_id,
                kind="stock.low",
                compose=compose,
            )
            alerted[category] = today.isoformat()
        warehouse.alerted = alerted
    await session.flush()
