"""Report pages and the Atom feed of published reports, plus the officials' supervision board."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import audit
from core.auth import current_user
from core.db import get_session
from core.errors import DomainError
from core.forms import validate
from core.web import redirect
from recovery.models import ReportStatus
from recovery.routes.common import (
    form_data,
    incident_choices,
    int_param,
    official,
    viewer_is_official,
)
from recovery.routes.common import page as render
from recovery.schemas import ReportCreate, ReportQuery, ReportUpdate
from recovery.service import reports as service
from recovery.service import supervision
from recovery.service.lookup import get_incident


async def reports_page(request: Request) -> Response:
    session = get_session(request)
    user = await current_user(request)
    query = ReportQuery(
        incident_id=int_param(request, "incident_id"), offset=int_param(request, "offset") or 0
    )
    rows, total = await service.list_reports(session, query, user=user)
    incident = await get_incident(session, query.incident_id) if query.incident_id else None
    context = {
        "rows": rows,
        "total": total,
        "query": query,
        "incident": incident,
        "incidents": await incident_choices(request),
        "can_edit": await viewer_is_official(request),
    }
    return await render(request, "recovery/reports.html", context, block="results")


async def report_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    data = await form_data(request) if request.method == "POST" else dict(request.query_params)
    context = {"form": data, "errors": {}, "incidents": await incident_choices(request)}
    if request.method == "GET":
        return await render(request, "recovery/report_form.html", context)
    body, errors = validate(ReportCreate, data)
    if body is not None:
        try:
            report = await service.create_report(session, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    if errors:
        context["errors"] = errors
        return await render(
            request, "recovery/report_form.html", context, status_code=422, block="form"
        )
    await session.commit()
    return redirect(request, str(request.url_for("recovery:report", id=report.id)))


async def _report_context(request: Request, report_id: int) -> dict:
    session = get_session(request)
    report = await service.get_visible_report(session, report_id, await current_user(request))
    can_edit = await viewer_is_official(request)
    return {
        "report": report,
        "incident": await get_incident(session, report.incident_id),
        "body_html": service.render_markdown(report.body_markdown),
        "can_edit": can_edit and report.status == ReportStatus.draft,
        "history": await audit.history(session, "reports", report.id) if can_edit else [],
        "form": {"title": report.title, "body_markdown": report.body_markdown},
        "errors": {},
    }


async def report_page(request: Request) -> Response:
    context = await _report_context(request, request.path_params["id"])
    return await render(request, "recovery/report.html", context)


async def report_edit(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    report_id = request.path_params["id"]
    data = await form_data(request)
    body, errors = validate(ReportUpdate, data)
    if body is not None:
        try:
            await service.update_report(session, report_id, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    if errors:
        context = await _report_context(request, report_id)
        context.update(form=data, errors=errors)
        return await render(
            request, "recovery/report.html", context, status_code=422, block="editor"
        )
    await session.commit()
    return redirect(request, str(request.url_for("recovery:report", id=report_id)))


async def report_publish(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    report = await service.publish_report(session, request.path_params["id"], actor=user)
    await session.commit()
    return redirect(request, str(request.url_for("recovery:report", id=report.id)))


async def reports_atom(request: Request) -> Response:
    """The incident's published reports as an Atom feed, newest first."""
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    rows, _total = await service.list_reports(
        session,
        ReportQuery(incident_id=incident.id, status=ReportStatus.published, limit=50),
        user=None,
    )
    entries = [(report, service.render_markdown(report.body_markdown)) for report in rows]
    updated = max((r.published_at for r in rows), default=incident.created_at)
    return await render(
        request,
        "recovery/reports.atom.xml",
        {"incident": incident, "entries": entries, "updated": updated},
        headers={"Content-Type": "application/atom+xml; charset=utf-8"},
    )


async def supervision_page(request: Request) -> Response:
    await official(request)
    session = get_session(request)
    incidents = await incident_choices(request)
    incident_id = int_param(request, "incident_id")
    board = await supervision.board(session, incident_id)
    context = {"board": board, "incidents": incidents, "incident_id": incident_id}
    return await render(request, "recovery/supervision.html", context, block="board")


routes = [
    Route("/reports", reports_page, name="reports"),
    Route("/manage/reports/new", report_new, methods=["GET", "POST"], name="report_new"),
    Route("/reports/{id:int}", report_page, name="report"),
    Route("/reports/{id:int}/edit", report_edit, methods=["POST"], name="report_edit"),
    Route(
        "/reports/{id:int}/publish",
        report_publish,
        methods=["POST"],
        name="report_publish",
    ),
    Route("/incidents/{id:int}/reports.atom", reports_atom, name="reports_atom"),
    Route("/supervision", supervision_page, name="supervision"),
]
