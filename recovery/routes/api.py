"""The recovery domain's /api/v1 operations: incidents, areas, needs, projects, tasks, reports."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.errors import InvalidInput
from core.i18n import _
from recovery import imports
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
    MilestoneCreate,
    MilestonePublic,
    NeedCreate,
    NeedPublic,
    NeedQuery,
    NeedUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectQuery,
    ReportCreate,
    ReportPublic,
    ReportQuery,
    ReportUpdate,
    SupervisionBoard,
    SupervisionQuery,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
)
from recovery.service import incidents, needs, projects, reports, supervision
from recovery.service.lookup import get_incident, get_need, get_project, get_task


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


async def create_project(request: Request, body: ProjectCreate) -> Response:
    """Create a rebuilding project, optionally with milestones."""
    user = await official(request)
    session = get_session(request)
    project = await projects.create_project(session, body, actor=user)
    await session.commit()
    return api.ok(await projects.project_public(session, project), 201)


async def list_projects(request: Request, query: ProjectQuery) -> Response:
    """Projects with their rolled-up progress."""
    session = get_session(request)
    rows, total = await projects.list_projects(session, query)
    return api.page([await projects.project_public(session, p) for p, _name in rows], total)


async def get_project_api(request: Request) -> Response:
    """A project with its milestones, tasks and `progress` rolled up from the tasks."""
    session = get_session(request)
    project = await get_project(session, request.path_params["id"])
    return api.ok(await projects.project_public(session, project))


async def create_milestone(request: Request, body: MilestoneCreate) -> Response:
    """Add a milestone to a project."""
    user = await official(request)
    session = get_session(request)
    milestone = await projects.add_milestone(session, request.path_params["id"], body, actor=user)
    await session.commit()
    return api.ok(MilestonePublic.model_validate(milestone), 201)


async def create_task(request: Request, body: TaskCreate) -> Response:
    """Add a task with exactly one responsible organization."""
    user = await official(request)
    session = get_session(request)
    task = await projects.create_task(session, request.path_params["id"], body, actor=user)
    await session.commit()
    names = await projects.organization_names(session, {task.responsible_org_id})
    return api.ok(projects.task_public(task, names), 201)


async def get_task_api(request: Request) -> Response:
    """One task."""
    session = get_session(request)
    task = await get_task(session, request.path_params["id"])
    names = await projects.organization_names(session, {task.responsible_org_id})
    return api.ok(projects.task_public(task, names))


async def update_task(request: Request, body: TaskUpdate) -> Response:
    """Update a task's status and progress (officials, or the responsible organization)."""
    user = await require(request)
    session = get_session(request)
    task = await projects.update_task(session, request.path_params["id"], body, actor=user)
    await session.commit()
    names = await projects.organization_names(session, {task.responsible_org_id})
    return api.ok(projects.task_public(task, names))


async def supervision_board(request: Request, query: SupervisionQuery) -> Response:
    """Overdue, at-risk and blocked work by responsible organization, with counts."""
    await official(request)
    return api.ok(await supervision.board(get_session(request), query.incident_id))


async def create_report(request: Request, body: ReportCreate) -> Response:
    """Write a draft progress report."""
    user = await official(request)
    session = get_session(request)
    report = await reports.create_report(session, body, actor=user)
    await session.commit()
    return api.ok(reports.report_public(report), 201)


async def list_reports(request: Request, query: ReportQuery) -> Response:
    """Published reports (officials also see drafts)."""
    user = await current_user(request)
    rows, total = await reports.list_reports(get_session(request), query, user=user)
    return api.page([reports.report_public(r) for r in rows], total)


async def get_report_api(request: Request) -> Response:
    """A published report, or a draft for officials."""
    user = await current_user(request)
    report = await reports.get_visible_report(get_session(request), request.path_params["id"], user)
    return api.ok(reports.report_public(report))


async def update_report(request: Request, body: ReportUpdate) -> Response:
    """Edit a draft report."""
    user = await official(request)
    session = get_session(request)
    report = await reports.update_report(session, request.path_params["id"], body, actor=user)
    await session.commit()
    return api.ok(reports.report_public(report))


async def publish_report(request: Request) -> Response:
    """Publish a report, freezing a snapshot of the incident's figures into it."""
    user = await official(request)
    session = get_session(request)
    report = await reports.publish_report(session, request.path_params["id"], actor=user)
    await session.commit()
    return api.ok(reports.report_public(report))


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


def _route(path, handler, name, methods=("GET",), auth="public", tag="recovery", **kw):
    return api.ApiRoute(path, handler, methods=methods, name=name, auth=auth, tags=[tag], **kw)


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
    _route(
        "/projects",
        create_project,
        "project_create",
        ["POST"],
        "official",
        "projects",
        body=ProjectCreate,
        response=ProjectPublic,
        status_code=201,
    ),
    _route(
        "/projects",
        list_projects,
        "projects",
        tag="projects",
        query=ProjectQuery,
        response=api.Page[ProjectPublic],
    ),
    _route(
        "/projects/{id:int}", get_project_api, "project", tag="projects", response=ProjectPublic
    ),
    _route(
        "/projects/{id:int}/milestones",
        create_milestone,
        "milestone_create",
        ["POST"],
        "official",
        "projects",
        body=MilestoneCreate,
        response=MilestonePublic,
        status_code=201,
    ),
    _route(
        "/projects/{id:int}/tasks",
        create_task,
        "task_create",
        ["POST"],
        "official",
        "projects",
        body=TaskCreate,
        response=TaskPublic,
        status_code=201,
    ),
    _route("/tasks/{id:int}", get_task_api, "task", tag="projects", response=TaskPublic),
    _route(
        "/tasks/{id:int}",
        update_task,
        "task_update",
        ["PATCH"],
        "official or responsible org",
        "projects",
        body=TaskUpdate,
        response=TaskPublic,
    ),
    _route(
        "/supervision",
        supervision_board,
        "supervision",
        auth="official",
        tag="supervision",
        query=SupervisionQuery,
        response=SupervisionBoard,
    ),
    _route(
        "/reports",
        create_report,
        "report_create",
        ["POST"],
        "official",
        "reports",
        body=ReportCreate,
        response=ReportPublic,
        status_code=201,
    ),
    _route(
        "/reports",
        list_reports,
        "reports",
        tag="reports",
        query=ReportQuery,
        response=api.Page[ReportPublic],
    ),
    _route("/reports/{id:int}", get_report_api, "report", tag="reports", response=ReportPublic),
    _route(
        "/reports/{id:int}",
        update_report,
        "report_update",
        ["PATCH"],
        "official",
        "reports",
        body=ReportUpdate,
        response=ReportPublic,
    ),
    _route(
        "/reports/{id:int}/publish",
        publish_report,
        "report_publish",
        ["POST"],
        "official",
        "reports",
        response=ReportPublic,
    ),
]
