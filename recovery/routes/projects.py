"""Project and task pages: projects with milestones and tasks, task updates by whoever is
responsible, inline row editing with htmx."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import audit
from core.auth import current_user, require
from core.db import get_session
from core.domain import gather
from core.errors import DomainError
from core.forms import validate
from core.web import redirect
from recovery.routes.common import (
    form_data,
    incident_choices,
    int_param,
    official,
    viewer_is_official,
)
from recovery.routes.common import page as render
from recovery.schemas import (
    MilestoneCreate,
    ProjectCreate,
    ProjectQuery,
    ProjectUpdate,
    TaskCreate,
    TaskUpdate,
)
from recovery.service import incidents as incident_service
from recovery.service import projects as service
from recovery.service.access import can_update_task
from recovery.service.lookup import get_area, get_incident, get_project, get_task


async def projects_page(request: Request) -> Response:
    session = get_session(request)
    query = ProjectQuery(
        incident_id=int_param(request, "incident_id"),
        offset=int_param(request, "offset") or 0,
        limit=50,
    )
    rows, total = await service.list_projects(session, query)
    context = {
        "rows": rows,
        "total": total,
        "query": query,
        "incidents": await incident_choices(request),
        "can_edit": await viewer_is_official(request),
    }
    return await render(request, "recovery/projects.html", context, block="results")


async def project_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    incidents = await incident_choices(request)
    data = await form_data(request) if request.method == "POST" else dict(request.query_params)
    incident_id = data.get("incident_id") or (incidents[0].id if incidents else None)
    areas = []
    if incident_id and str(incident_id).isdigit():
        areas = incident_service.area_tree(
            await incident_service.list_areas(session, int(incident_id))
        )
    settings = request.app.state.settings
    context = {
        "form": {"incident_id": incident_id, "currency": settings.currency, **data},
        "errors": {},
        "incidents": incidents,
        "areas": areas,
        "organizations": await service.assignable_organizations(session),
    }
    if request.method == "GET":
        return await render(request, "recovery/project_form.html", context)
    body, errors = validate(ProjectCreate, data)
    if body is not None:
        try:
            project = await service.create_project(session, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"form": exc.message}
    if errors:
        context["errors"] = errors
        return await render(
            request, "recovery/project_form.html", context, status_code=422, block="form"
        )
    await session.commit()
    return redirect(request, str(request.url_for("recovery:project", id=project.id)))


async def _project_context(request: Request, project_id: int) -> dict:
    session = get_session(request)
    project = await get_project(session, project_id)
    incident = await get_incident(session, project.incident_id)
    tasks = await service.project_tasks(session, project.id)
    user = await current_user(request)
    names = await service.organization_names(
        session, {project.lead_org_id, *(t.responsible_org_id for t in tasks)}
    )
    is_official = await viewer_is_official(request)
    return {
        "project": project,
        "incident": incident,
        "area": await get_area(session, project.area_id) if project.area_id else None,
        "tasks": tasks,
        "names": names,
        "editable": {t.id for t in tasks if await can_update_task(session, user, t)},
        "milestones": await service.list_milestones(session, project.id),
        "funds": await gather("project.funds", session, project.id),
        "can_edit": is_official,
        "organizations": await service.assignable_organizations(session) if is_official else [],
        "areas": incident_service.area_tree(await incident_service.list_areas(session, incident.id))
        if is_official
        else [],
        "today": incident_service.incident_today(incident),
        "history": await audit.history(session, "projects", project.id),
        "project_form": project.model_dump(),
        "project_errors": {},
        "task_form": {},
        "task_errors": {},
        "milestone_form": {},
        "milestone_errors": {},
    }


async def project_page(request: Request) -> Response:
    context = await _project_context(request, request.path_params["id"])
    return await render(request, "recovery/project.html", context)


async def project_edit(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    project_id = request.path_params["id"]
    data = await form_data(request)
    data.setdefault("area_id", None)
    body, errors = validate(ProjectUpdate, data)
    if body is not None:
        try:
            await service.update_project(session, project_id, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    if errors:
        context = await _project_context(request, project_id)
        context.update(project_form=data, project_errors=errors, editing=True)
        return await render(
            request, "recovery/project.html", context, status_code=422, block="project_edit"
        )
    await session.commit()
    return redirect(request, str(request.url_for("recovery:project", id=project_id)))


async def task_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    project_id = request.path_params["id"]
    data = await form_data(request)
    body, errors = validate(TaskCreate, data)
    if body is not None:
        try:
            await service.create_task(session, project_id, body, actor=user)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    if errors:
        context = await _project_context(request, project_id)
        context.update(task_form=data, task_errors=errors)
        return await render(
            request, "recovery/project.html", context, status_code=422, block="tasks"
        )
    await session.commit()
    if request.headers.get("HX-Request"):
        context = await _project_context(request, project_id)
        return await render(request, "recovery/project.html", context, block="tasks")
    return redirect(request, str(request.url_for("recovery:project", id=project_id)))


async def milestone_new(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    project_id = request.path_params["id"]
    data = await form_data(request)
    body, errors = validate(MilestoneCreate, data)
    if body is not None:
        await service.add_milestone(session, project_id, body, actor=user)
        await session.commit()
        if not request.headers.get("HX-Request"):
            return redirect(request, str(request.url_for("recovery:project", id=project_id)))
    context = await _project_context(request, project_id)
    if errors:
        context.update(milestone_form=data, milestone_errors=errors)
    return await render(
        request,
        "recovery/project.html",
        context,
        status_code=422 if errors else 200,
        block="milestones",
    )


async def milestone_reach(request: Request) -> Response:
    user = await official(request)
    session = get_session(request)
    reached = (await form_data(request)).get("reached", "1") == "1"
    milestone = await service.reach_milestone(
        session, request.path_params["id"], actor=user, reached=reached
    )
    await session.commit()
    if request.headers.get("HX-Request"):
        context = await _project_context(request, milestone.project_id)
        return await render(request, "recovery/project.html", context, block="milestones")
    return redirect(request, str(request.url_for("recovery:project", id=milestone.project_id)))


async def _task_context(request: Request, task_id: int) -> dict:
    session = get_session(request)
    task = await get_task(session, task_id)
    project = await get_project(session, task.project_id)
    incident = await get_incident(session, project.incident_id)
    user = await current_user(request)
    is_official = await viewer_is_official(request)
    history = await audit.history(session, "tasks", task.id)
    # Reassignments show the organizations' names in the history, not their numbers.
    org_ids = {task.responsible_org_id} | {
        side.get("responsible_org_id")
        for entry, _name in history
        for side in (entry.before or {}, entry.after or {})
        if side.get("responsible_org_id")
    }
    names = await service.organization_names(session, org_ids)
    return {
        "task": task,
        "project": project,
        "incident": incident,
        "names": names,
        "org_names": names,
        "history": history,
        "can_update": await can_update_task(session, user, task),
        "can_edit": is_official,
        "organizations": await service.assignable_organizations(session) if is_official else [],
        "today": incident_service.incident_today(incident),
        "form": task.model_dump(),
        "errors": {},
    }


async def task_page(request: Request) -> Response:
    """A task's page; POST updates it (the row on the project page, or the page's form)."""
    task_id = request.path_params["id"]
    if request.method == "GET":
        context = await _task_context(request, task_id)
        if request.query_params.get("fragment") == "row":
            context["editing"] = request.query_params.get("edit") == "1"
            return await render(request, "recovery/_task_row.html", context)
        return await render(request, "recovery/task.html", context)
    user = await require(request)
    session = get_session(request)
    data = await form_data(request)
    fragment = data.pop("fragment", None)
    if not await viewer_is_official(request):
        data = {k: v for k, v in data.items() if k in ("status", "progress", "blocked_reason")}
    data.setdefault("blocked_reason", None)
    body, errors = validate(TaskUpdate, data)
    if body is not None:
        try:
            await service.update_task(session, task_id, body, actor=user)
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            errors = exc.fields or {"status": exc.message}
    if errors:
        context = await _task_context(request, task_id)
        context.update(form={**context["form"], **data}, errors=errors, editing=True)
        if fragment == "row":
            return await render(request, "recovery/_task_row.html", context, status_code=422)
        return await render(request, "recovery/task.html", context, status_code=422, block="task")
    await session.commit()
    context = await _task_context(request, task_id)
    if fragment == "row" and request.headers.get("HX-Request"):
        return await render(request, "recovery/_task_row.html", context)
    if request.headers.get("HX-Request"):
        context["saved"] = True
        return await render(request, "recovery/task.html", context, block="task")
    return redirect(request, str(request.url_for("recovery:task", id=task_id)))


routes = [
    Route("/projects", projects_page, name="projects"),
    Route("/manage/projects/new", project_new, methods=["GET", "POST"], name="project_new"),
    Route("/projects/{id:int}", project_page, name="project"),
    Route("/projects/{id:int}/edit", project_edit, methods=["POST"], name="project_edit"),
    Route("/projects/{id:int}/tasks", task_new, methods=["POST"], name="task_new"),
    Route(
        "/projects/{id:int}/milestones",
        milestone_new,
        methods=["POST"],
        name="milestone_new",
    ),
    Route(
        "/milestones/{id:int}/reach",
        milestone_reach,
        methods=["POST"],
        name="milestone_reach",
    ),
    Route("/tasks/{id:int}", task_page, methods=["GET", "POST"], name="task"),
]
