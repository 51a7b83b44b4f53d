"""Outlines for the demo incident's areas, computed from their positions: the county an octagon
around everything, townships its Voronoi cells, villages small cells inside their township."""

import math

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.outlines import Place, derived_shapes, dump_outline, octagon, ring_geometry
from recovery.models import Area, AreaLevel

# A village's cell reaches at most this share of the way to its nearest neighbour (or, alone,
# this share of its township's size): villages are small inside their township.
VILLAGE_SHARE = 0.45


def _village_cell(cell, village: Area, siblings: list[Area], township_ring) -> list:
    others = [s for s in siblings if s.id != village.id]
    k = math.cos(math.radians(village.lat))
    if others:
        reach = min(math.hypot((o.lon - village.lon) * k, o.lat - village.lat) for o in others)
    else:
        reach = max(y for _x, y in township_ring) - min(y for _x, y in township_ring)
    small = octagon(village.lon, village.lat, max(reach * VILLAGE_SHARE, 0.002))
    # Keep the part of the small octagon inside the Voronoi cell: clip it by the cell's edges.
    for a, b in zip(cell, cell[1:], strict=False):
        small = _inside(small, a, b, (village.lon, village.lat))
        if not small:
            return cell
    return small


def _inside(ring, a, b, site):
    """`ring` clipped to the side of the line a→b that `site` lies on (Sutherland–Hodgman)."""

    def side(p):
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])

    sign = 1 if side(site) >= 0 else -1
    pts = ring[:-1]
    out = []
    for i, p in enumerate(pts):
        q = pts[(i + 1) % len(pts)]
        sp, sq = side(p) * sign, side(q) * sign
        if sp >= 0:
            out.append(p)
        if (sp < 0 < sq) or (sq < 0 < sp):
            t = sp / (sp - sq)
            out.append((p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t))
    return [*out, out[0]] if len(out) >= 3 else []


async def add_demo_outlines(session: AsyncSession, incident_id: int) -> int:
    """Give every area of the incident that has none an outline; answers how many got one.
    Keyed by the areas' levels and parents, never their names (the demo comes in languages)."""
    areas = list(
        await session.scalars(select(Area).where(Area.incident_id == incident_id).order_by(Area.id))
    )
    places = [Place(a.id, a.parent_id, a.lat, a.lon) for a in areas]
    shapes = derived_shapes(places)
    by_parent: dict[int | None, list[Area]] = {}
    for area in areas:
        by_parent.setdefault(area.parent_id, []).append(area)
    changed = 0
    for area in areas:
        ring = shapes.get(area.id)
        if area.outline or not ring:
            continue
        if area.level == AreaLevel.village and area.parent_id in shapes:
            ring = _village_cell(ring, area, by_parent[area.parent_id], shapes[area.parent_id])
        before = audit.snapshot(area)
        area.outline = dump_outline(ring_geometry(ring))
        changed += 1
        await session.flush()
        await audit.record(
            session,
            actor=None,
            action="area.update",
            obj=area,
            before=before,
            after=audit.snapshot(area),
        )
    return changed
