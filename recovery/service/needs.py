"""Needs: logging and editing, status derived from quantity met, atomic fulfilment, lists."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core import audit, cache
from core.clock import utcnow
from core.db import core_connection, read_rows, records
from core.domain import Extensions
from core.drills import not_drill
from core.errors import InvalidInput
from core.events import publish
from core.geo import haversine_km
from core.i18n import _
from core.models import AuditEntry, User
from recovery.errors import NeedNotFound, OverFulfilment
from recovery.models import Area, Incident, Need, NeedStatus
from recovery.schemas import NeedCreate, NeedQuery, NeedUpdate, need_cursor
from recovery.service.access import ensure_can_act
from recovery.service.incidents import area_with_descendants
from recovery.service.lookup import get_area, get_need, lock_need

OFFICIAL_STATUSES = (NeedStatus.closed, NeedStatus.cancelled)
# A need page shows its newest audit rows, at most this many.
HISTORY_LIMIT = 100


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
        .execution_options(synchronize_session=False, public_incident=before["incident_id"])
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
    publish(session, need.incident_id, "need")
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


async def open_need_rows(session: AsyncSession, incident_id: int) -> list:
    """The same needs as `open_needs`, as light rows of the columns matching reads: tens of
    thousands of them load in a fraction of the time ORM objects take."""
    rows = await session.execute(
        select(
            Need.id,
            Need.category,
            Need.unit,
            Need.quantity,
            Need.quantity_met,
            Need.priority,
            Need.needed_by,
            Need.lat,
            Need.lon,
            Need.area_id,
        )
        .where(
            Need.incident_id == incident_id,
            Need.status.in_([NeedStatus.open.value, NeedStatus.partially_met.value]),
            Need.quantity_met < Need.quantity,
        )
        .order_by(Need.id)
    )
    return list(rows)


# Ids per IN (...) list: far below every engine's limit on bound parameters.
_IDS_PER_QUERY = 5000


async def need_rows(session: AsyncSession, need_ids: Iterable[int]) -> dict[int, Row]:
    """Light rows of many needs by id (title, where, what, how urgent), in a few queries:
    pages listing thousands of proposals name their needs without one query each."""
    wanted = sorted(set(need_ids))
    found: dict[int, Row] = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        rows = await session.execute(
            select(
                Need.id,
                Need.incident_id,
                Need.area_id,
                Need.title,
                Need.category,
                Need.unit,
                Need.priority,
                Need.needed_by,
                Need.lat,
                Need.lon,
                Need.status,
            ).where(Need.id.in_(wanted[start : start + _IDS_PER_QUERY]))
        )
        found.update((row.id, row) for row in rows)
    return found


async def _placement(
    session: AsyncSession,
    incident_id: int,
    area_id: int | None,
    lat: float | None,
    lon: float | None,
) -> tuple[float, float]:
    """The need's coordinates: as given, else its area's; the area must be the incident's."""
    area = None
    if area_id is not None:
        area = await get_area(session, area_id)
        if area.incident_id != incident_id:
            raise InvalidInput(
                _("The area belongs to another incident."),
                fields={"area_id": _("belongs to another incident")},
            )
    if lat is None and lon is None and area is not None:
        return area.lat, area.lon
    if lat is None or lon is None:
        missing = "lat" if lat is None else "lon"
        raise InvalidInput(
            _("Give the need's coordinates, or choose an area."),
            fields={missing: _("required unless an area is chosen")},
        )
    return lat, lon


# A need this close, of the same category and unit and still open, is likely the same one.
DUPLICATE_KM = 1.0


async def likely_duplicates(session: AsyncSession, data: NeedCreate) -> list[Need]:
    """Open needs of the incident that look like this one: same category and unit, in the
    same area or within DUPLICATE_KM."""
    lat, lon = await _placement(session, data.incident_id, data.area_id, data.lat, data.lon)
    rows = await session.scalars(
        select(Need)
        .where(
            Need.incident_id == data.incident_id,
            Need.category == data.category,
            func.lower(Need.unit) == data.unit.lower(),
            Need.status.in_([NeedStatus.open.value, NeedStatus.partially_met.value]),
        )
        .order_by(Need.id)
        .limit(200)
    )
    return [
        need
        for need in rows
        if (data.area_id is not None and need.area_id == data.area_id)
        or haversine_km(lat, lon, need.lat, need.lon) <= DUPLICATE_KM
    ][:5]


