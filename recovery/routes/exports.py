"""Open data: the /data page and the HXL-tagged CSV and JSON exports of needs and 3W, CC BY 4.0."""

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from core import api
from core.db import get_session
from core.i18n import _
from core.web import render
from recovery.schemas import ExportPageQuery, ExportQuery, NeedExportPage, ThreeWExportPage
from recovery.service import exports as service
from recovery.service.incidents import incident_choices
from recovery.service.lookup import get_incident

PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
TAGS = ["open data"]


async def data_page(request: Request) -> Response:
    context = {
        "incidents": await incident_choices(get_session(request)),
        "datasets": [
            ("needs", _("Needs"), service.NEED_COLUMNS),
            ("3w", _("Who does what where (3W)"), service.THREE_W_COLUMNS),
        ],
        "licence_url": service.LICENCE_URL,
    }
    return await render(request, "recovery/public/data.html", context)


async def _download(
    request: Request, dataset: str, query: ExportQuery, filename: str, *, form: str
) -> Response:
    """A whole dataset, streamed: the CSV or the HXL JSON (no page limit, flat memory)."""
    session = get_session(request)
    if query.incident_id is not None:
        await get_incident(session, query.incident_id)
        filename = f"incident-{query.incident_id}-{filename}"
    chunks = service.csv_chunks if form == "csv" else service.json_chunks
    media_type = "text/csv; charset=utf-8" if form == "csv" else "application/json"
    return StreamingResponse(
        chunks(session, dataset, query.incident_id),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Link": f'<{service.LICENCE_URL}>; rel="license"',
            **PUBLIC_CACHE,
        },
    )


async def _page(request: Request, dataset: str, query: ExportPageQuery) -> dict:
    session = get_session(request)
    if query.incident_id is not None:
        await get_incident(session, query.incident_id)
    items = await service.rows(
        session, dataset, query.incident_id, limit=query.limit, offset=query.offset
    )
    total = await service.count_rows(session, dataset, query.incident_id)
    return {"items": items, "total": total, "licence": service.LICENCE}


async def export_needs_csv(request: Request, query: ExportQuery) -> Response:
    """Needs as HXL-tagged CSV (CC BY 4.0); no personal data."""
    return await _download(request, "needs", query, "needs.csv", form="csv")


async def export_3w_csv(request: Request, query: ExportQuery) -> Response:
    """Who does what where (3W) as HXL-tagged CSV (CC BY 4.0)."""
    return await _download(request, "3w", query, "3w.csv", form="csv")


async def export_needs_hxl_json(request: Request, query: ExportQuery) -> Response:
    """Every need as HXL JSON (arrays: headers, hashtags, rows), streamed; CC BY 4.0."""
    return await _download(request, "needs", query, "needs.hxl.json", form="json")


async def export_3w_hxl_json(request: Request, query: ExportQuery) -> Response:
    """The whole 3W as HXL JSON (arrays: headers, hashtags, rows), streamed; CC BY 4.0."""
    return await _download(request, "3w", query, "3w.hxl.json", form="json")


async def export_needs_json(request: Request, query: ExportPageQuery):
    """Needs as JSON, the same fields as the CSV, a page at a time."""
    return await _page(request, "needs", query)


async def export_3w_json(request: Request, query: ExportPageQuery):
    """Who does what where (3W) as JSON, the same fields as the CSV, a page at a time."""
    return await _page(request, "3w", query)


routes = [Route("/data", data_page, name="data")]
api_routes = [
    api.ApiRoute(
        "/export/needs.csv",
        export_needs_csv,
        name="export_needs_csv",
        query=ExportQuery,
        tags=TAGS,
        content_type="text/csv",
    ),
    api.ApiRoute(
        "/export/needs.json",
        export_needs_json,
        name="export_needs_json",
        query=ExportPageQuery,
        response=NeedExportPage,
        tags=TAGS,
    ),
    api.ApiRoute(
        "/export/3w.csv",
        export_3w_csv,
        name="export_3w_csv",
        query=ExportQuery,
        tags=TAGS,
        content_type="text/csv",
    ),
    api.ApiRoute(
        "/export/needs.hxl.json",
        export_needs_hxl_json,
        name="export_needs_hxl_json",
        query=ExportQuery,
        tags=TAGS,
        content_type="application/json",
    ),
    api.ApiRoute(
        "/export/3w.hxl.json",
        export_3w_hxl_json,
        name="export_3w_hxl_json",
        query=ExportQuery,
        tags=TAGS,
        content_type="application/json",
    ),
    api.ApiRoute(
        "/export/3w.json",
        export_3w_json,
        name="export_3w_json",
        query=ExportPageQuery,
        response=ThreeWExportPage,
        tags=TAGS,
    ),
]
