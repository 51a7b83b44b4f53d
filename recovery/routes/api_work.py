"""The recovery domain's /api/v1 operations for rebuilding work: projects, milestones, tasks,
the supervision board and progress reports."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from recovery.routes.common import api_route as _route
from recovery.routes.common import official
from recovery.schemas import (
    MilestoneCreate,
    MilestonePublic,
    ProjectCreate,
    ProjectPublic,
    ProjectQuery,
    ProjectUpdate,
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
from recovery.service import projects, reports, supervision
from recovery.service.lookup import get_project, get_task


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


async def update_project(request: Request, body: ProjectUpdate) -> Response:
    """Correct a project's title, area, lead organization, budget or dates."""
    user = await official(request)
    session = get_session(request)
    project = await projects.update_project(session, request.path_params["id"], body, actor=user)
    await session.commit()
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


api_routes = [
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
        "/projects/{id:int}",
        update_project,
        "project_update",
        ["PATCH"],
        "official",
        "projects",
        body=ProjectUpdate,
        response=ProjectPublic,
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
