"""Helpers the volunteers pages share: redirects, refused actions, local times."""

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from core.web import redirect


async def rollback_refused(request: Request, session, user) -> None:
    """Undo a refused action but keep the signed-in user loaded for rendering the answer."""
    await session.rollback()
    await session.refresh(user)
    org = request.scope.get("commons.organization")
    if org is not None:
        await session.refresh(org)


def go_back(request: Request, name: str, **params) -> Response:
    return redirect(request, str(request.url_for(name, **params)))


def local_time(request: Request, value: str | None) -> datetime | str | None:
    """A datetime-local field is the deployment's local time; make it an aware datetime."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value  # left for the model to reject with a field message
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(request.app.state.settings.time_zone))


def input_time(request: Request, value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(request.app.state.settings.time_zone)
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
