"""Public pages and open-data operations, for anyone without signing in."""

from babel import numbers as babel_numbers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from core import api
from core.accounts.service import list_organizations
from core.clock import utcnow
from core.db import get_session
from core.domain import NavItem, gather
from core.i18n import _, current_locale, lazy_gettext
from core.models import OrgStatus
from core.web import render
from recovery.models import IncidentStatus
from recovery.public import charts
from recovery.public.labels import (
    CATEGORY_LABELS,
    NEED_STATUS_COLORS,
    NEED_STATUS_LABELS,
    ORG_KIND_LABELS,
    PRIORITY_COLORS,
    PRIORITY_LABELS,
    TASK_STATUS_LABELS,
    label,
)
from recovery.public.schemas import (
    ExportPageQuery,
    ExportQuery,
    NeedExportPage,
    ThreeWExportPage,
)
from recovery.public.service import dashboard, exports, organizations
from recovery.service import get_incident, list_incidents
from recovery.service.incidents import incident_today

MAP_POINTS = 500
INCIDENT_STATUS_LABELS = {
    IncidentStatus.response: lazy_gettext("Emergency response"),
    IncidentStatus.recovery: lazy_gettext("Recovery"),
    IncidentStatus.closed: lazy_gettext("Closed"),
}
VOLUNTEER_LABELS = {
    "registered": lazy_gettext("Volunteers registered"),
    "active": lazy_gettext("Active volunteers"),
    "signups": lazy_gettext("Shift sign-ups"),
    "shifts": lazy_gettext("Shifts"),
    "hours": lazy_gettext("Hours given"),
}
# Short shared caching for what is the same for every visitor (never for HTML pages, which
# carry the visitor's CSRF token and sign-in state); translated bodies vary by language.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
LOCALIZED_CACHE = PUBLIC_CACHE | {"Vary": "Accept-Language, Cookie"}


def _number(value) -> str:
    return babel_numbers.format_decimal(value, locale=current_locale.get())


def _base(request: Request) -> dict:
    return {
        "label": label,
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "NEED_STATUS_LABELS": NEED_STATUS_LABELS,
        "NEED_STATUS_COLORS": NEED_STATUS_COLORS,
        "PRIORITY_LABELS": PRIORITY_LABELS,
        "PRIORITY_COLORS": PRIORITY_COLORS,
        "TASK_STATUS_LABELS": TASK_STATUS_LABELS,
        "INCIDENT_STATUS_LABELS": INCIDENT_STATUS_LABELS,
        "ORG_KIND_LABELS": ORG_KIND_LABELS,
    }


async def home(request: Request) -> Response:
    summaries = await dashboard.incident_summaries(get_session(request))
    return await render(
        request, "recovery/public/home.html", _base(request) | {"summaries": summaries}
    )


def _need_charts(figures: dashboard.NeedFigures) -> dict:
    statuses = list(dashboard.CHART_STATUSES)
    by_category = charts.stacked_bars(
        "c-cat",
        _("Needs by category"),
        _("Number of needs in each category, split by status."),
        [
            (
                label(CATEGORY_LABELS, row.category),
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
            (label(NEED_STATUS_LABELS, s), figures.by_status.get(s, 0), NEED_STATUS_COLORS[s])
            for s in statuses
        ],
        number=_number,
    )
    return {"chart_category": by_category, "chart_status": by_status, "statuses": statuses}


async def incident(request: Request) -> Response:
    session = get_session(request)
    row = await get_incident(session, request.path_params["id"])
    today = incident_today(row, default_zone=request.app.state.settings.time_zone)
    needs = await dashboard.need_figures(session, row.id)
    context = _base(request) | {
        "incident": row,
        "needs": needs,
        "urgent": await dashboard.urgent_needs(session, row.id),
        "projects": await dashboard.project_figures(session, row.id),
        "overdue": await dashboard.overdue_by_organization(session, row.id, today),
        "reports": await dashboard.latest_reports(session, row.id),
        "extra": await gather("incident.figures", session, row.id),
        "map_shown": min(MAP_POINTS, needs.total),
        "today": today,
        "volunteer_labels": VOLUNTEER_LABELS,
        **_need_charts(needs),
    }
    return await render(request, "recovery/public/incident.html", context)


async def incident_map_svg(request: Request) -> Response:
    session = get_session(request)
    row = await get_incident(session, request.path_params["id"])
    data = await dashboard.map_data(session, row.id, limit=MAP_POINTS)
    title = _("Needs of %(incident)s by priority and status") % {"incident": row.name}
    return Response(
        charts.map_svg(data, title), media_type="image/svg+xml", headers=LOCALIZED_CACHE
    )


async def incident_map_points(request: Request) -> Response:
    """GeoJSON of the same needs the offline map draws, for the interactive map."""
    session = get_session(request)
    row = await get_incident(session, request.path_params["id"])
    data = await dashboard.map_data(session, row.id, limit=MAP_POINTS)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "id": p.id,
                "title": p.title,
                "category": label(CATEGORY_LABELS, p.category),
                "priority": p.priority,
                "priority_label": label(PRIORITY_LABELS, p.priority),
                "status": p.status,
                "status_label": label(NEED_STATUS_LABELS, p.status),
                "color": PRIORITY_COLORS.get(p.priority, "#555d66"),
                "url": str(request.url_for("recovery:need", id=p.id)),
            },
        }
        for p in data.points
    ]
    body = {"type": "FeatureCollection", "features": features, "total": data.total}
    return JSONResponse(body, headers=LOCALIZED_CACHE)


