"""Rebuilding projects and their milestones: the list, each project's page with its inline
forms, a new project, and the /api/v1 operations."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api, cache
from core.db import get_session, reads_without_transaction
from core.forms import form_page
from core.models import Role
from core.pages import PAGE_CACHE_SIZE, lane_reading, next_midnight, shared_page
from core.types import to_major, to_minor
from core.web import redirect, render
from recovery.schemas import (
    MilestoneCreate,
    MilestonePublic,
    ProjectCreate,
    ProjectPublic,
    ProjectQuery,
    ProjectUpdate,
    from_query,
)
from recovery.service import incidents as incident_service
from recovery.service import projects as service
from recovery.service.access import (
    can_update_task,
    ensure_can_act,
    require_official,
    viewer_can_act,
    viewer_is_official,
)
from recovery.service.lookup import get_project
from recovery.service.organizations import assignable_organizations

OFFICIALS = (Role.official,)
TEMPLATE = "recovery/project.html"


async def projects_page(request: Request) -> Response:
    session = get_session(request)
    query, _errors = from_query(ProjectQuery, request.query_params, limit=50)
    rows, total = await service.list_projects(session, query)
    context = {
        "rows": rows,
        "total": total,
        "query": query,
        "incidents": await incident_service.incident_choices(session),
        "can_edit": await viewer_is_official(request),
    }
    return await render(request, "recovery/projects.html", context, block="results")


async def project_new(request: Request) -> Response:
    """Create a project; choosing another incident reloads the form with that incident's areas."""
    user = await require_official(request)
    session = get_session(request)
    incidents = await incident_service.incident_choices(session, include_exercises=True)
    currency = request.app.state.settings.currency

    async def context(data: dict) -> dict:
        incident_id = data.get("incident_id") or (incidents[0].id if incidents else None)
        return {
            "form": {"incident_id": incident_id, "currency": currency},
            "incidents": incidents,
            "areas": await incident_service.area_choices(session, incident_id),
            "organizations": await assignable_organizations(session),
        }

    return await form_page(
        request,
        "recovery/project_form.html",
        block="form",
        schema=ProjectCreate,
        user=user,
        drop_blank=True,
        prepare=budget_in_major_units,
        initial=dict(request.query_params),
        context=context,
        action=lambda session, body, user: service.create_project(session, body, actor=user),
        success=lambda project: request.url_for("recovery:project", id=project.id),
    )


def budget_in_major_units(data: dict) -> dict:
    """The budget is typed in yuan like every other money field; the schema keeps minor units."""
    if "budget" not in data:
        return data
    data = dict(data)  # "budget" stays, so a refused form shows back what was typed
    data["budget_minor"] = to_minor(str(data["budget"]), str(data.get("currency") or "CNY"))
    return data


async def project_page_context(
    request: Request, project_id: int, found: service.ProjectPageRows | None = None, **extra
) -> dict:
    """Everything the project page shows; `active` names the form a submission came from.
    `found`: its rows, read already (the signed-out lane reads them without a session)."""
    if found is None:
        found = await service.project_page(get_session(request), project_id)
    project, incident = found.project, found.incident
    tasks = [task for task, _name in found.tasks]
    # Signed out, nobody may act (and the lane has no session to ask with).
    user = request.scope.get("commons.user")
    editable, is_official = set(), False
    if user is not None:
        session = get_session(request)
        editable = {t.id for t in tasks if await can_update_task(session, user, t)}
        is_official = await viewer_can_act(request, incident.id)
    return {
        "project": project,
        "project_values": project._asdict()
        | {"budget": to_major(project.budget_minor, project.currency)},
        "incident": incident,
        "area": found.area,
        "tasks": tasks,
        "names": {
            org_id: name
            for org_id, name in [(project.lead_org_id, found.lead_name)]
            + [(task.responsible_org_id, name) for task, name in found.tasks]
            if name is not None
        },
        "editable": editable,
        "milestones": found.milestones,
        "funds": found.funds,
        "can_edit": is_official,
        "organizations": await assignable_organizations(session) if is_official else [],
        "areas": await incident_service.area_choices(session, incident.id) if is_official else [],
        "today": incident_service.incident_today(incident),
        "history": found.history,
        "active": None,
        **extra,
    }


async def project_block(request: Request, project_id: int, block: str) -> Response:
    """After a change on the project page: the changed block for htmx, else the page again."""
    if not request.headers.get("HX-Request"):
        return redirect(request, str(request.url_for("recovery:project", id=project_id)))
    context = await project_page_context(request, project_id)
    return await render(request, TEMPLATE, context, block=block)


async def project_page(request: Request) -> Response:
    await reads_without_transaction(request)
    session = get_session(request)
    # The platform's versions: the page names organizations and areas beyond the project's.
    versions = await cache.all_versions(session)
    return await _shared_project_page(
        request, versions, lambda: service.project_page(session, request.path_params["id"])
    )


