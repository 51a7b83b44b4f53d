"""Each signed-in role's home page: what that person must do now, gathered from every domain."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.auth import require, user_organization
from core.db import get_session
from core.domain import gather
from core.models import Role
from core.web import render

# Panels in the order a working day reads them: the work itself, then what waits on others.
ORDER = ("recovery", "residents", "donations", "volunteers", "preparedness")


async def my_home(request: Request) -> Response:
    """The page a person lands on after signing in; an organization still waiting for its
    verification sees its account page instead, which says so."""
    user = await require(request, verified=False)
    if user.role in (Role.official, Role.ngo):
        organization = await user_organization(request, user)
        if organization is None or not organization.is_verified():
            return RedirectResponse(request.url_for("accounts:account"), status_code=303)
    panels = await gather("home.panels", get_session(request), user.id)
    ordered = sorted(panels.items(), key=lambda kv: ORDER.index(kv[0]) if kv[0] in ORDER else 99)
    return await render(request, "recovery/my_home.html", {"panels": ordered, "role": user.role})


routes = [Route("/home", my_home, name="my_home")]
