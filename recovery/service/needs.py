"""Needs: status derived from quantity met, fulfilment as an atomic conditional update."""

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.db import utcnow
from core.i18n import _
from core.models import User
from recovery.errors import OverFulfilment
from recovery.models import Need, NeedStatus
from recovery.service.lookup import get_need

OFFICIAL_STATUSES = (NeedStatus.closed, NeedStatus.cancelled)


def derive_status(quantity: int, quantity_met: int) -> NeedStatus:
    if quantity_met <= 0:
        return NeedStatus.open
    if quantity_met >= quantity:
        return NeedStatus.met
    return NeedStatus.partially_met


async def record_fulfilment(
    session: AsyncSession, need_id: int, quantity: int, *, actor: User | None, source: str
) -> Need:
    """Add `quantity` to what is met, never beyond the need, in one conditional UPDATE."""
    before = audit.snapshot(await get_need(session, need_id))
    new_met = Need.quantity_met + quantity
    result = await session.execute(
        update(Need)
        .where(
            Need.id == need_id,
            Need.quantity_met + quantity <= Need.quantity,
            Need.status.not_in([s.value for s in OFFICIAL_STATUSES]),
        )
        .values(
            quantity_met=new_met,
            status=case(
                (new_met >= Need.quantity, NeedStatus.met.value),
                (new_met > 0, NeedStatus.partially_met.value),
                else_=NeedStatus.open.value,
            ),
            updated_at=utcnow(),
        )
        .returning(Need.id)
        .execution_options(synchronize_session=False)
    )
    if result.scalar_one_or_none() is None:
        raise OverFulfilment(
            _("This would exceed what the need asks for, or the need is closed."),
            fields={"quantity": _("more than the need still lacks")},
        )
    need = await session.get(Need, need_id, populate_existing=True)
    await audit.record(
        session,
        actor=actor,
        action="need.fulfil",
        obj=need,
        before=before,
        after=audit.snapshot(need) | {"source": source, "quantity_added": quantity},
    )
    return need


async def open_needs(session: AsyncSession, incident_id: int) -> list[Need]:
    """Needs of an incident that still lack something, for matching."""
    rows = await session.scalars(
        select(Need)
        .where(
            Need.incident_id == incident_id,
            Need.status.in_([NeedStatus.open.value, NeedStatus.partially_met.value]),
            Need.quantity_met < Need.quantity,
        )
        .order_by(Need.id)
    )
    return list(rows)