async def _shared_project_page(request: Request, versions: tuple[int, int], rows) -> Response:
    project_id = request.path_params["id"]

    async def build():
        context = await project_page_context(request, project_id, await rows())
        # Milestones turn overdue at the incident's midnight, with no write.
        return context, next_midnight(context["incident"].time_zone)

    return await shared_page(
        request,
        TEMPLATE,
        ("project", project_id),
        build,
        cache_name="projects",
        versions=versions,
        source=None,
        # As for needs: the front keeps the pages shared everywhere; a thousand 6 KiB pages
        # kept here too by each worker would cost it megabytes (issue 11's ≤ 120 MB).
        size=PAGE_CACHE_SIZE,
    )


# A signed-out GET that misses the front takes the lane instead of the whole stack: the
# same page, its rows read on the lane's pooled connection.
project_page.lane = lane_reading(_shared_project_page, service.project_page_on)  # type: ignore[attr-defined]


async def project_form(request: Request, *, block: str, schema, active: str, act, **options):
    """A form on the project page (its edit form, a milestone, a task): `act(session,
    project_id, body, actor=...)` saves it, then the block is redrawn (or the page reloaded)."""
    user = await require_official(request)
    project_id = request.path_params["id"]
    # Refused before the form is read, so another agency's official never gets the form back.
    project = await get_project(get_session(request), project_id)
    await ensure_can_act(get_session(request), user, project.incident_id)
    context = await project_page_context(
        request, project_id, active=active, editing=active == "project"
    )
    return await form_page(
        request,
        TEMPLATE,
        block=block,
        schema=schema,
        user=user,
        drop_blank=True,
        context=context,
        action=lambda session, body, user: act(session, project_id, body, actor=user),
        success=options.pop("success", lambda _saved: project_block(request, project_id, block)),
        **options,
    )


async def project_edit(request: Request) -> Response:
    return await project_form(
        request,
        block="project_edit",
        schema=ProjectUpdate,
        active="project",
        act=service.update_project,
        # A cleared area is sent as blank, and means "no area" rather than "unchanged".
        prepare=lambda data: {"area_id": None} | budget_in_major_units(data),
        success=lambda project: request.url_for("recovery:project", id=project.id),
    )


async def milestone_new(request: Request) -> Response:
    return await project_form(
        request,
        block="milestones",
        schema=MilestoneCreate,
        active="milestone",
        act=service.add_milestone,
    )


async def milestone_reach(request: Request) -> Response:
    """Mark a milestone reached today (in the incident's calendar), or not reached after all."""
    user = await require_official(request)
    reached = (await request.form()).get("reached", "1") == "1"
    milestone = await service.reach_milestone(
        get_session(request), request.path_params["id"], actor=user, reached=reached
    )
    return await project_block(request, milestone.project_id, "milestones")


async def create_project(request: Request, body: ProjectCreate, user):
    """Create a rebuilding project, optionally with milestones."""
    session = get_session(request)
    project = await service.create_project(session, body, actor=user)
    return await service.project_view(session, project)


async def list_projects(request: Request, query: ProjectQuery):
    """Projects with their rolled-up progress."""
    session = get_session(request)
    rows, total = await service.list_projects(session, query)
    return api.page([await service.project_view(session, p) for p, _name in rows], total)


async def get_project_api(request: Request):
    """A project with its milestones, tasks and `progress` rolled up from the tasks."""
    session = get_session(request)
    project = await get_project(session, request.path_params["id"])
    return await service.project_view(session, project)


async def update_project(request: Request, body: ProjectUpdate, user):
    """Correct a project's title, area, lead organization, budget or dates."""
    session = get_session(request)
    project = await service.update_project(session, request.path_params["id"], body, actor=user)
    return await service.project_view(session, project)


async def create_milestone(request: Request, body: MilestoneCreate, user):
    """Add a milestone to a project."""
    return await service.add_milestone(
        get_session(request), request.path_params["id"], body, actor=user
    )


routes = [
    Route("/projects", projects_page, name="projects"),
    Route("/manage/projects/new", project_new, methods=["GET", "POST"], name="project_new"),
    Route("/projects/{id:int}", project_page, name="project"),
    Route("/projects/{id:int}/edit", project_edit, methods=["POST"], name="project_edit"),
    Route("/projects/{id:int}/milestones", milestone_new, methods=["POST"], name="milestone_new"),
    Route("/milestones/{id:int}/reach", milestone_reach, methods=["POST"], name="milestone_reach"),
]
api_routes = [
    api.ApiRoute(
        "/projects",
        create_project,
        methods=["POST"],
        name="project_create",
        body=ProjectCreate,
        response=ProjectPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["projects"],
    ),
    api.ApiRoute(
        "/projects",
        list_projects,
        name="projects",
        query=ProjectQuery,
        response=api.Page[ProjectPublic],
        tags=["projects"],
    ),
    api.ApiRoute(
        "/projects/{id:int}",
        get_project_api,
        name="project",
        response=ProjectPublic,
        tags=["projects"],
    ),
    api.ApiRoute(
        "/projects/{id:int}",
        update_project,
        methods=["PATCH"],
        name="project_update",
        body=ProjectUpdate,
        response=ProjectPublic,
        roles=OFFICIALS,
        tags=["projects"],
    ),
    api.ApiRoute(
        "/projects/{id:int}/milestones",
        create_milestone,
        methods=["POST"],
        name="milestone_create",
        body=MilestoneCreate,
        response=MilestonePublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["projects"],
    ),
]
