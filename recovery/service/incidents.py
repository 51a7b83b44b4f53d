"""Incidents and their areas (county → township → village): territorial management."""

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.errors import Conflict, InvalidInput
from core.i18n import _
from core.models import Organization, OrgKind, User
from core.outlines import dump_outline
from core.types import as_db_id
from recovery.models import Area, AreaLevel, Incident, IncidentStatus
from recovery.schemas import AreaCreate, AreaUpdate, IncidentCreate, IncidentUpdate
from recovery.service.access import ensure_can_act, ensure_official
from recovery.service.lookup import get_area

CHILD_LEVEL = {AreaLevel.county: AreaLevel.township, AreaLevel.township: AreaLevel.village}


def incident_today(incident: Incident, now: datetime | None = None) -> date:
    """Today's date where the incident happened: deadlines are the local calendar's."""
    return (now or clock.utcnow()).astimezone(clock.zone(incident.time_zone)).date()


async def likely_duplicates(session: AsyncSession, data: IncidentCreate) -> list[Incident]:
    """Incidents with the same name (ignoring case and spaces) that started the same day."""
    rows = await session.scalars(
        select(Incident).where(
            func.lower(func.trim(Incident.name)) == data.name.strip().lower(),
            Incident.started_on == data.started_on,
        )
    )
    return list(rows)


async def create_incident(session: AsyncSession, data: IncidentCreate, *, actor: User) -> Incident:
    await ensure_official(session, actor)
    # The creator's agency leads the incident.
    incident = Incident(
        **data.model_dump(),
        exercise=data.status == IncidentStatus.exercise,
        created_by_id=actor.id,
        lead_org_id=actor.organization_id,
    )
    session.add(incident)
    await session.flush()
    await audit.record(
        session, actor=actor, action="incident.create", obj=incident, after=audit.snapshot(incident)
    )
    return incident


async def update_incident(
    session: AsyncSession, incident_id: int, data: IncidentUpdate, *, actor: User
) -> Incident:
    incident = await ensure_can_act(session, actor, incident_id)
    before = audit.snapshot(incident)
    if (
        incident.exercise
        and data.status is not None
        and data.status not in (IncidentStatus.exercise, IncidentStatus.closed)
    ):
        # Its needs, matches and deployments were a rehearsal: they must not become real.
        raise Conflict(
            _("A drill stays a drill: it can only be closed."),
            fields={"status": _("a drill cannot become a real incident")},
        )
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(incident, key, value)
    if incident.status == IncidentStatus.exercise:
        incident.exercise = True
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="incident.update",
        obj=incident,
        before=before,
        after=audit.snapshot(incident),
    )
    return incident


async def list_incidents(
    session: AsyncSession,
    *,
    status: str | None = None,
    include_exercises: bool = False,
    exercises_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Incident], int]:
    """Incidents, newest first; drills only when asked for (the public never sees them mixed
    with real incidents)."""
    query = select(Incident)
    if status:
        query = query.where(Incident.status == status)
    if exercises_only:
        query = query.where(Incident.exercise.is_(True))
    elif not include_exercises and status != IncidentStatus.exercise:
        query = query.where(Incident.exercise.is_(False))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Incident.started_on.desc(), Incident.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total or 0


async def incident_choices(
    session: AsyncSession, *, include_exercises: bool = False
) -> list[Incident]:
    """The incidents a form or a filter offers, most recent first; officials' forms pass
    `include_exercises`, public ones leave drills out."""
    incidents, _total = await list_incidents(
        session, include_exercises=include_exercises, limit=200
    )
    return incidents


