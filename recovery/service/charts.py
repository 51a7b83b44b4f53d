"""Server-rendered SVG: bar charts and the map's offline fallback, light and readable without JS."""

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup
from markupsafe import escape as _escape

from core.types import printable
from recovery.labels import PRIORITY_COLORS
from recovery.service.dashboard import MapData, MapPoint

WIDTH = 480
LABEL_W = 215
ROW_H = 30
BAR_H = 22
FONT = 16
MUTED = "#555d66"


def escape(text: object) -> Markup:
    """Escaped for SVG, which as XML cannot hold control characters a stored name may have."""
    return _escape(printable(str(text)))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    number=str,
) -> Markup:
    """One horizontal bar per row, split into coloured segments; the total is written after it."""
    height = max(len(rows), 1) * ROW_H + 4
    biggest = max((sum(v for v, _c in parts) for _l, parts in rows), default=0) or 1
    span = WIDTH - LABEL_W - 56
    out = [_open(chart_id, height, title, desc)]
    for index, (label, parts) in enumerate(rows):
        y = index * ROW_H + 4
        out.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="{FONT}">'
            f"{escape(label)}</text>"
        )
        x = float(LABEL_W)
        for value, color in parts:
            if value <= 0:
                continue
            w = value / biggest * span
            out.append(
                f'<rect x="{_fmt(x)}" y="{y}" width="{_fmt(max(w, 1))}" height="{BAR_H}" '
                f'fill="{color}"/>'
            )
            x += w
        total = sum(v for v, _c in parts)
        out.append(
            f'<text x="{_fmt(x + 6)}" y="{y + 17}" font-size="{FONT}" fill="{MUTED}">'
            f"{escape(number(total))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def bars(
    chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, int, str]], number=str
) -> Markup:
    return stacked_bars(
        chart_id, title, desc, [(label, [(value, color)]) for label, value, color in rows], number
    )


MAP_W, MAP_H = 600, 400
PAD = 24


def map_svg(
    data: MapData,
    title: str,
    *,
    need_url: Callable[[int], str] | None = None,
    list_url: str | None = None,
    many: Callable[[int, str], str] | None = None,
) -> str:
    """Needs as dots on the plain outline of the incident's extent, with its areas named: the
    map that needs no tiles.

    Unmet needs are filled dots, met or closed ones rings; colour is the priority. Needs that
    would overlap (the same place, or a few pixels apart) are one dot with their count. With
    `need_url`, the map is for inlining in a page: each dot links to its need (a cluster to
    `list_url`) and names what it stands for; `many(count, titles)` words a cluster's title.
    """
    lats = [p.lat for p in data.points] + [a[1] for a in data.areas]
    lons = [p.lon for p in data.points] + [a[2] for a in data.areas]
    role = 'role="group"' if need_url else 'role="img"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}" '
        f'width="{MAP_W}" height="{MAP_H}" {role} aria-labelledby="map-title">'
        f'<title id="map-title">{escape(title)}</title>'
        f'<rect width="{MAP_W}" height="{MAP_H}" fill="#f3f5f7"/>'
    ]
    if lats:
        project = _projection(min(lats), max(lats), min(lons), max(lons))
        x0, y0 = project(min(lats), min(lons))
        x1, y1 = project(max(lats), max(lons))
        out.append(
            f'<rect x="{_fmt(min(x0, x1) - 10)}" y="{_fmt(min(y0, y1) - 10)}" '
            f'width="{_fmt(abs(x1 - x0) + 20)}" height="{_fmt(abs(y1 - y0) + 20)}" '
            'fill="#fff" stroke="#8a9299" stroke-dasharray="6 4"/>'
        )
        # Least urgent cluster first so the urgent dots are drawn on top.
        for members in reversed(_clusters(data.points, project)):
            out.append(_dot(members, project, need_url, list_url, many))
        # Area names last, haloed, so the dots never hide them.
        for name, lat, lon in data.areas:
            x, y = project(lat, lon)
            out.append(
                f'<rect x="{_fmt(x - 5)}" y="{_fmt(y - 5)}" width="10" height="10" fill="#1b1f23"/>'
                f'<text x="{_fmt(x + 7)}" y="{_fmt(y - 6)}" font-size="18" '
                f'font-family="sans-serif" fill="#1b1f23" stroke="#fff" stroke-width="4" '
                f'paint-order="stroke">{escape(name)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


# Dots closer than this (in the map's pixels) are drawn as one, with their count.
CLUSTER_PX = 14


def _clusters(points: list[MapPoint], project) -> list[list[MapPoint]]:
    """Points grouped by the grid cell they fall in, most urgent group first (the points come
    most urgent first, and each group keeps that order)."""
    cells: dict[tuple[int, int], list[MapPoint]] = {}
    for point in points:
        x, y = project(point.lat, point.lon)
        cells.setdefault((round(x / CLUSTER_PX), round(y / CLUSTER_PX)), []).append(point)
    return list(cells.values())


def _dot(members, project, need_url, list_url, many) -> str:
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
        ink = "#fff" if unmet else "#1b1f23"
        dot += (
            f'<text x="{_fmt(x)}" y="{_fmt(y + 5)}" font-size="14" font-weight="700" '
            f'font-family="sans-serif" text-anchor="middle" fill="{ink}">{count}</text>'
        )
    if need_url is None:
        return dot
    if count == 1:
        href, label = need_url(first.id), first.title
    else:
        titles = ", ".join(p.title for p in members[:5])
        href = list_url or need_url(first.id)
        label = many(count, titles) if many else titles
    return f'<a href="{escape(href)}"><title>{escape(label)}</title>{dot}</a>'


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
