"""Area outlines: GeoJSON polygons checked on the way in, and shapes derived from positions
(Voronoi cells among siblings inside the parent), for maps that need no tiles."""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.i18n import _

# An outline is drawn on every dashboard view: a county-sized polygon needs no more points.
MAX_POINTS = 5000
MAX_CHARS = 200_000

Ring = list[tuple[float, float]]  # (lon, lat) pairs, closed (first == last)


def parse_outline(value: Any) -> dict | None:
    """A GeoJSON Polygon or MultiPolygon (or a Feature holding one) from text or an object,
    as a plain geometry; None for a blank value. Raises ValueError with a message for people."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            raise ValueError(_("The outline is too large (at most %(n)s characters).") % {
                "n": f"{MAX_CHARS:,}"})  # fmt: skip
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(_("The outline is not valid GeoJSON text.")) from exc
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise ValueError(_("Give one polygon: a feature collection must hold exactly one."))
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(_("The outline must be a GeoJSON Polygon or MultiPolygon."))
    coordinates = value.get("coordinates")
    polygons = [coordinates] if value["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise ValueError(_("The outline has no coordinates."))
    count = 0
    clean = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(_("Each polygon needs at least one ring of positions."))
        rings = []
        for ring in polygon:
            rings.append(_ring(ring))
            count += len(ring)
        clean.append(rings)
    if count > MAX_POINTS:
        raise ValueError(_("The outline has too many points (at most %(n)s).") % {
            "n": f"{MAX_POINTS:,}"})  # fmt: skip
    if value["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": clean[0]}
    return {"type": "MultiPolygon", "coordinates": clean}


def _ring(ring: Any) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValueError(_("Each ring needs at least four positions (the last repeats the first)."))
    out = []
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
            or not all(math.isfinite(v) for v in position[:2])
        ):
            raise ValueError(_("Each position must be [longitude, latitude] in numbers."))
        lon, lat = float(position[0]), float(position[1])
        if not -180 <= lon <= 180 or not -90 <= lat <= 90:
            raise ValueError(
                _("Positions are [longitude, latitude]: longitude within ±180, latitude ±90.")
            )
        out.append([lon, lat])
    if out[0] != out[-1]:
        raise ValueError(_("Each ring must be closed: its last position repeats its first."))
    return out


def dump_outline(geometry: dict | None) -> str | None:
    return None if geometry is None else json.dumps(geometry, separators=(",", ":"))


def load_outline(text: str | None) -> dict | None:
    return None if not text else json.loads(text)


def outer_rings(geometry: dict | None) -> list[Ring]:
    """The outer ring of each polygon (holes are not drawn on the small maps)."""
    if not geometry:
        return []
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [[(p[0], p[1]) for p in polygon[0]] for polygon in polygons if polygon]


# ---- shapes derived from positions: Voronoi cells among siblings, inside the parent's shape


@dataclass
class Place:
    id: int
    parent_id: int | None
    lat: float
    lon: float
    outline: dict | None = None


def _keep(ring: Ring, side) -> Ring:
    """The part of `ring` where `side(p) <= 0` (Sutherland–Hodgman against one line)."""
    pts = ring[:-1] if ring and ring[0] == ring[-1] else ring
    out: Ring = []
    for i, p in enumerate(pts):
        q = pts[(i + 1) % len(pts)]
        sp, sq = side(p), side(q)
        if sp <= 0:
            out.append(p)
        if (sp < 0 < sq) or (sq < 0 < sp):
            t = sp / (sp - sq)
            out.append((p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t))
    if len(out) < 3:
        return []
    return [*out, out[0]]


def _clip(ring: Ring, a: tuple[float, float], b: tuple[float, float]) -> Ring:
    """The part of `ring` nearer to site `a` than to site `b` (clipped by the bisector), in a
    frame where a degree of longitude is shortened by cos(latitude)."""
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    nx, ny = (b[0] - a[0]) * k, b[1] - a[1]
    mid = ((a[0] + b[0]) / 2 * k, (a[1] + b[1]) / 2)
    return _keep(ring, lambda p: (p[0] * k - mid[0]) * nx + (p[1] - mid[1]) * ny)


def small_cell(cell: Ring, place: Place, siblings: Sequence[Place], parent: Ring, share: float):
    """`place`'s cell shrunk to an octagon reaching `share` of the way to its nearest sibling
    (alone: `share` of its parent's height), kept inside the cell; the cell itself if nothing
    of the octagon is left inside it."""
    site = (place.lon, place.lat)
    k = math.cos(math.radians(place.lat))
    others = [s for s in siblings if s.id != place.id]
    if others:
        reach = min(math.hypot((o.lon - place.lon) * k, o.lat - place.lat) for o in others)
    else:
        reach = max(y for _x, y in parent) - min(y for _x, y in parent)
    small = octagon(place.lon, place.lat, max(reach * share, 0.002))
    for a, b in zip(cell, cell[1:], strict=False):

        def cross(p, a=a, b=b):
            return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])

        sign = 1 if cross(site) >= 0 else -1
        small = _keep(small, lambda p, cross=cross, sign=sign: -sign * cross(p))
        if not small:
            return cell
    return small


def octagon(lon: float, lat: float, radius_deg: float) -> Ring:
    k = max(math.cos(math.radians(lat)), 0.01)
    ring = [
        (
            lon + radius_deg / k * math.cos(math.pi / 8 + i * math.pi / 4),
            lat + radius_deg * math.sin(math.pi / 8 + i * math.pi / 4),
        )
        for i in range(8)
    ]
    return [*ring, ring[0]]


def _box_around(places: Sequence[Place], pad: float) -> Ring:
    lons = [p.lon for p in places]
    lats = [p.lat for p in places]
    span = max(max(lons) - min(lons), max(lats) - min(lats), 0.02)
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    return octagon(cx, cy, span / 2 * (1 + pad) * 1.1)


def derived_shapes(places: Sequence[Place]) -> dict[int, Ring]:
    """A shape for every area: its own outline's first outer ring where it has one, else its
    Voronoi cell among its siblings inside its parent's shape (top-level areas: inside an
    octagon around all the incident's positions). A lone child gets a cell around itself."""
    by_parent: dict[int | None, list[Place]] = {}
    known = {p.id for p in places}
    for place in places:
        parent = place.parent_id if place.parent_id in known else None
        by_parent.setdefault(parent, []).append(place)
    shapes: dict[int, Ring] = {}
    if not places:
        return shapes

    def cells(parent_shape: Ring, siblings: list[Place], lone_radius: float) -> None:
        for place in siblings:
            own = outer_rings(place.outline)
            if own:
                shapes[place.id] = own[0]
                continue
            cell = parent_shape
            if len(siblings) == 1:
                cell = octagon(place.lon, place.lat, lone_radius)
            for other in siblings:
                if other is not place and (other.lon, other.lat) != (place.lon, place.lat):
                    cell = _clip(cell, (place.lon, place.lat), (other.lon, other.lat))
                    if not cell:
                        break
            if cell:
                shapes[place.id] = cell

    def walk(parent_id: int | None, parent_shape: Ring, radius: float) -> None:
        siblings = by_parent.get(parent_id, [])
        cells(parent_shape, siblings, radius)
        for place in siblings:
            if place.id in shapes:
                walk(place.id, shapes[place.id], radius / 3)

    top = by_parent.get(None, [])
    everything = _box_around(places, 0.35)
    spread = max(max(p.lat for p in places) - min(p.lat for p in places), 0.02)
    if len(top) == 1 and not top[0].outline:
        # A lone county: the box around all its townships and villages.
        shapes[top[0].id] = everything
        walk(top[0].id, everything, spread / 4)
        return shapes
    walk(None, everything, spread / 2)
    return shapes


def ring_geometry(ring: Ring) -> dict:
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}
