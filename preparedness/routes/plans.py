"""Emergency plans: written by officials, activated for an incident at a response level."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.errors import InvalidInput
from core.forms import form_page
from core.models import Role, User
from core.web import render
from preparedness.schemas import PLAN_FORM_ROWS, Activate, PlanCreate, PlanForm
from preparedness.service import after_action, plans
from recovery.service import ensure_can_act


async def create_api(request: Request, body: PlanCreate, user: User):
    """Write a plan: for each level (I most severe to IV), the tasks to start."""
    session = get_session(request)
    plan = await plans.create_plan(session, body, actor=user)
    return api.Answer(await plans.plan_view(session, plan.id), status_code=201)


async def list_api(request: Request, query: api.Pagination, user: User):
    """The emergency plans, newest first, for officials (as the /plans page lists them)."""
    session = get_session(request)
    rows = await plans.list_plans(session, limit=query.limit, offset=query.offset)
    items = [
        {
            "id": row["plan"].id,
            "name": row["plan"].name,
            "incident_type": row["plan"].incident_type,
            "organization_id": row["plan"].organization_id,
            "created_at": row["plan"].created_at,
            "levels": row["levels"],
            "tasks": row["tasks"],
            "activations": row["activations"],
        }
        for row in rows
    ]
    return api.page(items, await plans.count_plans(session))


async def view_api(request: Request, user: User):
    """A plan with its levels and its history of activations."""
    return await plans.plan_view(get_session(request), request.path_params["id"])


async def activate_api(request: Request, body: Activate, user: User):
    """Activate a plan at a level: the project and tasks it created."""
    activation = await plans.activate(
        get_session(request), request.path_params["id"], body, actor=user
    )
    return api.Answer(activation, status_code=201)


async def after_action_api(request: Request, user: User):
    """Per organization: hours from request to acceptance, check-in and completion; what was
    late. Meant for a drill once it closes; for the officials acting on the incident."""
    return await after_action(get_session(request), request.path_params["id"], actor=user)


async def plans_page(request: Request) -> Response:
    """The officials' list of emergency plans."""
    await require(request, Role.official)
    return await render(
        request, "preparedness/plans.html", {"plans": await plans.list_plans(get_session(request))}
    )


def _rows(data: dict) -> dict:
    """The form's numbered task rows as a list, blank rows left out, so a message for
    `rows.N.field` lands on the row shown N-th when the form comes back."""
    rows = []
    for i in range(PLAN_FORM_ROWS):
        row = {key: data.get(f"rows.{i}.{key}") for key in plans.ROW_FIELDS}
        if any(value is not None for key, value in row.items() if key != "level"):
            rows.append(row)
    return {"name": data.get("name"), "incident_type": data.get("incident_type"), "rows": rows}


async def plan_new(request: Request) -> Response:
    """Write a plan: its name, the type of incident, and up to eight task rows by level."""
    user = await require(request, Role.official)

    async def save(session, body: PlanForm, user):
        try:
            return await plans.create_plan(session, body.plan(), actor=user)
        except InvalidInput as exc:
            exc.fields = {body.row_field(name): text for name, text in exc.fields.items()}
            raise

    return await form_page(
        request,
        "preparedness/plan_form.html",
        block="form",
        schema=PlanForm,
        user=user,
        prepare=_rows,
        initial={"rows": []},
        context={
            "organizations": await plans.organization_options(get_session(request)),
            "row_count": PLAN_FORM_ROWS,
            "level_options": plans.level_options(),
        },
        action=save,
        success=lambda plan: request.url_for("preparedness:plan", id=plan.id),
    )


async def plan_page(request: Request) -> Response:
    """A plan's tasks by level, its history of activations, and where it can be activated."""
    user = await require(request, Role.official)
    view = await plans.plan_detail(get_session(request), request.path_params["id"], viewer=user)
    return await render(request, "preparedness/plan.html", view)


async def activate_page(request: Request) -> Response:
    """An incident's plans: what was activated at which level, and the form that activates
    a plan at a level (the tasks start as a project; the page then shows that project)."""
    user = await require(request, Role.official)
    session = get_session(request)
    # Checked before the form is read: another agency's official learns nothing of it.
    incident = await ensure_can_act(session, user, request.path_params["id"])
    return await form_page(
        request,
        "preparedness/incident_plans.html",
        block="activate",
        schema=Activate,
        user=user,
        initial={"plan_id": request.query_params.get("plan_id")},
        context={
            "incident": incident,
            "activations": await plans.incident_activations(session, incident.id),
            "plan_options": [
                (p["plan"].id, p["plan"].name) for p in await plans.list_plans(session)
            ],
            "level_options": plans.level_options(),
        },
        action=lambda session, body, user: plans.activate(session, incident.id, body, actor=user),
        success=lambda activation: request.url_for("recovery:project", id=activation.project_id),
    )
