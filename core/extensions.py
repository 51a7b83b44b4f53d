"""Figures one domain adds to another's pages without importing it (e.g. funds on a dashboard).

A provider is `async def provider(session, object_id) -> dict`. Providers register when their
domain's routes module is imported (the app factory imports every domain), and `gather` merges
what all providers of a kind return. Kinds in use:

- "incident.figures": per incident, e.g. {"funds": {...}} from donations, {"volunteers": {...}}.
- "need.helpers": per need, e.g. {"organizations": [...names]}, {"volunteer_count": n}.
- "project.funds": per project, e.g. {"funds": {...}}.
- "organization.record": per organization, its track record, e.g. {"matches_accepted": n}.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Provider = Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]
_providers: dict[str, list[Provider]] = {}


def provide(kind: str, provider: Provider) -> Provider:
    """Register a provider once (registering the same function again is a no-op)."""
    registered = _providers.setdefault(kind, [])
    if provider not in registered:
        registered.append(provider)
    return provider


async def gather(kind: str, session: AsyncSession, object_id: int) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for provider in _providers.get(kind, []):
        merged.update(await provider(session, object_id))
    return merged
