"""Tasks: each task's page and its row on the project page, updated by officials or by the
responsible organization, adding a task, and the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api, audit
from core.auth import current_user, require, user_organization
from core.db import get_session
from core.forms import form_page
from core.models import Role
from core.web import render
from recovery.routes.projects import project_form
from recovery.schemas import TaskCreate, TaskPublic, TaskUpdate
from recovery.service import tasks as service
from recovery.service.access import can_act, can_update_task, viewer_can_act
from recovery.service.incidents import incident_today
from recovery.service.lookup import get_incident, get_project, get_task
from recovery.service.organizations import assignable_organizations, organization_names

ROW = "recovery/_task_row.html"
PAGE = "recovery/task.html"
# What the responsible organization may change; the rest of a task is the officials'.
STATUS_FIELDS = ("status", "progress", "blocked_reason")


async def _task_page(request: Request, **extra) -> dict:
    session = get_session(request)
    task = await get_task(session, request.path_params["id"])
    project = await get_project(session, task.project_id)
    incident = await get_incident(session, project.incident_id)
    user = await current_user(request)
    official = await viewer_can_act(request, incident.id)
    history = await audit.history(session, "tasks", task.id)
    # Reassignments show the organizations' names in the history, not their numbers.
    org_ids = {task.responsible_org_id} | {
        side.get("responsible_org_id")
        for entry, _name in history
        for side in (entry.before or {}, entry.after or {})
        if side.get("responsible_org_id")
    }
    names = await organization_names(session, org_ids)
    return {
        "task": task,
        "project": project,
        "incident": incident,
        "names": names,
        "org_names": names,
        "history": history,
        "can_update": await can_update_task(session, user, task),
        "can_edit": official,
        "organizations": await assignable_organizations(session) if official else [],
        "today": incident_today(incident),
        "form": task.model_dump(),
        "errors": {},
        **extra,
    }


async def task_page(request: Request) -> Response:
    """A task's page, or its row of the project page (`?fragment=row`, `&edit=1` to edit)."""
    if request.query_params.get("fragment") == "row":
        context = await _task_page(request, editing=request.query_params.get("edit") == "1")
        return await render(request, ROW, context)
    return await render(request, PAGE, await _task_page(request))


async def task_update(request: Request) -> Response:
    """Save a task's update from its page or from its row on the project page."""
    user = await require(request)
    row = (await request.form()).get("fragment") == "row"
    session = get_session(request)
    task = await get_task(session, request.path_params["id"])
    project = await get_project(session, task.project_id)
    official = await can_act(session, user, project.incident_id)

    def allowed(data: dict) -> dict:
        data.pop("fragment", None)
        if not official:
            data = {key: value for key, value in data.items() if key in STATUS_FIELDS}
        return {"blocked_reason": None} | data

    async def saved(task) -> Response | str:
        hx = bool(request.headers.get("HX-Request"))
        if not hx:
            return str(request.url_for("recovery:task", id=task.id))
        if row:
            return await render(request, ROW, await _task_page(request))
        return await render(request, PAGE, await _task_page(request, saved=True), block="task")

    return await form_page(
        request,
        ROW if row else PAGE,
        block="row" if row else "task",
        schema=TaskUpdate,
        user=user,
        drop_blank=True,
        prepare=allowed,
        context=await _task_page(request, editing=True),
        action=lambda session, body, user: service.update_task(
            session, request.path_params["id"], body, actor=user
        ),
        success=saved,
    )


async def task_new(request: Request) -> Response:
    """Add a task to the project; under htmx the task table is redrawn in place."""
    return await project_form(
        request, block="tasks", schema=TaskCreate, active="task", act=service.create_task
    )


async def create_task(request: Request, body: TaskCreate, user):
    """Add a task with exactly one responsible organization."""
    session = get_session(request)
    task = await service.create_task(session, request.path_params["id"], body, actor=user)
    return await service.task_details(session, task)


async def get_task_api(request: Request):
    """One task."""
    session = get_session(request)
    return await service.task_details(session, await get_task(session, request.path_params["id"]))


async def update_task(request: Request, body: TaskUpdate, user):
    """Update a task's status and progress (officials, or the responsible organization)."""
    session = get_session(request)
    task = await service.update_task(session, request.path_params["id"], body, actor=user)
    return await service.task_details(session, task)


async def our_tasks(request: Request) -> Response:
    """Every task the signed-in member's organization is responsible for, overdue first."""
    user = await require(request, Role.ngo, Role.official)
    organization = await user_organization(request, user)
    items = await service.organization_tasks(get_session(request), organization.id)
    return await render(
        request, "recovery/our_tasks.html", {"organization": organization, "items": items}
    )


routes = [
    Route("/tasks/ours", our_tasks, name="our_tasks"),
    Route("/tasks/{id:int}", task_page, name="task"),
    Route("/tasks/{id:int}", task_update, methods=["POST"], name="task_update"),
    Route("/projects/{id:int}/tasks", task_new, methods=["POST"], name="task_new"),
]
api_routes = [
    api.ApiRoute(
        "/projects/{id:int}/tasks",
        create_task,
        methods=["POST"],
        name="task_create",
        body=TaskCreate,
        response=TaskPublic,
        status_code=201,
        roles=(Role.official,),
        tags=["projects"],
    ),
    api.ApiRoute(
        "/tasks/{id:int}", get_task_api, name="task", response=TaskPublic, tags=["projects"]
    ),
    api.ApiRoute(
        "/tasks/{id:int}",
        update_task,
        methods=["PATCH"],
        name="task_update",
        body=TaskUpdate,
        response=TaskPublic,
        roles=(),
        tags=["projects"],
    ),
]
