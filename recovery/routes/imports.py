"""Spreadsheet imports of needs: the template, upload and preview, the run with its progress,
as pages for officials and as /api/v1 operations."""

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core.db import get_session
from core.errors import InvalidInput, NotFound
from core.forms import form_dict, form_page, validate
from core.i18n import _
from core.models import Role
from core.web import redirect, render
from recovery.schemas import ImportJobPublic, NeedImport
from recovery.service import imports as service
from recovery.service import spreadsheets
from recovery.service.access import require_official
from recovery.service.incidents import incident_choices, list_areas
from recovery.service.lookup import get_incident

OFFICIALS = (Role.official,)
TYPES = {
    "csv": ("text/csv; charset=utf-8", spreadsheets.template_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        spreadsheets.template_xlsx,
    ),
}


async def template(request: Request) -> Response:
    """The empty spreadsheet to fill in, as CSV or XLSX."""
    kind = request.path_params["kind"]
    if kind not in TYPES:
        raise NotFound(_("No such template."))
    media_type, build = TYPES[kind]
    return Response(
        build(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="needs-template.{kind}"'},
    )


async def import_new(request: Request) -> Response:
    """Upload a spreadsheet; it is checked row by row before anything is saved."""
    user = await require_official(request)
    incidents = await incident_choices(get_session(request), include_exercises=True)
    # Opened here so the uploaded file is closed when the page is answered.
    async with request.form():
        return await form_page(
            request,
            "recovery/import.html",
            block="form",
            schema=NeedImport,
            user=user,
            drop_blank=True,
            initial={"incident_id": request.query_params.get("incident_id")},
            context={"incidents": incidents},
            action=lambda session, body, user: service.preview_upload(session, body, actor=user),
            success=lambda job: request.url_for("recovery:import_job", id=job.id),
        )


async def _job_page(request: Request, job_id: int, user) -> dict:
    session = get_session(request)
    job = await service.official_job(session, job_id, actor=user)
    preview = (job.rows or [])[: spreadsheets.PREVIEW_ROWS] if job.status == "ready" else []
    areas = {a.id: a.name for a in await list_areas(session, job.incident_id)} if preview else {}
    return {
        "job": job,
        "incident": await get_incident(session, job.incident_id),
        "processed": service.processed(job),
        "preview": preview,
        "area_names": areas,
        "column_label": spreadsheets.column_label,
    }


async def import_job(request: Request) -> Response:
    """The preview (every error by row and column), then the progress and the result."""
    user = await require_official(request)
    context = await _job_page(request, request.path_params["id"], user)
    return await render(request, "recovery/import_job.html", context, block="status")


async def import_run(request: Request) -> Response:
    """Start the import: in the background for htmx (the page polls), inline without JS."""
    user = await require_official(request)
    session = get_session(request)
    job_id = request.path_params["id"]
    if not request.headers.get("HX-Request"):
        await service.run_now(session, job_id, actor=user)
        return redirect(request, str(request.url_for("recovery:import_job", id=job_id)))
    await service.start(session, job_id, actor=user)
    context = await _job_page(request, job_id, user)
    response = await render(request, "recovery/import_job.html", context, block="status")
    # A background task runs once the response is sent, so after the request's transaction
    # has committed the claim (on SQLite, after it has let go of the write lock).
    database = request.app.state.database
    response.background = BackgroundTask(service.run, database, job_id, user.id)
    return response


async def import_needs(request: Request, user):
    """Check a CSV or XLSX of needs (multipart: `incident_id`, `file`); nothing is written yet.

    The answer lists every problem by row and column; a clean file's job is `ready` to run.
    """
    async with request.form():
        upload, errors = validate(NeedImport, await form_dict(request))
        if upload is None:
            raise InvalidInput(_("Send an incident and a spreadsheet."), fields=errors)
        job = await service.preview_upload(get_session(request), upload, actor=user)
    return service.job_view(job)


async def get_import(request: Request, user):
    """An import job: its problems, or its progress and result."""
    session = get_session(request)
    return service.job_view(
        await service.official_job(session, request.path_params["id"], actor=user)
    )


async def run_import(request: Request, user):
    """Import a checked job's needs: all of them in one transaction, or none."""
    session = get_session(request)
    return service.job_view(await service.run_now(session, request.path_params["id"], actor=user))


routes = [
    Route("/manage/imports/new", import_new, methods=["GET", "POST"], name="import_new"),
    Route("/manage/imports/template.{kind:str}", template, name="import_template"),
    Route("/manage/imports/{id:int}", import_job, name="import_job"),
    Route("/manage/imports/{id:int}/run", import_run, methods=["POST"], name="import_run"),
]
api_routes = [
    api.ApiRoute(
        "/needs/import",
        import_needs,
        methods=["POST"],
        name="needs_import",
        response=ImportJobPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["needs"],
        form=NeedImport,
    ),
    api.ApiRoute(
        "/imports/{id:int}",
        get_import,
        name="import",
        response=ImportJobPublic,
        roles=OFFICIALS,
        tags=["needs"],
    ),
    api.ApiRoute(
        "/imports/{id:int}/run",
        run_import,
        methods=["POST"],
        name="import_run",
        response=ImportJobPublic,
        roles=OFFICIALS,
        tags=["needs"],
        errors=(409,),
    ),
]
