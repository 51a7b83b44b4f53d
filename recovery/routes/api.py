"""The recovery domain's /api/v1 operations for incidents, areas and needs (also imported)."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.db import get_session
from core.errors import InvalidInput
from core.i18n import _
from recovery import imports
from recovery.routes.common import api_route as _route
from recovery.routes.common import official
from recovery.schemas import (
    AreaCreate,
    AreaPublic,
    AreaQuery,
    ImportJobPublic,
    IncidentCreate,
    IncidentPublic,
    IncidentQuery,
    IncidentUpdate,
    NeedCreate,
    NeedPublic,
    NeedQuery,
    NeedUpdate,
)
from recovery.service import incidents, needs
from recovery.service.lookup import get_incident, get_need


async def create_incident(request: Request, body: IncidentCreate) -> Response:
    """Open an incident (officials of a verified government organization)."""
    user = await official(request)
    session = get_session(request)
    incident = await incidents.create_incident(session, body, actor=user)
    await session.commit()
    return api.ok(IncidentPublic.model_validate(incident), 201)


async def list_incidents(request: Request, query: IncidentQuery) -> Response:
    """Incidents, most recent first."""
    rows, total = await incidents.list_incidents(
        get_session(request), status=query.status, limit=query.limit, offset=query.offset
    )
    return api.page([IncidentPublic.model_validate(i) for i in rows], total)


async def get_incident_api(request: Request) -> Response:
    """One incident."""
    incident = await get_incident(get_session(request), request.path_params["id"])
    return api.ok(IncidentPublic.model_validate(incident))


async def update_incident(request: Request, body: IncidentUpdate) -> Response:
    """Change an incident's name, dates, description, status or time zone."""
    user = await official(request)
    session = get_session(request)
    incident = await incidents.update_incident(session, request.path_params["id"], body, actor=user)
    await session.commit()
    return api.ok(IncidentPublic.model_validate(incident))


async def create_area(request: Request, body: AreaCreate) -> Response:
    """Add an area; its level follows its parent (county → township → village)."""
    user = await official(request)
    session = get_session(request)
    area = await incidents.create_area(session, body, actor=user)
    await session.commit()
    return api.ok(AreaPublic.model_validate(area), 201)


async def list_areas(request: Request, query: AreaQuery) -> Response:
    """An incident's areas in hierarchy order."""
    session = get_session(request)
    await get_incident(session, query.incident_id)
    ordered = [
        a
        for a, _depth in incidents.area_tree(await incidents.list_areas(session, query.incident_id))
    ]
    page = ordered[query.offset : query.offset + query.limit]
    return api.page([AreaPublic.model_validate(a) for a in page], len(ordered))


async def create_need(request: Request, body: NeedCreate) -> Response:
    """Log a need."""
    user = await official(request)
    session = get_session(request)
    need = await needs.create_need(session, body, actor=user)
    await session.commit()
    return api.ok(NeedPublic.model_validate(need), 201)


async def list_needs(request: Request, query: NeedQuery) -> Response:
    """Needs, most urgent first; filter by incident, area (with sub-areas), category, priority,
    status."""
    rows, total = await needs.list_needs(get_session(request), query)
    return api.page([NeedPublic.model_validate(n) for n, _area in rows], total)


async def get_need_api(request: Request) -> Response:
    """One need with its quantity met and status."""
    need = await get_need(get_session(request), request.path_params["id"])
    return api.ok(NeedPublic.model_validate(need))


async def update_need(request: Request, body: NeedUpdate) -> Response:
    """Edit a need; `status` may close, cancel or reopen it."""
    user = await official(request)
    session = get_session(request)
    need = await needs.update_need(session, request.path_params["id"], body, actor=user)
    await session.commit()
    return api.ok(NeedPublic.model_validate(need))


