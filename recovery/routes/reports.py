"""Progress reports: the list, drafts and publishing, the Atom feed of published reports, and
the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api, audit
from core.auth import current_user
from core.db import get_session
from core.forms import form_page
from core.models import Role
from core.web import redirect, render
from recovery.models import ReportStatus
from recovery.schemas import ReportCreate, ReportPublic, ReportQuery, ReportUpdate, from_query
from recovery.service import reports as service
from recovery.service.access import require_official, viewer_can_act, viewer_is_official
from recovery.service.incidents import incident_choices
from recovery.service.lookup import get_incident

OFFICIALS = (Role.official,)


async def reports_page(request: Request) -> Response:
    session = get_session(request)
    query, _errors = from_query(ReportQuery, request.query_params, status=None)
    rows, total = await service.list_reports(session, query, user=await current_user(request))
    context = {
        "rows": rows,
        "total": total,
        "query": query,
        "incident": await get_incident(session, query.incident_id) if query.incident_id else None,
        "incidents": await incident_choices(session),
        "can_edit": await viewer_is_official(request),
    }
    return await render(request, "recovery/reports.html", context, block="results")


async def report_new(request: Request) -> Response:
    return await form_page(
        request,
        "recovery/report_form.html",
        block="form",
        schema=ReportCreate,
        user=await require_official(request),
        drop_blank=True,
        initial=dict(request.query_params),
        context={"incidents": await incident_choices(get_session(request), include_exercises=True)},
        action=lambda session, body, user: service.create_report(session, body, actor=user),
        success=lambda report: request.url_for("recovery:report", id=report.id),
    )


async def _report_page(request: Request) -> dict:
    session = get_session(request)
    report = await service.get_visible_report(
        session, request.path_params["id"], await current_user(request)
    )
    can_edit = await viewer_can_act(request, report.incident_id)
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
    return await render(request, "recovery/report.html", await _report_page(request))


async def report_edit(request: Request) -> Response:
    user = await require_official(request)
    return await form_page(
        request,
        "recovery/report.html",
        block="editor",
        schema=ReportUpdate,
        user=user,
        drop_blank=True,
        context=await _report_page(request),
        action=lambda session, body, user: service.update_report(
            session, request.path_params["id"], body, actor=user
        ),
        success=lambda report: request.url_for("recovery:report", id=report.id),
    )


async def report_publish(request: Request) -> Response:
    """Publish the draft: its figures are frozen and it becomes public."""
    user = await require_official(request)
    report = await service.publish_report(
        get_session(request), request.path_params["id"], actor=user
    )
    return redirect(request, str(request.url_for("recovery:report", id=report.id)))


async def reports_atom(request: Request) -> Response:
    """The incident's published reports as an Atom feed, newest first (empty for a drill)."""
    session = get_session(request)
    incident = await get_incident(session, request.path_params["id"])
    rows = await service.feed_reports(session, incident)
    entries = [(report, service.render_markdown(report.body_markdown)) for report in rows]
    updated = max((r.published_at for r in rows), default=incident.created_at)
    return await render(
        request,
        "recovery/reports.atom.xml",
        {"incident": incident, "entries": entries, "updated": updated},
        headers={"Content-Type": "application/atom+xml; charset=utf-8"},
    )


async def create_report(request: Request, body: ReportCreate, user):
    """Write a draft progress report."""
    return service.report_view(await service.create_report(get_session(request), body, actor=user))


async def list_reports(request: Request, query: ReportQuery):
    """Published reports (officials also see drafts)."""
    user = await current_user(request)
    rows, total = await service.list_reports(get_session(request), query, user=user)
    return api.page([service.report_view(r) for r in rows], total)


async def get_report_api(request: Request):
    """A published report, or a draft for officials."""
    user = await current_user(request)
    session = get_session(request)
    return service.report_view(
        await service.get_visible_report(session, request.path_params["id"], user)
    )


async def update_report(request: Request, body: ReportUpdate, user):
    """Edit a draft report."""
    session = get_session(request)
    report = await service.update_report(session, request.path_params["id"], body, actor=user)
    return service.report_view(report)


async def publish_report(request: Request, user):
    """Publish a report, freezing a snapshot of the incident's figures into it."""
    session = get_session(request)
    report = await service.publish_report(session, request.path_params["id"], actor=user)
    return service.report_view(report)


routes = [
    Route("/reports", reports_page, name="reports"),
    Route("/manage/reports/new", report_new, methods=["GET", "POST"], name="report_new"),
    Route("/reports/{id:int}", report_page, name="report"),
    Route("/reports/{id:int}/edit", report_edit, methods=["POST"], name="report_edit"),
    Route("/reports/{id:int}/publish", report_publish, methods=["POST"], name="report_publish"),
    Route("/incidents/{id:int}/reports.atom", reports_atom, name="reports_atom"),
]
api_routes = [
    api.ApiRoute(
        "/reports",
        create_report,
        methods=["POST"],
        name="report_create",
        body=ReportCreate,
        response=ReportPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["reports"],
    ),
    api.ApiRoute(
        "/reports",
        list_reports,
        name="reports",
        query=ReportQuery,
        response=api.Page[ReportPublic],
        tags=["reports"],
        errors=(403,),  # drafts: officials only
    ),
    api.ApiRoute(
        "/reports/{id:int}", get_report_api, name="report", response=ReportPublic, tags=["reports"]
    ),
    api.ApiRoute(
        "/reports/{id:int}",
        update_report,
        methods=["PATCH"],
        name="report_update",
        body=ReportUpdate,
        response=ReportPublic,
        roles=OFFICIALS,
        tags=["reports"],
        errors=(409,),
    ),
    api.ApiRoute(
        "/reports/{id:int}/publish",
        publish_report,
        methods=["POST"],
        name="report_publish",
        response=ReportPublic,
        roles=OFFICIALS,
        tags=["reports"],
        errors=(409,),
    ),
]
