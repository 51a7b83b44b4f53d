"""The volunteer's shifts in a calendar app: the .ics download and the private subscription URL."""

from starlette.requests import Request
from starlette.responses import Response

from core.auth import require
from core.db import get_session
from core.forms import form_dict
from core.i18n import _
from core.models import Role, User
from core.web import redirect
from volunteers.errors import SignupNotFound
from volunteers.service.calendar import calendar_for, calendar_token, user_by_calendar_token


async def _feed(request: Request, user: User) -> bytes:
    return await calendar_for(
        get_session(request),
        user,
        host=request.url.hostname or "localhost",
        shift_url=lambda shift_id: str(request.url_for("volunteers:shift", id=shift_id)),
    )


def _ics(body: bytes, disposition: str, **headers: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": disposition, **headers},
    )


def _feed_url(request: Request, token: str) -> dict[str, str]:
    return {"url": str(request.url_for("api:volunteer_calendar_feed", token=token))}


async def calendar_download(request: Request) -> Response:
    """The volunteer page's "add to a calendar" link: a file to open."""
    user = await require(request, Role.volunteer)
    return _ics(await _feed(request, user), 'attachment; filename="my-shifts.ics"')


async def calendar_link_page(request: Request) -> Response:
    """Make (or replace) the private calendar subscription URL."""
    user = await require(request, Role.volunteer)
    data = await form_dict(request)
    regenerate = data.get("action") == "reset"
    await calendar_token(get_session(request), user, regenerate=regenerate)
    return redirect(request, str(request.url_for("volunteers:me")))


async def my_calendar(request: Request, user: User) -> Response:
    """The volunteer's shifts as an iCalendar feed."""
    body = await _feed(request, user)
    return _ics(body, 'inline; filename="shifts.ics"', **{"Cache-Control": "private"})


async def calendar_feed(request: Request) -> Response:
    """The private subscription feed: the secret token in the URL stands in for signing in."""
    user = await user_by_calendar_token(get_session(request), request.path_params["token"])
    if user is None:
        raise SignupNotFound(_("This calendar link is not valid (it may have been replaced)."))
    body = await _feed(request, user)
    return _ics(body, 'inline; filename="shifts.ics"', **{"Cache-Control": "private"})


async def calendar_link(request: Request, user: User):
    """The private subscription URL of the volunteer's calendar (made on first use)."""
    return _feed_url(request, await calendar_token(get_session(request), user))


async def calendar_reset(request: Request, user: User):
    """Replace the subscription URL; the old one stops working."""
    token = await calendar_token(get_session(request), user, regenerate=True)
    return _feed_url(request, token)