async def create_need(session: AsyncSession, data: NeedCreate, *, actor: User) -> Need:
    await ensure_can_act(session, actor, data.incident_id)
    lat, lon = await _placement(session, data.incident_id, data.area_id, data.lat, data.lon)
    now = utcnow()
    need = Need(
        **data.model_dump(exclude={"lat", "lon"}),
        lat=lat,
        lon=lon,
        status=NeedStatus.open,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(need)
    await session.flush()
    await audit.record(
        session, actor=actor, action="need.create", obj=need, after=audit.snapshot(need)
    )
    publish(session, need.incident_id, "need")
    return need


async def update_need(
    session: AsyncSession, need_id: int, data: NeedUpdate, *, actor: User
) -> Need:
    """An official's edit; the status follows the quantities unless closed or cancelled."""
    await ensure_can_act(session, actor, (await get_need(session, need_id)).incident_id)
    # Locked, so a fulfilment committed meanwhile cannot be overwritten or exceed the quantity.
    need = await lock_need(session, need_id)
    before = audit.snapshot(need)
    changes = data.model_dump(exclude_unset=True)
    status = changes.pop("status", None)
    if "area_id" in changes or "lat" in changes or "lon" in changes:
        area_id = changes.get("area_id", need.area_id)
        # Moving the need to another area without new coordinates places it at that area.
        moved = area_id is not None and area_id != need.area_id
        lat = changes.get("lat", None if moved else need.lat)
        lon = changes.get("lon", None if moved else need.lon)
        need.lat, need.lon = await _placement(session, need.incident_id, area_id, lat, lon)
        need.area_id = area_id
        changes = {k: v for k, v in changes.items() if k not in ("area_id", "lat", "lon")}
    for key, value in changes.items():
        if value is None:
            raise InvalidInput(
                _("%(field)s cannot be empty.") % {"field": key}, fields={key: _("cannot be empty")}
            )
        setattr(need, key, value)
    if need.quantity_met > need.quantity:
        field = "quantity_met" if "quantity_met" in changes else "quantity"
        raise InvalidInput(
            _("What is met cannot exceed what is needed."),
            fields={field: _("quantity met is more than the quantity needed")},
        )
    if status in OFFICIAL_STATUSES:
        need.status = status
    elif status == NeedStatus.open or need.status not in OFFICIAL_STATUSES:
        need.status = derive_status(need.quantity, need.quantity_met)
    need.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="need.update",
        obj=need,
        before=before,
        after=audit.snapshot(need),
    )
    publish(session, need.incident_id, "need")
    return need


_NEEDS, _INCIDENTS, _AREAS = Need.__table__, Incident.__table__, Area.__table__
# Built once: on a need's page, building the statement would cost more than running it. Its
# tables' columns, not the models: the page only shows the row.
_NEED_WITH_PLACES = (
    select(_NEEDS, _INCIDENTS, _AREAS)
    .join(_INCIDENTS, _INCIDENTS.c.id == _NEEDS.c.incident_id)
    .outerjoin(_AREAS, _AREAS.c.id == _NEEDS.c.area_id)
    .where(_NEEDS.c.id == bindparam("need_id"))
)


class NeedPageRows(NamedTuple):
    """What a need's page shows: read-only records, the figures, the history."""

    need: Any
    incident: Any
    area: Any
    helpers: dict
    history: list


def _need_page_statement(extensions: Extensions) -> tuple:
    """The need, its incident and area, the other domains' figures about it and its history,
    in one statement, with the number of those figures' columns."""
    helpers = extensions.figure_columns("need.helpers", _NEEDS.c.id)
    statement = audit.with_history(
        _NEED_WITH_PLACES.add_columns(*helpers), "needs", _NEEDS.c.id, limit=HISTORY_LIMIT
    )
    return statement, len(helpers)


async def need_page(session: AsyncSession, need_id: int) -> NeedPageRows:
    """What a need's page shows, in one statement (one more for an imported need's import),
    as read-only records: a need page of a hundred thousand is a miss nearly every time."""
    return await need_page_on(await core_connection(session), Extensions.of(session), need_id)


