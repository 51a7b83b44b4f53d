"""Likely duplicates of help requests: the same phone, or similar words in the same place.

Each request's words are indexed when it comes in (HelpRequestToken), and the likely
duplicates found then are kept (HelpRequestDuplicate), so the queue reads them and the
operator's check as they type reads a few index postings, not every request of the incident.
"""

import math
import re

from sqlalchemy import func, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from residents.models import OPEN_STATUSES, HelpRequest, HelpRequestDuplicate, HelpRequestToken

# Two descriptions this similar (Jaccard of their tokens) and this close are likely one need.
SIMILARITY = 0.4
NEARBY_KM = 1.0
# Tokens kept per description: a long story is still one request.
MAX_TOKENS = 200
# Requests compared word by word at most, so the check stays fast in a large incident.
MAX_CANDIDATES = 500
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
# Words that say nothing about what is needed, and would make the index's longest lists.
_STOP = frozenset(
    ["a", "an", "and", "are", "at", "for", "in", "is", "of", "on", "or", "our", "the", "to", "we"]
)


def tokens(text: str) -> set[str]:
    """Words for alphabetic text, character pairs for Chinese (which has no spaces)."""
    lowered = text.lower()
    words = {w[:40] for w in _WORD.findall(lowered) if w not in _STOP}
    han = _HAN.findall(lowered)
    words.update(a + b for a, b in zip(han, han[1:], strict=False))
    return set(sorted(words)[:MAX_TOKENS]) if len(words) > MAX_TOKENS else words


def similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def phone_key(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits[-11:] if len(digits) >= 3 else None


def _km(lat1, lon1, lat2, lon2) -> float | None:
    if None in (lat1, lon1, lat2, lon2):
        return None
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371 * math.hypot(dlat, dlon)


def _same_place(area_id, lat, lon, other: HelpRequest) -> bool:
    """Near each other, or not known to be apart (one side says nothing of where it is)."""
    distance = _km(lat, lon, other.lat, other.lon)
    if distance is not None and distance <= NEARBY_KM:
        return True
    if area_id is not None and area_id == other.area_id:
        return True
    return distance is None and not (area_id and other.area_id)


async def find_duplicates(
    session: AsyncSession,
    *,
    incident_id: int,
    description: str | None,
    contact_phone: str | None = None,
    area_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    exclude_id: int | None = None,
    limit: int = 20,
) -> list[HelpRequest]:
    """The incident's open requests that are likely the same: the same phone, or a Jaccard
    similarity of at least SIMILARITY in the same place. Oldest first."""
    found: dict[int, HelpRequest] = {}
    key = phone_key(contact_phone)
    if key:
        rows = await session.scalars(
            select(HelpRequest).where(
                HelpRequest.incident_id == incident_id,
                HelpRequest.phone_key == key,
                HelpRequest.status.in_(OPEN_STATUSES),
            )
        )
        found.update((r.id, r) for r in rows)
    mine = tokens(description or "")
    if mine:
        for row in await _similar(session, incident_id, mine):
            if _same_place(area_id, lat, lon, row):
                found[row.id] = row
    found.pop(exclude_id, None)
    return sorted(found.values(), key=lambda r: r.id)[:limit]


async def _frequencies(session: AsyncSession, incident_id: int, mine: set[str]) -> dict:
    """How many requests of the incident have each token, counted up to MAX_CANDIDATES + 1
    (a more common token is just "common"), in one query that reads the index alone."""
    capped = [
        select(HelpRequestToken.token)
        .where(HelpRequestToken.incident_id == incident_id, HelpRequestToken.token == token)
        .limit(MAX_CANDIDATES + 1)
        .subquery()
        for token in sorted(mine)
    ]
    parts = union_all(*(select(part.c.token) for part in capped)).subquery()
    rows = await session.execute(select(parts.c.token, func.count()).group_by(parts.c.token))
    return {token: 0 for token in mine} | dict(rows.all())


async def _similar(session: AsyncSession, incident_id: int, mine: set[str]) -> list[HelpRequest]:
    """Open requests whose tokens are at least SIMILARITY alike, found by prefix filtering:
    any such request shares one of our rarest len(mine) - needed + 1 tokens. When those are
    common words, the candidates are the requests sharing our rarest words, up to
    MAX_CANDIDATES: then a request that shares only common words with ours is not found."""
    needed = math.ceil(SIMILARITY * len(mine))
    frequency = await _frequencies(session, incident_id, mine)
    ranked = sorted((t for t in mine if frequency[t]), key=lambda t: (frequency[t], t))
    prefix, total = [], 0
    for token in ranked[: len(mine) - needed + 1]:
        if total + frequency[token] > MAX_CANDIDATES:
            break
        prefix.append(token)
        total += frequency[token]
    if not prefix:
        return []
    candidates = (
        select(HelpRequestToken.request_id)
        .where(HelpRequestToken.incident_id == incident_id, HelpRequestToken.token.in_(prefix))
        .distinct()
    )
    shared = (
        await session.execute(
            select(HelpRequestToken.request_id, func.count())
            .where(
                HelpRequestToken.request_id.in_(candidates),
                HelpRequestToken.token.in_(mine),
            )
            .group_by(HelpRequestToken.request_id)
            .having(func.count() >= needed)
        )
    ).all()
    if not shared:
        return []
    counts = dict(shared)
    rows = await session.scalars(
        select(HelpRequest).where(HelpRequest.id.in_(counts), HelpRequest.status.in_(OPEN_STATUSES))
    )
    return [
        row
        for row in rows
        if counts[row.id] / (len(mine) + row.token_count - counts[row.id]) >= SIMILARITY
    ]


async def index_request(session: AsyncSession, request: HelpRequest) -> list[int]:
    """Index a new request's words and phone, and keep its likely duplicates both ways
    round; answers their ids."""
    words = tokens(request.description)
    request.token_count = len(words)
    request.phone_key = phone_key(request.contact_phone)
    others = await find_duplicates(
        session,
        incident_id=request.incident_id,
        description=request.description,
        contact_phone=request.contact_phone,
        area_id=request.area_id,
        lat=request.lat,
        lon=request.lon,
        exclude_id=request.id,
        limit=50,
    )
    if words:
        await session.execute(
            insert(HelpRequestToken),
            [
                {"request_id": request.id, "token": t, "incident_id": request.incident_id}
                for t in sorted(words)
            ],
        )
    pairs = [{"request_id": request.id, "other_id": o.id} for o in others]
    pairs += [{"request_id": o.id, "other_id": request.id} for o in others]
    if pairs:
        await session.execute(insert(HelpRequestDuplicate), pairs)
    await session.flush()
    return [o.id for o in others]


async def kept_duplicates(session: AsyncSession, request_ids: list[int]) -> dict[int, list[int]]:
    """The likely duplicates kept for these requests, still open."""
    if not request_ids:
        return {}
    rows = await session.execute(
        select(HelpRequestDuplicate.request_id, HelpRequestDuplicate.other_id)
        .join(HelpRequest, HelpRequest.id == HelpRequestDuplicate.other_id)
        .where(
            HelpRequestDuplicate.request_id.in_(request_ids),
            HelpRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(HelpRequestDuplicate.other_id)
    )
    found: dict[int, list[int]] = {i: [] for i in request_ids}
    for request_id, other_id in rows.all():
        found[request_id].append(other_id)
    return found
