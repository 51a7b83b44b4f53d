"""What the dashboard map draws besides needs: areas with their shapes, projects and shifts as
layers, and the extent a map opens on."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import gather
from core.outlines import Place, Ring, derived_shapes, load_outline, outer_rings
from recovery.models import Area, Incident, IncidentStatus, Project

# Map layers other domains add: provider kind "incident.map_marks", answering
# {layer: [MapMark-like dicts: id, title, lat, lon, route, detail]} (e.g. volunteers' shifts).
MARKS_KIND = "incident.map_marks"
MAX_AREAS = 200
MAX_MARKS = 300


@dataclass
class MapMark:
    """One public record at a place: a project (at its area's position) or a shift."""

    layer: str
    id: int
    title: str
    lat: float
    lon: float
    route: str
    detail: str = ""
    # The list page co-located marks of this layer link to (with ?incident_id=).
    list_route: str = ""


@dataclass
class MapArea:
    id: int
    parent_id: int | None
    name: str
    level: str
    lat: float
    lon: float
    outline: dict | None
    shape: Ring = field(default_factory=list)

    @property
    def derived(self) -> bool:
        """Whether the shape is drawn from the position rather than a stored outline."""
        return self.outline is None


async def map_areas(session: AsyncSession, incident_id: int) -> list[MapArea]:
    """The incident's areas (counties first), each with the shape the offline map draws."""
    rows = await session.execute(
        select(Area.id, Area.parent_id, Area.name, Area.level, Area.lat, Area.lon, Area.outline)
        .where(Area.incident_id == incident_id)
        .order_by(Area.parent_id.is_not(None), Area.name, Area.id)
        .limit(MAX_AREAS)
    )
    areas = [
        MapArea(id, parent, name, level, lat, lon, load_outline(outline))
        for id, parent, name, level, lat, lon, outline in rows.all()
    ]
    shapes = derived_shapes([Place(a.id, a.parent_id, a.lat, a.lon, a.outline) for a in areas])
    for area in areas:
        area.shape = shapes.get(area.id, [])
    return areas


async def project_marks(session: AsyncSession, incident_id: int) -> list[MapMark]:
    """Projects have no position of their own: each stands at its area's."""
    rows = await session.execute(
        select(Project.id, Project.title, Area.lat, Area.lon, Project.progress)
        .join(Area, Area.id == Project.area_id)
        .where(Project.incident_id == incident_id)
        .order_by(Project.due_on, Project.id)
        .limit(MAX_MARKS)
    )
    return [
        MapMark(
            "projects",
            pid,
            title,
            lat,
            lon,
            "recovery:project",
            f"{progress}%",
            "recovery:projects",
        )
        for pid, title, lat, lon, progress in rows.all()
    ]


async def layer_marks(session: AsyncSession, incident_id: int) -> dict[str, list[MapMark]]:
    """Projects, and whatever other domains put on the map (shifts), by layer."""
    layers: dict[str, list[MapMark]] = {"projects": await project_marks(session, incident_id)}
    extra: dict[str, Any] = await gather(MARKS_KIND, session, incident_id)
    for layer, marks in extra.items():
        layers[layer] = [MapMark(layer=layer, **mark) for mark in marks[:MAX_MARKS]]
    return layers


async def extent(session: AsyncSession, incident_id: int | None) -> list | None:
    """[[south, west], [north, east]] around the incident's areas (positions and outlines);
    without an incident, around the areas of every current public incident. None: no areas."""
    query = select(Area.lat, Area.lon, Area.outline)
    if incident_id is not None:
        query = query.where(Area.incident_id == incident_id)
    else:
        query = query.join(Incident, Incident.id == Area.incident_id).where(
            Incident.exercise.is_(False), Incident.status != IncidentStatus.closed
        )
    rows = (await session.execute(query.limit(MAX_AREAS))).all()
    if not rows and incident_id is None:
        return None
    lats, lons = [], []
    for lat, lon, outline in rows:
        lats.append(lat)
        lons.append(lon)
        for ring in outer_rings(load_outline(outline)):
            lons.extend(x for x, _y in ring)
            lats.extend(y for _x, y in ring)
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
