"""Spreadsheet import pages: template download, upload and preview, the run with progress."""

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.db import get_session
from core.errors import DomainError
from core.i18n import _
from core.web import redirect
from recovery import imports
from recovery.routes.common import incident_choices, int_param, official
from recovery.routes.common import page as render
from recovery.service.lookup import get_incident

TYPES = {
    "csv": ("text/csv; charset=utf-8", imports.template_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        imports.template_xlsx,
    ),
}


async def template(request: Request) -> Response:
    """The empty spreadsheet to fill in, as CSV or XLSX."""
    kind = request.path_params["kind"]
    if kind not in TYPES:
        raise DomainError(_("No such template."), 404, "not_found")
    media_type, build = TYPES[kind]
    return Response(
        build(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="needs-template.{kind}"'},
    )


async def import_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    context = {
        "incidents": await incident_choices(request),
        "form": {"incident_id": int_param(request, "incident_id")},
        "errors": {},
    }
    if request.method == "GET":
        return await render(request, "recovery/import.html", context)
    async with request.form() as form:
        incident_id = str(form.get("incident_id") or "")
        upload = form.get("file")
        context["form"] = {"incident_id": incident_id}
        errors = {}
        if not incident_id.isdigit():
            errors["incident_id"] = _("required")
        if upload is None or isinstance(upload, str) or not upload.filename:
            errors["file"] = _("Choose a CSV or XLSX file.")
        if not errors:
            try:
                job = await imports.preview(
                    session,
                    incident_id=int(incident_id),
                    filename=upload.filename,
                    data=await upload.read(),
                    actor=user,
                )
            except DomainError as exc:
                errors = exc.fields or {"file": exc.message}
    if errors:
        context["errors"] = errors
        return await render(request, "recovery/import.html", context, status_code=422, block="form")
    await session.commit()
    return redirect(request, str(request.url_for("recovery:import_job", id=job.id)))


async def _job_context(request: Request, job_id: int) -> dict:
    session = get_session(request)
    job = await imports.get_job(session, job_id)
    return {
        "job": job,
        "incident": await get_incident(session, job.incident_id),
        "processed": imports.processed(job),
    }


async def import_job(request: Request) -> Response:
    """The preview (every error by row and column), then the progress and the result."""
    await official(request)
    context = await _job_context(request, request.path_params["id"])
    return await render(request, "recovery/import_job.html", context, block="status")


async def import_run(request: Request) -> Response:
    """Start the import: in the background for htmx (the page polls), inline without JS."""
    user = await official(request)
    session = get_session(request)
    job_id = request.path_params["id"]
    await imports.start(session, job_id, actor=user)
    context = await _job_context(request, job_id)
    # Nothing may query after this commit: on SQLite the request's write session would take
    # the write lock again and the import's own transaction would wait for it.
    await session.commit()
    database = request.app.state.database
    if request.headers.get("HX-Request"):
        response = await render(request, "recovery/import_job.html", context, block="status")
        response.background = BackgroundTask(imports.run, database, job_id, user.id)
        return response
    await imports.run(database, job_id, user.id)
    return redirect(request, str(request.url_for("recovery:import_job", id=job_id)))


routes = [
    Route("/manage/imports/new", import_new, methods=["GET", "POST"], name="import_new"),
    Route("/manage/imports/template.{kind:str}", template, name="import_template"),
    Route("/manage/imports/{id:int}", import_job, name="import_job"),
    Route("/manage/imports/{id:int}/run", import_run, methods=["POST"], name="import_run"),
]