async def import_needs(request: Request) -> Response:
    """Check a CSV or XLSX of needs (multipart: `incident_id`, `file`); nothing is written yet.

    The answer lists every problem by row and column; a clean file's job is `ready` to run.
    """
    user = await official(request)
    session = get_session(request)
    async with request.form() as form:
        incident_id = str(form.get("incident_id") or "")
        upload = form.get("file")
        fields = {}
        if not incident_id.isdigit():
            fields["incident_id"] = _("required")
        if upload is None or isinstance(upload, str) or not upload.filename:
            fields["file"] = _("Choose a CSV or XLSX file.")
        if fields:
            raise InvalidInput(_("Send an incident and a spreadsheet."), fields=fields)
        job = await imports.preview(
            session,
            incident_id=int(incident_id),
            filename=upload.filename,
            data=await upload.read(),
            actor=user,
        )
    await session.commit()
    return api.ok(ImportJobPublic.model_validate(job), 201)


async def get_import(request: Request) -> Response:
    """An import job: its problems, or its progress and result."""
    await official(request)
    job = await imports.get_job(get_session(request), request.path_params["id"])
    return api.ok(
        ImportJobPublic.model_validate(job).model_copy(
            update={"processed_rows": imports.processed(job)}
        )
    )


async def run_import(request: Request) -> Response:
    """Import a checked job's needs: all of them in one transaction, or none."""
    user = await official(request)
    session = get_session(request)
    job_id = request.path_params["id"]
    await imports.start(session, job_id, actor=user)
    await session.commit()
    await imports.run(request.app.state.database, job_id, user.id)
    job = await imports.get_job(get_session(request), job_id)
    await session.refresh(job)
    return api.ok(ImportJobPublic.model_validate(job))


api_routes = [
    _route(
        "/incidents",
        create_incident,
        "incident_create",
        ["POST"],
        "official",
        "incidents",
        body=IncidentCreate,
        response=IncidentPublic,
        status_code=201,
    ),
    _route(
        "/incidents",
        list_incidents,
        "incidents",
        tag="incidents",
        query=IncidentQuery,
        response=api.Page[IncidentPublic],
    ),
    _route(
        "/incidents/{id:int}",
        get_incident_api,
        "incident",
        tag="incidents",
        response=IncidentPublic,
    ),
    _route(
        "/incidents/{id:int}",
        update_incident,
        "incident_update",
        ["PATCH"],
        "official",
        "incidents",
        body=IncidentUpdate,
        response=IncidentPublic,
    ),
    _route(
        "/areas",
        create_area,
        "area_create",
        ["POST"],
        "official",
        "areas",
        body=AreaCreate,
        response=AreaPublic,
        status_code=201,
    ),
    _route(
        "/areas", list_areas, "areas", tag="areas", query=AreaQuery, response=api.Page[AreaPublic]
    ),
    _route(
        "/needs",
        create_need,
        "need_create",
        ["POST"],
        "official",
        "needs",
        body=NeedCreate,
        response=NeedPublic,
        status_code=201,
    ),
    _route(
        "/needs", list_needs, "needs", tag="needs", query=NeedQuery, response=api.Page[NeedPublic]
    ),
    _route(
        "/needs/import",
        import_needs,
        "needs_import",
        ["POST"],
        "official",
        "needs",
        response=ImportJobPublic,
        status_code=201,
    ),
    _route(
        "/imports/{id:int}",
        get_import,
        "import",
        auth="official",
        tag="needs",
        response=ImportJobPublic,
    ),
    _route(
        "/imports/{id:int}/run",
        run_import,
        "import_run",
        ["POST"],
        "official",
        "needs",
        response=ImportJobPublic,
    ),
    _route("/needs/{id:int}", get_need_api, "need", tag="needs", response=NeedPublic),
    _route(
        "/needs/{id:int}",
        update_need,
        "need_update",
        ["PATCH"],
        "official",
        "needs",
        body=NeedUpdate,
        response=NeedPublic,
    ),
]
