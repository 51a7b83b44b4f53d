"""The site-wide search: every domain's public records containing a text, in one UNION ALL query.

Each domain declares `SearchSource`s: a select of the common columns (`search_columns`) over
its public rows. The kernel unions them, ranks each kind's rows in its own order and counts
them with window functions, so the page's groups (the first N of each kind, with totals) and
the API's flat pages (after a cursor) are both one statement, whatever the number of kinds.
Answers are cached per process under the platform-wide public version (any write changes it),
the locale (details carry translated labels) and the minute (shifts stop being found when
they end, which no write marks).
"""

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, literal, null, or_, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from core import cache, clock
from core.db import UTCDateTime
from core.domain import Extensions, SearchGroup, SearchHit, SearchSource
from core.i18n import current_locale

# Shorter words match nearly everything (one CJK character is a word); longer ones are a
# typing accident or an attack.
MIN_LENGTH, MAX_LENGTH = 2, 100


def normalize(text: str | None) -> str:
    """The text searched for: runs of spaces as one, none at the ends."""
    return " ".join((text or "").split())


def too_short(text: str) -> bool:
    return len(text) < MIN_LENGTH and not any(ord(c) > 0x2E80 for c in text)


def search_columns(
    *,
    id: ColumnElement,
    title: ColumnElement,
    order_by: Sequence[ColumnElement],
    incident_id: ColumnElement | None = None,
    note: ColumnElement | None = None,
    state: ColumnElement | None = None,
    starts_at: ColumnElement | None = None,
    ends_at: ColumnElement | None = None,
) -> list[ColumnElement]:
    """The columns every source selects, in the union's order: a source leaves out what its
    records lack (typed NULLs, so PostgreSQL can union them), and `order_by` ranks its rows."""

    def text(value):
        return (null() if value is None else value).cast(String).label

    def at(value):
        return (null().cast(UTCDateTime) if value is None else value).label

    return [
        id.label("id"),
        title.cast(String).label("title"),
        (null().cast(Integer) if incident_id is None else incident_id).label("incident_id"),
        text(note)("note"),
        text(state)("state"),
        at(starts_at)("starts_at"),
        at(ends_at)("ends_at"),
        func.row_number().over(order_by=list(order_by)).label("rank"),
        func.count().over().label("total"),
    ]


@dataclass(frozen=True)
class SearchPage:
    """A flat page of hits across kinds, each hit with its kind; `cursor` fetches the next."""

    hits: list[tuple[str, SearchHit]]
    totals: dict[str, int]
    cursor: str | None


def kinds(session: AsyncSession) -> list[str]:
    return [source.kind for source in Extensions.of(session).search_sources]


def _sources(session: AsyncSession, only: Sequence[str] | None) -> list[SearchSource]:
    return [s for s in Extensions.of(session).search_sources if not only or s.kind in only]


def _union(sources: list[SearchSource], text: str, incident_id: int | None):
    parts = [
        source.rows(text, incident_id).add_columns(literal(position).label("position"))
        for position, source in enumerate(sources)
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("found")


async def _hits(session, sources, rows) -> dict[int, list[SearchHit]]:
    by_position: dict[int, list[Row]] = {}
    for row in rows:
        by_position.setdefault(row.position, []).append(row)
    return {
        position: await sources[position].hits(session, found)
        for position, found in by_position.items()
    }


async def _cached(session: AsyncSession, key: tuple, build: Callable[[], Awaitable[Any]]):
    versions = await cache.all_versions(session)
    full = (
        *key,
        str(current_locale.get()),
        versions,
        clock.utcnow().replace(second=0, microsecond=0),
    )
    store = cache.local(session, "search", size=512)
    found = store.get(full)
    if found is None:
        found = await build()
        store.put(full, found)
    return found


async def search(
    session: AsyncSession,
    text: str,
    per_kind: int,
    *,
    only: Sequence[str] | None = None,
    incident_id: int | None = None,
) -> list[SearchGroup]:
    """The first `per_kind` hits of each kind containing `text`, with each kind's total, in
    the order the domains list their sources (the search page)."""

    async def build() -> list[SearchGroup]:
        sources = _sources(session, only)
        if not sources:
            return []
        found = _union(sources, text, incident_id)
        rows = (
            await session.execute(
                select(found)
                .where(found.c.rank <= per_kind)
                .order_by(found.c.position, found.c.rank)
            )
        ).all()
        hits = await _hits(session, sources, rows)
        totals = {row.position: row.total for row in rows}
        return [
            SearchGroup(s.kind, s.label, hits.get(p, []), totals.get(p, 0))
            for p, s in enumerate(sources)
        ]

    return await _cached(session, ("groups", text, per_kind, tuple(only or ()), incident_id), build)


def encode_cursor(kind: str, rank: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{rank}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, known: Sequence[str]) -> tuple[str, int] | None:
    """(kind, rank) of the last hit a page ended on; None for a cursor no page gave."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, rank = raw.rsplit(":", 1)
        number = int(rank)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (kind, number) if kind in known and 0 < number < 2**31 else None


async def search_page(
    session: AsyncSession,
    text: str,
    limit: int,
    *,
    after: tuple[str, int] | None = None,
    only: Sequence[str] | None = None,
    incident_id: int | None = None,
) -> SearchPage:
    """Up to `limit` hits across kinds (kinds in order, each in its own order) after the
    cursor's hit, every kind's total, and the next page's cursor (the API). One statement: the
    first row of every kind comes along for its total, the page's rows are numbered by a
    window over the rows after the cursor, and one more than asked says a next page exists."""

    async def build() -> SearchPage:
        sources = _sources(session, only)
        if not sources:
            return SearchPage([], {}, None)
        found = _union(sources, text, incident_id)
        positions = {s.kind: p for p, s in enumerate(sources)}
        if after is None or after[0] not in positions:
            later: ColumnElement[bool] = literal(True)
        else:
            position, rank = positions[after[0]], after[1]
            later = or_(
                found.c.position > position,
                and_(found.c.position == position, found.c.rank > rank),
            )
        numbered = (
            select(
                found,
                later.label("later"),
                # One value to partition by (a bare OR would be taken as a list of them).
                func.row_number()
                .over(
                    partition_by=case((later, 1), else_=0),
                    order_by=(found.c.position, found.c.rank),
                )
                .label("n"),
            )
            .where(or_(found.c.rank == 1, later))
            .subquery("numbered")
        )
        rows = (
            await session.execute(
                select(numbered)
                .where(or_(numbered.c.rank == 1, numbered.c.n <= limit + 1))
                .order_by(numbered.c.position, numbered.c.rank)
            )
        ).all()
        totals = {s.kind: 0 for s in sources}
        for row in rows:
            totals[sources[row.position].kind] = row.total
        page = [row for row in rows if row.later and row.n <= limit]
        more = any(row.later and row.n > limit for row in rows)
        hits = await _hits(session, sources, page)
        ordered = [(sources[p].kind, hit) for p in sorted(hits) for hit in hits[p]]
        last = page[-1] if page else None
        cursor = encode_cursor(sources[last.position].kind, last.rank) if more and last else None
        return SearchPage(ordered, totals, cursor)

    key = ("page", text, limit, after, tuple(only or ()), incident_id)
    return await _cached(session, key, build)
