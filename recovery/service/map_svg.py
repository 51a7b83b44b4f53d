"""The dashboard map that needs no tiles, as SVG: area shapes, needs, projects and shifts."""

import math
from collections.abc import Callable

from core.outlines import outer_rings
from recovery.labels import PRIORITY_COLORS
from recovery.service.charts import MUTED, _fmt, escape
from recovery.service.dashboard import MapData, MapPoint

MAP_W, MAP_H = 600, 400
PAD = 24
# Dots closer than this (in the map's pixels) are drawn as one, with their count.
CLUSTER_PX = 14
# The marks of the other layers: shape and colour, distinct from the needs' round dots.
LAYER_STYLE = {"projects": ("square", "#6a3fb5"), "shifts": ("triangle", "#0b7a75")}
LEVEL_FILL = {"county": "#ffffff", "township": "#eef3f8", "village": "#e3ecf5"}


def map_svg(
    data: MapData,
    title: str,
    *,
    need_url: Callable[[int], str] | None = None,
    list_url: str | None = None,
    many: Callable[[int, str], str] | None = None,
    mark_url: Callable[[str, int], str] | None = None,
    layer_list_url: Callable[[str], str | None] | None = None,
) -> str:
    """Needs as dots on the incident's areas (their outlines, or shapes derived from their
    positions, dashed), projects as squares and shifts as triangles, with the areas named.

    Unmet needs are filled dots, met or closed ones rings; colour is the priority. Marks that
    would overlap (the same place, or a few pixels apart) are one mark with their count. With
    `need_url`, the map is for inlining in a page: each mark links to its record (a cluster to
    its list) and names what it stands for; `many(count, titles)` words a cluster's title.
    Each layer is a group with class `layer-<name>`, so the page can switch it off.
    """
    lats = [p.lat for p in data.points] + [a[1] for a in data.areas]
    lons = [p.lon for p in data.points] + [a[2] for a in data.areas]
    for area in data.shapes:
        lons.extend(x for x, _y in area.shape)
        lats.extend(y for _x, y in area.shape)
    for marks in data.layers.values():
        lats.extend(m.lat for m in marks)
        lons.extend(m.lon for m in marks)
    role = 'role="group"' if need_url else 'role="img"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}" '
        f'width="{MAP_W}" height="{MAP_H}" {role} aria-labelledby="map-title">'
        f'<title id="map-title">{escape(title)}</title>'
        f'<rect width="{MAP_W}" height="{MAP_H}" fill="#f3f5f7"/>'
    ]
    if lats:
        project = _projection(min(lats), max(lats), min(lons), max(lons))
        if data.shapes:
            out.append(_shapes(data.shapes, project))
        else:
            x0, y0 = project(min(lats), min(lons))
            x1, y1 = project(max(lats), max(lons))
            out.append(
                f'<rect x="{_fmt(min(x0, x1) - 10)}" y="{_fmt(min(y0, y1) - 10)}" '
                f'width="{_fmt(abs(x1 - x0) + 20)}" height="{_fmt(abs(y1 - y0) + 20)}" '
                'fill="#fff" stroke="#8a9299" stroke-dasharray="6 4"/>'
            )
        out.append('<g class="layer-needs">')
        # Least urgent cluster first so the urgent dots are drawn on top.
        for members in reversed(_clusters(data.points, project)):
            out.append(_dot(members, project, need_url, list_url, many))
        out.append("</g>")
        for layer, marks in data.layers.items():
            out.append(f'<g class="layer-{escape(layer)}">')
            for members in _clusters(marks, project):
                out.append(_mark(layer, members, project, mark_url, layer_list_url, many))
            out.append("</g>")
        out.append(_labels(data, project))
    out.append("</svg>")
    return "".join(out)


def _path(ring, project) -> str:
    points = [project(lat, lon) for lon, lat in ring]
    return "M" + "L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in points) + "Z"


def _shapes(shapes, project) -> str:
    """Stored outlines solid, shapes derived from positions dashed; counties under townships
    under villages."""
    order = {"county": 0, "township": 1, "village": 2}
    out = ['<g class="layer-areas">']
    for area in sorted(shapes, key=lambda a: order.get(a.level, 3)):
        rings = outer_rings(area.outline) or ([area.shape] if area.shape else [])
        if not rings:
            continue
        dash = ' stroke-dasharray="5 4"' if area.derived else ""
        width = 2 if area.level == "county" else 1.2
        d = "".join(_path(ring, project) for ring in rings)
        out.append(
            f'<path d="{d}" fill="{LEVEL_FILL.get(area.level, "#fff")}" fill-opacity="0.8" '
            f'stroke="#6b7580" stroke-width="{width}"{dash}>'
            f"<title>{escape(area.name)}</title></path>"
        )
    out.append("</g>")
    return "".join(out)


