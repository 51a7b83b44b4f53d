"""Emergency plans: written by officials, activated for an incident at a response level."""

from starlette.requests import Request

from core import api
from core.db import get_session
from core.models import User
from preparedness.schemas import Activate, PlanCreate
from preparedness.service import after_action, plans


async def create_api(request: Request, body: PlanCreate, user: User):
    """Write a plan: for each level (I most severe to IV), the tasks to start."""
    session = get_session(request)
    plan = await plans.create_plan(session, body, actor=user)
    return api.Answer(await plans.plan_view(session, plan.id), status_code=201)


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
    late. Meant for a drill once it closes; it reads any incident."""
    return await after_action(get_session(request), request.path_params["id"], actor=user)
