"""Public pages and open-data operations, for anyone without signing in."""

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.db import get_session
from core.web import render
from recovery.models import Incident


async def home(request: Request) -> Response:
    incidents = (
        await get_session(request).scalars(
            select(Incident).order_by(Incident.started_on.desc()).limit(50)
        )
    ).all()
    return await render(request, "recovery/public/home.html", {"incidents": incidents})


routes: list = [Route("/", home, name="home")]
api_routes: list = []
nav: list = []