def _labels(data: MapData, project) -> str:
    """Area names last, haloed, so the marks never hide them: counties and townships first,
    then villages (smaller) where they do not run into a name already written."""
    levels = {(a.name, a.lat, a.lon): a.level for a in data.shapes}
    rank = {"county": 0, "township": 1, "village": 2}
    named = sorted(data.areas, key=lambda a: rank.get(levels.get(a, ""), 1))
    taken: list[tuple[float, float, float, float]] = []
    out = ['<g class="layer-areas">']
    for name, lat, lon in named:
        x, y = project(lat, lon)
        village = levels.get((name, lat, lon)) == "village"
        size = 13 if village else 18
        # Wide script (CJK) takes a full em a character, Latin about 0.6.
        width = sum(size if ord(c) > 0x2E80 else size * 0.6 for c in name)
        box = (x + 7, y - 6 - size, x + 7 + width, y - 2)
        if village and any(_overlap(box, other) for other in taken):
            continue
        taken.append(box)
        # A village's name is dropped on a phone (app.css), where the map is drawn at a third
        # of its size and the small type would run into the marks; its square stays.
        kind = ' class="village-name"' if village else ""
        out.append(
            f'<rect x="{_fmt(x - 4)}" y="{_fmt(y - 4)}" width="8" height="8" fill="#1b1f23"/>'
            f'<text{kind} x="{_fmt(x + 7)}" y="{_fmt(y - 6)}" font-size="{size}" '
            f'font-family="sans-serif" fill="#1b1f23" stroke="#fff" stroke-width="4" '
            f'paint-order="stroke">{escape(name)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clusters(points: list, project) -> list[list]:
    """Points grouped by the grid cell they fall in, most urgent group first (the points come
    most urgent first, and each group keeps that order)."""
    cells: dict[tuple[int, int], list] = {}
    for point in points:
        x, y = project(point.lat, point.lon)
        cells.setdefault((round(x / CLUSTER_PX), round(y / CLUSTER_PX)), []).append(point)
    return list(cells.values())


def _count(x: float, y: float, count: int, ink: str) -> str:
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y + 5)}" font-size="14" font-weight="700" '
        f'font-family="sans-serif" text-anchor="middle" fill="{ink}">{count}</text>'
    )


def _dot(members: list[MapPoint], project, need_url, list_url, many) -> str:
    first = members[0]
    x, y = project(first.lat, first.lon)
    color = PRIORITY_COLORS.get(first.priority, MUTED)
    unmet = any(p.status in ("open", "partially_met") for p in members)
    fill = color if unmet else "#fff"
    count = len(members)
    radius = 7 if count == 1 else 10 + min(count, 50) ** 0.5 * 2
    dot = (
        f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(radius)}" fill="{fill}" '
        f'stroke="{color}" stroke-width="3"/>'
    )
    if count > 1:
        dot += _count(x, y, count, "#fff" if unmet else "#1b1f23")
    if need_url is None:
        return dot
    if count == 1:
        href, label = need_url(first.id), first.title
    else:
        titles = ", ".join(p.title for p in members[:5])
        href = list_url or need_url(first.id)
        label = many(count, titles) if many else titles
    return f'<a href="{escape(href)}"><title>{escape(label)}</title>{dot}</a>'


def _mark(layer, members, project, mark_url, layer_list_url, many) -> str:
    """A project (square) or shift (triangle), offset a little so it does not sit exactly on
    the needs' dots at the same place."""
    first = members[0]
    shape, color = LAYER_STYLE.get(layer, ("square", MUTED))
    x, y = project(first.lat, first.lon)
    x, y = (x + 12, y - 12) if shape == "square" else (x - 12, y + 12)
    count = len(members)
    r = 8 if count == 1 else 11
    if shape == "square":
        symbol = (
            f'<rect x="{_fmt(x - r)}" y="{_fmt(y - r)}" width="{2 * r}" height="{2 * r}" '
            f'fill="{color}" stroke="#fff" stroke-width="2"/>'
        )
    else:
        h = r * math.sqrt(3)
        symbol = (
            f'<path d="M{_fmt(x)} {_fmt(y - h * 2 / 3)}L{_fmt(x + r * 1.15)} {_fmt(y + h / 3 + 2)}'
            f'L{_fmt(x - r * 1.15)} {_fmt(y + h / 3 + 2)}Z" fill="{color}" stroke="#fff" '
            'stroke-width="2"/>'
        )
    if count > 1:
        symbol += _count(x, y + (0 if shape == "square" else 2), count, "#fff")
    if mark_url is None:
        return symbol
    if count == 1:
        href, label = mark_url(first.route, first.id), f"{first.title} ({first.detail})"
    else:
        titles = ", ".join(m.title for m in members[:5])
        href = (layer_list_url and layer_list_url(first.list_route)) or mark_url(
            first.route, first.id
        )
        label = many(count, titles) if many else titles
    return f'<a href="{escape(href)}"><title>{escape(label)}</title>{symbol}</a>'


def _projection(lat0: float, lat1: float, lon0: float, lon1: float):
    """Equirectangular, shrunk by cos(latitude) so the shape is right near the incident."""
    k = math.cos(math.radians((lat0 + lat1) / 2))
    w = max((lon1 - lon0) * k, 1e-4)
    h = max(lat1 - lat0, 1e-4)
    scale = min((MAP_W - 2 * PAD) / w, (MAP_H - 2 * PAD) / h)
    ox = (MAP_W - w * scale) / 2
    oy = (MAP_H - h * scale) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return ox + (lon - lon0) * k * scale, MAP_H - oy - (lat - lat0) * scale

    return project