async def create_area(session: AsyncSession, data: AreaCreate, *, actor: User) -> Area:
    await ensure_can_act(session, actor, data.incident_id)
    level = data.level
    if data.parent_id is not None:
        parent = await session.get(Area, data.parent_id)
        if parent is None:
            raise InvalidInput(_("No such area."), fields={"parent_id": _("not found")})
        if parent.incident_id != data.incident_id:
            raise InvalidInput(
                _("The parent area belongs to another incident."),
                fields={"parent_id": _("belongs to another incident")},
            )
        child = CHILD_LEVEL.get(AreaLevel(parent.level))
        if child is None:
            raise InvalidInput(
                _("A village cannot contain other areas."),
                fields={"parent_id": _("a village has no sub-areas")},
            )
        if level is not None and level != child:
            raise InvalidInput(
                _("An area inside a %(parent)s is a %(child)s.")
                % {"parent": parent.level, "child": child},
                fields={"level": _("must be %(level)s") % {"level": child}},
            )
        level = child
    if data.responsible_org_id is not None:
        await _answerable_agency(session, data.responsible_org_id)
    area = Area(
        incident_id=data.incident_id,
        parent_id=data.parent_id,
        name=data.name,
        level=level or AreaLevel.county,
        lat=data.lat,
        lon=data.lon,
        responsible_org_id=data.responsible_org_id,
        outline=dump_outline(data.outline),
    )
    session.add(area)
    await session.flush()
    await audit.record(
        session, actor=actor, action="area.create", obj=area, after=audit.snapshot(area)
    )
    return area


async def update_area(
    session: AsyncSession, area_id: int, data: AreaUpdate, *, actor: User
) -> Area:
    """Change an area's name, position or outline (its place in the tree stays)."""
    area = await get_area(session, area_id)
    await ensure_can_act(session, actor, area.incident_id)
    before = audit.snapshot(area)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "lat", "lon"):
        if changes.get(key) is not None:
            setattr(area, key, changes[key])
    if "outline" in changes:
        area.outline = dump_outline(changes["outline"])
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="area.update",
        obj=area,
        before=before,
        after=audit.snapshot(area),
    )
    return area


async def _answerable_agency(
    session: AsyncSession, org_id: int, field: str = "responsible_org_id"
) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None or org.kind != OrgKind.government or not org.is_verified():
        raise InvalidInput(
            _("Only a verified government agency can be responsible for an area."),
            fields={field: _("not a verified government agency")},
        )
    return org


async def answerable_agencies(session: AsyncSession) -> list[Organization]:
    """The verified government agencies an area can be put in the charge of."""
    rows = await session.scalars(
        select(Organization)
        .where(Organization.kind == OrgKind.government)
        .order_by(Organization.name, Organization.id)
    )
    return [org for org in rows if org.is_verified()]


async def set_area_agency(
    session: AsyncSession, area_id: int, org_id: int | None, *, actor: User
) -> Area:
    """Name the government agency answerable for an area (territorial management); overdue
    work there is escalated to it."""
    area = await get_area(session, area_id)
    await ensure_can_act(session, actor, area.incident_id)
    if org_id is not None:
        await _answerable_agency(session, org_id, "organization_id")
    before = audit.snapshot(area)
    area.responsible_org_id = org_id
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="area.agency",
        obj=area,
        before=before,
        after=audit.snapshot(area),
    )
    return area


async def list_areas(session: AsyncSession, incident_id: int) -> list[Area]:
    rows = await session.scalars(
        select(Area).where(Area.incident_id == incident_id).order_by(Area.name, Area.id)
    )
    return list(rows)


def area_tree(areas: list[Area]) -> list[tuple[Area, int]]:
    """Areas in hierarchy order with their depth, for indented lists and select options."""
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    known = {a.id for a in areas}
    ordered: list[tuple[Area, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for area in children.get(parent_id, []):
            ordered.append((area, depth))
            walk(area.id, depth + 1)

    walk(None, 0)
    # Areas whose parent is missing from the list still show, at the top level.
    for parent_id in children:
        if parent_id is not None and parent_id not in known:
            walk(parent_id, 0)
    return ordered


async def area_choices(session: AsyncSession, incident_id: object) -> list[tuple[Area, int]]:
    """An incident's areas as a tree for a picker; none until an incident is chosen."""
    wanted = as_db_id(incident_id)
    if wanted is None:
        return []
    return area_tree(await list_areas(session, wanted))


async def area_with_descendants(session: AsyncSession, area_id: int) -> list[int]:
    """An area's id and those of every area inside it, so a township filter finds its villages."""
    area = await get_area(session, area_id)
    areas = await list_areas(session, area.incident_id)
    children: dict[int | None, list[int]] = {}
    for a in areas:
        children.setdefault(a.parent_id, []).append(a.id)
    found, stack = [], [area.id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found
