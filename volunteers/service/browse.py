"""Shifts as anyone may see them: counts and who runs them, soonest or best-matched first."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import zone
from core.models import Organization, Role, User
from recovery import service as recovery
from volunteers.models import Shift
from volunteers.schemas import ShiftPublic
from volunteers.service.profiles import ensure_profile
from volunteers.service.recommend import rank
from volunteers.service.shifts import get_shift, list_shifts, organization_shifts, waitlist_counts

# How many open shifts a recommendation ranks before it pages.
RECOMMEND_POOL = 500


def public_shift(
    shift: Shift, waitlisted: int = 0, score: float | None = None, reasons=()
) -> ShiftPublic:
    data = ShiftPublic.model_validate(shift)
    data.waitlisted = waitlisted
    data.score = score
    data.reasons = [str(r) for r in reasons]
    return data


async def name_organizations(session: AsyncSession, items: list[ShiftPublic]) -> None:
    """Fill in who runs each shift, in one query, and the zone its times are shown in."""
    ids = {item.organization_id for item in items}
    if not ids:
        return
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    names = dict(rows.all())
    zones = await incident_zones(session, items)
    for item in items:
        item.organization_name = names.get(item.organization_id, "")
        item.time_zone = zones[item.incident_id]


async def public_shifts(session: AsyncSession, shifts: list[Shift]) -> list[ShiftPublic]:
    """The public shape of each shift, with its waitlist count and organization's name."""
    counts = await waitlist_counts(session, [s.id for s in shifts])
    items = [public_shift(s, counts.get(s.id, 0)) for s in shifts]
    await name_organizations(session, items)
    return items


def day_bounds(
    tz: str, date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days as UTC instants: [start of date_from, end of date_to)."""
    local = zone(tz)
    since = datetime.combine(date_from, time(), local) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time(), local) if date_to else None
    return since, until


async def incident_zones(
    session: AsyncSession, shifts: list[Shift] | list[ShiftPublic]
) -> dict[int, str]:
    """Each incident's time zone, so "usually free on Saturday morning" means local time."""
    found = {}
    for incident_id in {s.incident_id for s in shifts}:
        found[incident_id] = (await recovery.get_incident(session, incident_id)).time_zone
    return found


async def browse(
    session: AsyncSession,
    user: User | None,
    *,
    recommended: bool,
    limit: int,
    offset: int,
    **filters,
) -> tuple[list[ShiftPublic], int]:
    """Open shifts, soonest first; for a volunteer who asks, best recommendation first."""
    if recommended and user is not None and user.role == Role.volunteer:
        pool, total = await list_shifts(session, limit=RECOMMEND_POOL, **filters)
        profile = await ensure_profile(session, user)
        ranked = rank(profile, pool, await incident_zones(session, pool))[offset : offset + limit]
        counts = await waitlist_counts(session, [s.id for s, _score, _r in ranked])
        items = [public_shift(s, counts.get(s.id, 0), sc, r) for s, sc, r in ranked]
        await name_organizations(session, items)
        return items, total
    shifts, total = await list_shifts(session, limit=limit, offset=offset, **filters)
    return await public_shifts(session, shifts), total


async def one_shift(session: AsyncSession, shift_id: int) -> tuple[Shift, ShiftPublic]:
    """The shift and its public shape; ShiftNotFound when there is none."""
    shift = await get_shift(session, shift_id)
    return shift, await public_view(session, shift)


async def public_view(session: AsyncSession, shift: Shift) -> ShiftPublic:
    """What the API answers about a shift just created or changed."""
    (public,) = await public_shifts(session, [shift])
    return public


async def organization_view(session: AsyncSession, organization_id: int) -> list[ShiftPublic]:
    """The organization's own shifts, newest first, for its organizers."""
    return await public_shifts(session, await organization_shifts(session, organization_id))