async def organization(request: Request) -> Response:
    session = get_session(request)
    org = await organizations.get_public_organization(session, request.path_params["id"])
    today = incident_today(None, default_zone=request.app.state.settings.time_zone)
    context = _base(request) | {
        "org": org,
        "verification": await organizations.verification(session, org),
        "record": await organizations.track_record(session, org.id, today),
        "work": await organizations.current_work(session, org.id, today),
        "led": await organizations.projects_led(session, org.id),
    }
    return await render(request, "recovery/public/organization.html", context)


async def organization_list(request: Request) -> Response:
    """Verified organizations (expired ones too, marked), with what they owe right now."""
    session = get_session(request)
    limit = 50
    try:
        offset = max(int(request.query_params.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    orgs, total = await list_organizations(
        session, status=OrgStatus.verified, limit=limit, offset=offset
    )
    today = incident_today(None, default_zone=request.app.state.settings.time_zone)
    context = _base(request) | {
        "orgs": orgs,
        "total": total,
        "limit": limit,
        "offset": offset,
        "now": utcnow(),
        "overdue": await organizations.overdue_counts(session, [o.id for o in orgs], today),
    }
    return await render(request, "recovery/public/organizations.html", context)


async def data_page(request: Request) -> Response:
    context = _base(request) | {
        "incidents": (await list_incidents(get_session(request), limit=200))[0],
        "datasets": [
            ("needs", _("Needs"), exports.NEED_COLUMNS, "export_needs_csv", "export_needs_json"),
            (
                "3w",
                _("Who does what where (3W)"),
                exports.THREE_W_COLUMNS,
                "export_3w_csv",
                "export_3w_json",
            ),
        ],
        "licence_url": exports.LICENCE_URL,
    }
    return await render(request, "recovery/public/data.html", context)


async def _csv(request: Request, dataset: str, query: ExportQuery, filename: str) -> Response:
    session = get_session(request)
    if query.incident_id is not None:
        await get_incident(session, query.incident_id)
        filename = f"incident-{query.incident_id}-{filename}"
    return StreamingResponse(
        exports.csv_chunks(session, dataset, query.incident_id),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Link": f'<{exports.LICENCE_URL}>; rel="license"',
            **PUBLIC_CACHE,
        },
    )


async def _json(request: Request, dataset: str, query: ExportPageQuery) -> Response:
    session = get_session(request)
    if query.incident_id is not None:
        await get_incident(session, query.incident_id)
    items = await exports.rows(
        session, dataset, query.incident_id, limit=query.limit, offset=query.offset
    )
    total = await exports.count_rows(session, dataset, query.incident_id)
    return api.ok({"items": items, "total": total, "licence": exports.LICENCE})


async def export_needs_csv(request: Request, query: ExportQuery) -> Response:
    """Needs as HXL-tagged CSV (CC BY 4.0); no personal data."""
    return await _csv(request, "needs", query, "needs.csv")


async def export_3w_csv(request: Request, query: ExportQuery) -> Response:
    """Who does what where (3W) as HXL-tagged CSV (CC BY 4.0)."""
    return await _csv(request, "3w", query, "3w.csv")


async def export_needs_json(request: Request, query: ExportPageQuery) -> Response:
    """Needs as JSON, the same fields as the CSV, a page at a time."""
    return await _json(request, "needs", query)


async def export_3w_json(request: Request, query: ExportPageQuery) -> Response:
    """Who does what where (3W) as JSON, the same fields as the CSV, a page at a time."""
    return await _json(request, "3w", query)


routes: list = [
    Route("/", home, name="home"),
    Route("/incidents/{id:int}", incident, name="incident"),
    Route("/incidents/{id:int}/map.svg", incident_map_svg, name="incident_map"),
    Route("/incidents/{id:int}/map.geojson", incident_map_points, name="incident_points"),
    Route("/organizations", organization_list, name="organizations"),
    Route("/organizations/{id:int}", organization, name="organization"),
    Route("/data", data_page, name="data"),
]
_TAGS = ["open data"]
api_routes: list = [
    api.ApiRoute(
        "/export/needs.csv",
        export_needs_csv,
        name="export_needs_csv",
        query=ExportQuery,
        tags=_TAGS,
        content_type="text/csv",
    ),
    api.ApiRoute(
        "/export/needs.json",
        export_needs_json,
        name="export_needs_json",
        query=ExportPageQuery,
        response=NeedExportPage,
        tags=_TAGS,
    ),
    api.ApiRoute(
        "/export/3w.csv",
        export_3w_csv,
        name="export_3w_csv",
        query=ExportQuery,
        tags=_TAGS,
        content_type="text/csv",
    ),
    api.ApiRoute(
        "/export/3w.json",
        export_3w_json,
        name="export_3w_json",
        query=ExportPageQuery,
        response=ThreeWExportPage,
        tags=_TAGS,
    ),
]
nav: list = [NavItem(lazy_gettext("Open data"), "recovery:data", order=80)]
