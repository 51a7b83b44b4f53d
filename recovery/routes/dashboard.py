"""The public home page and each incident's dashboard with its charts and map, for anyone
without signing in."""

from babel import numbers as babel_numbers
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import cache
from core.db import get_session
from core.domain import Extensions, gather
from core.errors import error_json
from core.events import LiveFull, LiveResponse, Snapshot
from core.i18n import _, locale_object, using_locale
from core.live import live_tag, render_sections
from core.pages import next_midnight, shared_page
from core.types import as_db_id
from core.web import render
from recovery import labels
from recovery.labels import NEED_STATUS_COLORS, PRIORITY_COLORS, label
from recovery.service import charts, dashboard, map_svg, maps
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_incident

MAP_POINTS = 500
# Short shared caching for what is the same for every visitor (never for HTML pages, which
# carry the visitor's CSRF token and sign-in state); translated bodies vary by language.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
LOCALIZED_CACHE = PUBLIC_CACHE | {"Vary": "Accept-Language, Cookie"}
DASHBOARD = "recovery/public/incident.html"
# The dashboard's parts its event stream pushes, rendered, whenever they change (core/live.py).
LIVE_SECTIONS = (
    "live-stats",
    "live-needs",
    "live-funds",
    "live-projects",
    "live-overdue",
    "live-reports",
)


def _number(value) -> str:
    return babel_numbers.format_decimal(value, locale=locale_object())


async def home(request: Request) -> Response:
    exercises = request.query_params.get("exercises") == "1"
    summaries = await dashboard.incident_summaries(get_session(request), exercises=exercises)
    return await render(
        request, "recovery/public/home.html", {"summaries": summaries, "exercises": exercises}
    )


def _need_charts(figures: dashboard.NeedFigures) -> dict:
    statuses = list(dashboard.CHART_STATUSES)
    by_category = charts.stacked_bars(
        "c-cat",
        _("Needs by category"),
        _("Number of needs in each category, split by status."),
        [
            (
                label(labels.CATEGORY, row.category),
                [(row.counts.get(s, 0), NEED_STATUS_COLORS[s]) for s in statuses],
            )
            for row in figures.by_category
        ],
        number=_number,
    )
    by_status = charts.bars(
        "c-status",
        _("Needs by status"),
        _("Number of needs in each status."),
        [
            (label(labels.NEED_STATUS, s), figures.by_status.get(s, 0), NEED_STATUS_COLORS[s])
            for s in statuses
        ],
        number=_number,
    )
    return {"chart_category": by_category, "chart_status": by_status, "statuses": statuses}


def _inline_map(request: Request, row, data) -> Markup:
    """The tile-free map as part of the page, each dot a link to its need (or its cluster to
    the incident's needs)."""
    # Paths, not full URLs: the page is shared by every visitor (and every host name).
    one = str(request.app.url_path_for("recovery:need", id=0))[:-1]
    title = _("Needs of %(incident)s by priority and status") % {"incident": row.name}
    app = request.app
    svg = map_svg.map_svg(
        data,
        title,
        need_url=lambda need_id: f"{one}{need_id}",
        list_url=f"{app.url_path_for('recovery:needs')}?incident_id={row.id}",
        many=lambda count, titles: _("%(count)s here: %(titles)s") % {
            "count": count, "titles": titles},
        mark_url=lambda route, mark_id: str(app.url_path_for(route, id=mark_id)),
        layer_list_url=lambda route: (
            f"{app.url_path_for(route)}?incident_id={row.id}" if route else None),
    )  # fmt: skip
    return Markup(svg)  # noqa: S704 (built from escaped parts in charts.map_svg)


async def _map_data(session, incident_id: int, total: int | None = None) -> dashboard.MapData:
    """Needs, the areas' shapes and the other layers: what both maps draw."""
    data = await dashboard.map_data(
        session, incident_id, limit=MAP_POINTS, total=total, areas=False
    )
    data.shapes = await maps.map_areas(session, incident_id)
    # Named on the map: every level, counties first, as many as stay legible.
    data.areas = [(a.name, a.lat, a.lon) for a in data.shapes[:50]]
    data.layers = await maps.layer_marks(session, incident_id)
    return data


async def _dashboard_context(request, session, row, today) -> dict:
    needs = await dashboard.need_figures(session, row.id)
    data = await _map_data(session, row.id, total=needs.total)
    return {
        "map_svg": _inline_map(request, row, data),
        "incident": row,
        "needs": needs,
        "urgent": await dashboard.urgent_needs(session, row.id),
        "projects": await dashboard.project_figures(session, row.id),
        "overdue": await dashboard.overdue_by_organization(session, row.id, today),
        "reports": await dashboard.latest_reports(session, row.id),
        "extra": await gather("incident.figures", session, row.id),
        "map_shown": min(MAP_POINTS, needs.total),
        "map_layers": {layer: len(marks) for layer, marks in data.layers.items()},
        "map_derived": any(a.derived for a in data.shapes),
        "today": today,
        "NEED_STATUS_COLORS": NEED_STATUS_COLORS,
        "PRIORITY_COLORS": PRIORITY_COLORS,
        **_need_charts(needs),
    }


async def incident(request: Request) -> Response:
    session = get_session(request)
    incident_id = request.path_params["id"]
    # The versions first: whatever is read after them is at least as new as they say.
    versions = await cache.versions(session, incident_id)
    providers = tuple(map(id, Extensions.of(session).providers.get("incident.figures", ())))

    async def build():
        row = await get_incident(session, incident_id)
        today = incident_today(row)
        context = await _dashboard_context(request, session, row, today)
        # What the live sections show, so the stream sends them only once they differ.
        context["live_tag"] = _live_tag(request, row.id, versions, today)
        # Overdue work changes at the incident's midnight, with no write.
        return context, next_midnight(row.time_zone)

    return await shared_page(
        request,
        DASHBOARD,
        ("dashboard", incident_id, providers),
        build,
        cache_name="dashboard",
        versions=versions,
        source=incident_id,
    )


