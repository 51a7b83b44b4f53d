"""Triage of help requests: the queue, likely duplicates, verify, reject, merge, convert."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.models import User
from recovery.service import NeedCreate, Priority, create_need, ensure_can_act, get_need
from residents.errors import HelpRequestNotFound, InvalidMerge, RequestClosed
from residents.models import OPEN_STATUSES, HelpRequest, RequestStatus
from residents.schemas import Convert, DuplicateItem, DuplicateQuery, QueueItem
from residents.service.duplicates import find_duplicates, kept_duplicates, phone_key
from residents.service.requests import _PERSONAL, add_update


async def ensure_may_view(session: AsyncSession, user: User, incident_id: int) -> None:
    """Officials acting on the incident, or a verified NGO (the route checks the role)."""
    if user.role != "ngo":
        await ensure_can_act(session, user, incident_id)


async def queue(
    session: AsyncSession,
    user: User,
    *,
    incident_id: int,
    status: str | None = None,
    category: str | None = None,
    area_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[QueueItem], int]:
    """A page of the incident's requests, oldest first, each with its likely duplicates; and
    how many match in all."""
    await ensure_may_view(session, user, incident_id)
    query = select(HelpRequest).where(HelpRequest.incident_id == incident_id)
    if status:
        query = query.where(HelpRequest.status == status)
    if category:
        query = query.where(HelpRequest.category == category)
    if area_id:
        query = query.where(HelpRequest.area_id == area_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(
        await session.scalars(
            query.order_by(HelpRequest.created_at, HelpRequest.id).limit(limit).offset(offset)
        )
    )
    kept = await kept_duplicates(session, [row.id for row in rows])
    items = [_item(row, kept[row.id]) for row in rows]
    return items, total or 0


async def request_for_staff(session: AsyncSession, user: User, request_id: int) -> HelpRequest:
    """A request, for the officials and NGOs who may see its personal data."""
    row = await _get(session, request_id)
    await ensure_may_view(session, user, row.incident_id)
    return row


def _item(row: HelpRequest, duplicates: list[int]) -> QueueItem:
    return QueueItem.model_validate(
        {**row.model_dump(), "possible_duplicates": duplicates, "has_photo": bool(row.photo_file)}
    )


async def queue_item(session: AsyncSession, user: User, request_id: int) -> QueueItem:
    """One request as a queue row, for redrawing it after a decision."""
    row = await request_for_staff(session, user, request_id)
    kept = await kept_duplicates(session, [row.id])
    return _item(row, kept[row.id])


async def check_duplicates(
    session: AsyncSession, user: User, query: DuplicateQuery
) -> list[DuplicateItem]:
    """The operator's check as they type: open requests likely the same as this one."""
    await ensure_may_view(session, user, query.incident_id)
    if not (query.description or query.contact_phone):
        return []
    found = await find_duplicates(session, **query.model_dump(), limit=10)
    key = phone_key(query.contact_phone)
    return [
        DuplicateItem.model_validate(
            {**row.model_dump(), "same_phone": key is not None and row.phone_key == key}
        )
        for row in found
    ]


async def duplicates_of(session: AsyncSession, request: HelpRequest) -> list[int]:
    """The open requests likely the same as this one, as of now."""
    found = await find_duplicates(
        session,
        incident_id=request.incident_id,
        description=request.description,
        contact_phone=request.contact_phone,
        area_id=request.area_id,
        lat=request.lat,
        lon=request.lon,
        exclude_id=request.id,
    )
    return [row.id for row in found]


async def _get(session: AsyncSession, request_id: int) -> HelpRequest:
    request = await session.get(HelpRequest, request_id)
    if request is None:
        raise HelpRequestNotFound("No such help request.")
    return request


async def _triage(session: AsyncSession, request_id: int, actor: User) -> HelpRequest:
    request = await _get(session, request_id)
    await ensure_can_act(session, actor, request.incident_id)
    if request.status not in OPEN_STATUSES:
        raise RequestClosed("This request is no longer open.")
    return request


async def _audit(session, actor, action, request, before, **extra) -> None:
    after = {**audit.snapshot(request, exclude=_PERSONAL), **extra}
    await audit.record(session, actor=actor, action=action, obj=request, before=before, after=after)


async def verify(session: AsyncSession, request_id: int, note: str, *, actor: User) -> HelpRequest:
    request = await _triage(session, request_id, actor)
    before = audit.snapshot(request, exclude=_PERSONAL)
    request.note = note
    await add_update(session, request, RequestStatus.verified, "verified")
    await _audit(session, actor, "help_request.verify", request, before)
    return request


async def reject(
    session: AsyncSession, request_id: int, reason: str, *, actor: User
) -> HelpRequest:
    request = await _triage(session, request_id, actor)
    before = audit.snapshot(request, exclude=_PERSONAL)
    request.note = reason
    await add_update(session, request, RequestStatus.rejected, "rejected", reason=reason)
    await _audit(session, actor, "help_request.reject", request, before)
    return request


async def merge(
    session: AsyncSession, request_id: int, into_id: int, *, actor: User
) -> HelpRequest:
    """Mark `request_id` a duplicate of `into_id`; its requester follows the kept request."""
    request = await _triage(session, request_id, actor)
    into = await _get(session, into_id)
    if into.id == request.id or into.incident_id != request.incident_id:
        raise InvalidMerge("Merge into another request of the same incident.")
    if into.status not in OPEN_STATUSES:
        raise InvalidMerge("Merge into an open request.")
    before = audit.snapshot(request, exclude=_PERSONAL)
    request.duplicate_of_id = into.id
    request.need_id = into.need_id
    into.people_affected = max(into.people_affected or 0, request.people_affected or 0) or None
    into.vulnerable = sorted(set(into.vulnerable) | set(request.vulnerable))
    await add_update(
        session, request, RequestStatus.duplicate, "duplicate", reference=into.reference
    )
    await _audit(session, actor, "help_request.merge", request, before)
    return request


async def convert(
    session: AsyncSession, request_id: int, data: Convert, *, actor: User
) -> HelpRequest:
    """Make the request a need (recovery's service does it) or attach it to one; the requests
    merged into it follow the same need."""
    request = await _triage(session, request_id, actor)
    before = audit.snapshot(request, exclude=_PERSONAL)
    if data.need_id is not None:
        need = await get_need(session, data.need_id)
        if need.incident_id != request.incident_id:
            raise InvalidMerge("Attach to a need of the same incident.")
    else:
        need = await create_need(
            session,
            NeedCreate(
                incident_id=request.incident_id,
                area_id=request.area_id,
                title=data.title,
                category=request.category,
                quantity=data.quantity,
                unit=data.unit,
                priority=data.priority or Priority.high,
                needed_by=data.needed_by,
                lat=request.lat if request.area_id is None else None,
                lon=request.lon if request.area_id is None else None,
                # Only the need itself goes public: no names, phones or addresses.
                description="",
            ),
            actor=actor,
        )
    request.need_id = need.id
    await add_update(session, request, RequestStatus.converted, "converted")
    merged = await session.execute(
        select(HelpRequest).where(HelpRequest.duplicate_of_id == request.id)
    )
    for row in merged.scalars():
        row.need_id = need.id
    await _audit(session, actor, "help_request.convert", request, before, need_id=need.id)
    return request
