"""What an incident asks donors for: the goods most needed now, and the don't-send list."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import Conflict, NotFound
from core.i18n import _
from core.models import User
from donations.errors import NotWanted
from donations.models import DontSendItem
from donations.schemas import DontSendCreate
from recovery.service import PRIORITY_RANK, Priority, ensure_can_act, get_incident, open_needs


async def most_needed(session: AsyncSession, incident_id: int, *, limit: int = 10) -> list[dict]:
    """Open needs summed by category and unit, most urgent first: what to give now."""
    await get_incident(session, incident_id)
    groups: dict[tuple[str, str], dict] = {}
    for need in await open_needs(session, incident_id):
        key = (need.category, need.unit)
        group = groups.setdefault(
            key,
            {
                "category": need.category,
                "unit": need.unit,
                "quantity": 0,
                "needs": 0,
                "priority": need.priority,
                "needed_by": need.needed_by,
            },
        )
        group["quantity"] += need.quantity - need.quantity_met
        group["needs"] += 1
        if _rank(need.priority) < _rank(group["priority"]):
            group["priority"] = need.priority
        group["needed_by"] = min(group["needed_by"], need.needed_by)
    ranked = sorted(
        groups.values(), key=lambda g: (_rank(g["priority"]), g["needed_by"], -g["quantity"])
    )
    return ranked[:limit]


def _rank(priority: str) -> int:
    try:
        return PRIORITY_RANK[Priority(priority)]
    except ValueError:
        return len(PRIORITY_RANK)


async def board(session: AsyncSession, incident_id: int) -> dict:
    """The incident's whole ask: most needed first, then what not to send."""
    return {
        "most_needed": await most_needed(session, incident_id),
        "dont_send": await dont_send_list(session, incident_id),
    }


async def dont_send_list(session: AsyncSession, incident_id: int) -> list[DontSendItem]:
    rows = await session.scalars(
        select(DontSendItem)
        .where(DontSendItem.incident_id == incident_id)
        .order_by(DontSendItem.category)
    )
    return list(rows)


async def refuse_unwanted(session: AsyncSession, incident_id: int, category: str) -> None:
    """Refuse an in-kind pledge in a category the incident's officials asked not to receive."""
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


async def add_dont_send(
    session: AsyncSession, *, data: DontSendCreate, actor: User
) -> DontSendItem:
    await ensure_can_act(session, actor, data.incident_id)
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
    await ensure_can_act(session, actor, item.incident_id)
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