async def incident_map_svg(request: Request) -> Response:
    session = get_session(request)
    row = await get_incident(session, request.path_params["id"])
    data = await _map_data(session, row.id)
    title = _("Needs of %(incident)s by priority and status") % {"incident": row.name}
    return Response(
        map_svg.map_svg(data, title), media_type="image/svg+xml", headers=LOCALIZED_CACHE
    )


async def incident_map_points(request: Request) -> Response:
    """GeoJSON of what the offline map draws, for the interactive map: needs, projects and
    shifts (property `layer`), and the areas (their stored outlines, or their positions)."""
    session = get_session(request)
    row = await get_incident(session, request.path_params["id"])
    data = await _map_data(session, row.id)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "layer": "needs",
                "id": p.id,
                "title": p.title,
                "category": label(labels.CATEGORY, p.category),
                "priority": p.priority,
                "priority_label": label(labels.PRIORITY, p.priority),
                "status": p.status,
                "status_label": label(labels.NEED_STATUS, p.status),
                "color": PRIORITY_COLORS.get(p.priority, "#555d66"),
                "url": str(request.url_for("recovery:need", id=p.id)),
            },
        }
        for p in data.points
    ]
    for layer, marks in data.layers.items():
        features.extend(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [m.lon, m.lat]},
                "properties": {
                    "layer": layer,
                    "id": m.id,
                    "title": m.title,
                    "detail": m.detail,
                    "color": map_svg.LAYER_STYLE.get(layer, ("", "#555d66"))[1],
                    "url": str(request.url_for(m.route, id=m.id)),
                },
            }
            for m in marks
        )
    for area in data.shapes:
        geometry = area.outline or {"type": "Point", "coordinates": [area.lon, area.lat]}
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "layer": "areas",
                    "id": area.id,
                    "title": area.name,
                    "level": area.level,
                    "at": [area.lat, area.lon],
                },
            }
        )
    body = {"type": "FeatureCollection", "features": features, "total": data.total}
    return JSONResponse(body, headers=LOCALIZED_CACHE)


async def map_extent(request: Request) -> Response:
    """Where a map opens: `{"bounds": [[south, west], [north, east]] | null}` around an
    incident's areas (`?incident_id=`), or every current incident's."""
    incident_id = as_db_id(request.query_params.get("incident_id"))
    session = get_session(request)
    if incident_id is not None:
        await get_incident(session, incident_id)
    bounds = await maps.extent(session, incident_id)
    return JSONResponse({"bounds": bounds}, headers=PUBLIC_CACHE)


def _live_tag(request: Request, incident_id: int, versions, today) -> str:
    return live_tag(incident_id, *versions, today, request.scope.get("commons.locale", "en"))


async def incident_events(request: Request) -> Response:
    """Server-sent events: `figures` (the dashboard's numbers, JSON) now and on every change;
    with `?sections=TAG` (the dashboard's own stream) also the dashboard's live sections,
    rendered, whenever they differ from the TAG the page shows."""
    row = await get_incident(get_session(request), request.path_params["id"])
    database = request.app.state.database
    hub = database.events
    page_tag = request.query_params.get("sections")
    # EventSource sends the last event's id back when it reconnects: what the page now shows.
    shown = request.headers.get("last-event-id") or page_tag
    providers = tuple(
        map(id, Extensions.of(get_session(request)).providers.get("incident.figures", ()))
    )
    try:
        subscription = await hub.subscribe(row.id)
    except LiveFull:
        message = _("Too many live connections; the page still works, reload it for news.")
        return error_json(503, "live_full", message, headers={"Retry-After": "30"})

    async def figures(session, today) -> Snapshot:
        incident = await get_incident(session, row.id)
        return Snapshot(await dashboard.public_figures(session, incident, today))

    async def page_sections(session, today, tag: str) -> Snapshot:
        incident = await get_incident(session, row.id)
        context = await _dashboard_context(request, session, incident, today)
        context["live_tag"] = tag
        with using_locale(request.scope.get("commons.locale", "en")):
            html = render_sections(request, DASHBOARD, LIVE_SECTIONS, context)
        numbers = dashboard.figures_of(
            incident.id, context["needs"], context["projects"], context["overdue"], context["extra"]
        )
        return Snapshot(numbers, tag, html)

    async def read() -> Snapshot:
        # A short read of its own each time: the stream holds no connection while it waits.
        async with database.session(write=False) as session:
            # Woken by a commit, perhaps another worker's: this worker's memo of the
            # versions may not have seen it yet.
            cache.read_fresh(session)
            versions = await cache.versions(session, row.id)
            today = incident_today(row)
            # Rendered once per worker, by whichever of its streams asks first.
            if page_tag is None:
                key = ("figures", row.id, versions, today, providers)
                return await hub.renderings.get(key, lambda: figures(session, today))
            tag = _live_tag(request, row.id, versions, today)
            key = ("sections", tag, str(request.base_url), providers)
            return await hub.renderings.get(key, lambda: page_sections(session, today, tag))

    return LiveResponse(hub, subscription, read, shown=shown)


routes = [
    Route("/", home, name="home"),
    Route("/incidents/{id:int}/events", incident_events, name="incident_events"),
    Route("/incidents/{id:int}", incident, name="incident"),
    Route("/incidents/{id:int}/map.svg", incident_map_svg, name="incident_map"),
    Route("/incidents/{id:int}/map.geojson", incident_map_points, name="incident_points"),
    Route("/map/extent.json", map_extent, name="map_extent"),
]
