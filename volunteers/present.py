"""Shapes shared by the pages and the API: public shifts, ranked lists, calendar, certificate."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from core.clock import utcnow
from core.models import Organization, Role, User
from recovery import service as recovery
from volunteers import service
from volunteers.calendar import shifts_calendar
from volunteers.certificate import CertificateLine, certificate_pdf
from volunteers.models import Attendance, Shift
from volunteers.schemas import ShiftPublic

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
    """Fill in who runs each shift, in one query."""
    ids = {item.organization_id for item in items}
    if not ids:
        return
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    names = dict(rows.all())
    for item in items:
        item.organization_name = names.get(item.organization_id, "")


def day_bounds(
    tz: str, date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days as UTC instants: [start of date_from, end of date_to)."""
    zone = ZoneInfo(tz)
    since = datetime.combine(date_from, time(), zone) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time(), zone) if date_to else None
    return since, until


async def zones(session: AsyncSession, shifts: list[Shift]) -> dict[int, str]:
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
        pool, total = await service.list_shifts(session, limit=RECOMMEND_POOL, **filters)
        profile = await service.ensure_profile(session, user)
        ranked = service.rank(profile, pool, await zones(session, pool))[offset : offset + limit]
        counts = await service.waitlist_counts(session, [s.id for s, _score, _r in ranked])
        items = [public_shift(s, counts.get(s.id, 0), sc, r) for s, sc, r in ranked]
        await name_organizations(session, items)
        return items, total
    shifts, total = await service.list_shifts(session, limit=limit, offset=offset, **filters)
    counts = await service.waitlist_counts(session, [s.id for s in shifts])
    items = [public_shift(s, counts.get(s.id, 0)) for s in shifts]
    await name_organizations(session, items)
    return items, total


async def one_shift(session: AsyncSession, shift_id: int) -> tuple[Shift, ShiftPublic]:
    shift = await service.get_shift(session, shift_id)
    counts = await service.waitlist_counts(session, [shift.id])
    public = public_shift(shift, counts.get(shift.id, 0))
    await name_organizations(session, [public])
    return shift, public


async def calendar_for(request: Request, session: AsyncSession, user: User) -> bytes:
    rows = await service.my_signups(session, user.id, include_cancelled=True)
    host = request.url.hostname or "localhost"
    return shifts_calendar(
        rows,
        host=host,
        shift_url=lambda shift_id: str(request.url_for("volunteers:shift", id=shift_id)),
    )


async def certificate_for(session: AsyncSession, user: User, *, time_zone: str) -> bytes:
    zone = ZoneInfo(time_zone)
    rows = await service.my_signups(session, user.id)
    lines = []
    for signup, shift in sorted(rows, key=lambda r: r[1].starts_at):
        if signup.attendance != Attendance.attended:
            continue
        org = await session.get(Organization, shift.organization_id)
        lines.append(
            CertificateLine(
                day=shift.starts_at.astimezone(zone),
                shift=shift.title,
                organization=org.name if org else "",
                hours=service.hours(signup.minutes),
            )
        )
    return certificate_pdf(name=user.name, lines=lines, issued=utcnow().astimezone(zone))
