"""Needs: logging and editing, status derived from quantity met, atomic fulfilment, lists."""

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, cache
from core.clock import utcnow
from core.errors import InvalidInput
from core.events import publish
from core.i18n import _
from core.matching import haversine_km
from core.models import AuditEntry, User
from recovery.errors import OverFulfilment
from recovery.models import Area, Need, NeedStatus
from recovery.schemas import NeedCreate, NeedQuery, NeedUpdate
from recovery.service.access import ensure_can_act
from recovery.service.incidents import area_with_descendants
from recovery.service.lookup import get_area, get_need, lock_need

OFFICIAL_STATUSES = (NeedStatus.closed, NeedStatus.cancelled)


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


async def list_needs(
    session: AsyncSession, query: NeedQuery
) -> tuple[list[tuple[Need, str | None]], int]:
    """Needs matching the filters, most urgent first, each with its area's name."""
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
    stmt = stmt.where(*conditions)
    if len(conditions) == (query.incident_id is not None):
        # Only the incident (or nothing) filters: the count is cached under the public
        # version, so a busy list never counts the whole table per request.
        total = await cached_need_count(session, query.incident_id)
    else:
        total = await session.scalar(select(func.count()).select_from(Need).where(*conditions))
    # The stored rank, so (incident_id, priority_rank, needed_by, id) serves the order.
    rows = await session.execute(
        stmt.order_by(Need.priority_rank, Need.needed_by, Need.id)
        .limit(query.limit)
        .offset(query.offset)
    )
    return [(need, area) for need, area in rows.all()], total or 0


async def cached_need_count(session: AsyncSession, incident_id: int | None) -> int:
    """How many needs the incident (None: the platform) has, counted once per version."""
    if incident_id is None:
        key = (None, *(await session.execute(cache.ALL_VERSIONS)).one())
        where = ()
    else:
        key = (incident_id, *await cache.versions(session, incident_id))
        where = (Need.incident_id == incident_id,)
    counts = cache.local(session, "need_counts", 512)
    total = counts.get(key)
    if total is None:
        total = await session.scalar(select(func.count()).select_from(Need).where(*where)) or 0
        counts.put(key, total)
    return total


async def need_history(session: AsyncSession, need: Need) -> list[tuple[AuditEntry, str | None]]:
    """The need's audit rows; an imported need also shows the import that created it."""
    entries = await audit.history(session, "needs", need.id)
    if need.import_job_id is not None:
        entries.extend(await audit.history(session, "import_jobs", need.import_job_id))
    return entries