async def need_page_on(
    connection: AsyncConnection, extensions: Extensions, need_id: int
) -> NeedPageRows:
    """`need_page` on a connection of its own: the signed-out lane (core/pages.py) reads it
    with no session."""
    statement, width = extensions.statement("need.page", _need_page_statement)
    rows = await read_rows(connection, statement, {"need_id": need_id})
    if not rows:
        raise NeedNotFound(_("No such need."), fields={"need_id": _("not found")})
    first = rows[0]
    need, incident, area = records(first, _NEEDS, _INCIDENTS, _AREAS)
    start = len(_NEEDS.columns) + len(_INCIDENTS.columns) + len(_AREAS.columns)
    helpers = extensions.read_figures("need.helpers", first[start : start + width])
    history = audit.history_of(rows)
    if need.import_job_id is not None:
        # Core's execute on the connection reads the same rows as the session's would.
        history.extend(await audit.history(connection, "import_jobs", need.import_job_id))
    return NeedPageRows(need, incident, area, helpers, history)


async def need_with_places(session: AsyncSession, need_id: int) -> tuple:
    """A need with its incident and area (None without one), in one statement, as read-only
    records with the models' attributes: a need's page reads all three and changes none."""
    row = (await session.execute(_NEED_WITH_PLACES, {"need_id": need_id})).first()
    if row is None:
        raise NeedNotFound(_("No such need."), fields={"need_id": _("not found")})
    return records(row, _NEEDS, _INCIDENTS, _AREAS)


@dataclass
class NeedList:
    rows: list[tuple[Need, str | None]]
    total: int
    next_cursor: str | None


async def list_needs(session: AsyncSession, query: NeedQuery) -> NeedList:
    """Needs matching the filters, most urgent first, each with its area's name; a page
    starts at `query.cursor` (keyset) or else at `query.offset`."""
    stmt = select(Need, Area.name).outerjoin(Area, Area.id == Need.area_id)
    conditions = []
    if query.incident_id is not None:
        conditions.append(Need.incident_id == query.incident_id)
    if query.area_id is not None:
        conditions.append(Need.area_id.in_(await area_with_descendants(session, query.area_id)))
    for column, value in (
        (Need.category, query.category),
        (Need.priority, query.priority),
        (Need.status, query.status),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.q:
        conditions.append(Need.title.ilike(f"%{query.q}%"))
    if query.incident_id is None:
        # The platform-wide list leaves drills out (a drill's own list shows its needs).
        conditions.append(not_drill(Need.incident_id))
    if query.area_id is None and not query.q:
        # The count per category, priority and status, read once per public version.
        total = sum(
            count
            for (category, priority, status), count in (
                await need_counts(session, query.incident_id)
            ).items()
            if query.category in (None, category)
            and query.priority in (None, priority)
            and query.status in (None, status)
        )
    else:
        total = await session.scalar(select(func.count()).select_from(Need).where(*conditions))
    order = (Need.priority_rank, Need.needed_by, Need.id)
    after = query.after()
    if after is not None:
        # A row value compared in the index's own order: (incident_id, priority_rank,
        # needed_by, id) serves it as one range, the same cost on every page.
        stmt = stmt.where(tuple_(*order) > tuple_(*after))
    stmt = stmt.where(*conditions).order_by(*order).limit(query.limit + 1)
    if after is None and query.offset:
        stmt = stmt.offset(query.offset)
    rows = [(need, area) for need, area in (await session.execute(stmt)).all()]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1][0]
        next_cursor = need_cursor(last.priority_rank, last.needed_by, last.id)
    return NeedList(rows, total or 0, next_cursor)


async def need_counts(session: AsyncSession, incident_id: int | None) -> dict[tuple, int]:
    """How many needs the incident (None: the platform, drills left out) has per (category,
    priority, status): one grouped query per public version, so a busy list never counts per
    request."""
    key = (incident_id, *await cache.key_versions(session, incident_id))
    counts = cache.local(session, "need_counts", 512)
    found = counts.get(key)
    if found is None:
        if incident_id is None:
            where = (not_drill(Need.incident_id),)
        else:
            where = (Need.incident_id == incident_id,)
        rows = await session.execute(
            select(Need.category, Need.priority, Need.status, func.count())
            .where(*where)
            .group_by(Need.category, Need.priority, Need.status)
        )
        found = {(c, p, s): n for c, p, s, n in rows.all()}
        counts.put(key, found)
    return found


async def need_history(session: AsyncSession, need: Need) -> list[tuple[AuditEntry, str | None]]:
    """The need's audit rows; an imported need also shows the import that created it."""
    entries = await audit.history(session, "needs", need.id)
    if need.import_job_id is not None:
        entries.extend(await audit.history(session, "import_jobs", need.import_job_id))
    return entries
