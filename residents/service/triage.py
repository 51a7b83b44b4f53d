"""Triage of help requests: the queue, likely duplicates, verify, reject, merge, convert."""

import math
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.models import User
from recovery.service import NeedCreate, Priority, create_need, ensure_can_act, get_need
from residents.errors import HelpRequestNotFound, InvalidMerge, RequestClosed
from residents.models import OPEN_STATUSES, HelpRequest, RequestStatus
from residents.schemas import Convert, QueueItem
from residents.service.requests import _PERSONAL, add_update

# Two descriptions this similar (Jaccard of their tokens) and this close are likely one need.
SIMILARITY = 0.4
NEARBY_KM = 1.0
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def tokens(text: str) -> set[str]:
    """Words for alphabetic text, character pairs for Chinese (which has no spaces)."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    han = _HAN.findall(lowered)
    words.update(a + b for a, b in zip(han, han[1:], strict=False))
    return words


def similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _km(a: HelpRequest, b: HelpRequest) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371 * math.hypot(dlat, dlon)


def _phone(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits[-11:] if digits else None


def likely_duplicate(a: HelpRequest, b: HelpRequest, a_tokens: set[str] | None = None) -> bool:
    """Same phone, or similar text in the same place (same area or within NEARBY_KM)."""
    if a.id == b.id:
        return False
    if _phone(a.contact_phone) and _phone(a.contact_phone) == _phone(b.contact_phone):
        return True
    distance = _km(a, b)
    near = (distance is not None and distance <= NEARBY_KM) or (
        a.area_id is not None and a.area_id == b.area_id
    )
    if not near and (distance is not None or (a.area_id and b.area_id)):
        return False
    text = similarity(a_tokens or tokens(a.description), tokens(b.description))
    return text >= SIMILARITY


async def _open_requests(session: AsyncSession, incident_id: int) -> list[HelpRequest]:
    rows = await session.execute(
        select(HelpRequest).where(
            HelpRequest.incident_id == incident_id, HelpRequest.status.in_(OPEN_STATUSES)
        )
    )
    return list(rows.scalars())


async def duplicates_of(session: AsyncSession, request: HelpRequest) -> list[int]:
    mine = tokens(request.description)
    return sorted(
        other.id
        for other in await _open_requests(session, request.incident_id)
        if likely_duplicate(request, other, mine)
    )


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
    limit: int = 100,
) -> list[QueueItem]:
    await ensure_may_view(session, user, incident_id)
    query = select(HelpRequest).where(HelpRequest.incident_id == incident_id)
    if status:
        query = query.where(HelpRequest.status == status)
    rows = list(
        (await session.execute(query.order_by(HelpRequest.created_at).limit(limit))).scalars()
    )
    candidates = await _open_requests(session, incident_id)
    items = []
    for row in rows:
        mine = tokens(row.description)
        found = sorted(c.id for c in candidates if likely_duplicate(row, c, mine))
        items.append(QueueItem.model_validate({**row.model_dump(), "possible_duplicates": found}))
    return items


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
