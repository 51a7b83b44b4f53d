"""Signing up for a shift and giving the place up: the one-click button (htmx) and the API."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.errors import DomainError, Forbidden, NotAuthenticated
from core.models import Role, User
from core.web import is_fragment_request, redirect, render
from volunteers.schemas import SignupResult
from volunteers.service import browse, cancel_signup, sign_up, signup_list, statuses_for

Change = Callable[..., Awaitable[object]]


async def _button(request: Request, change: Change) -> Response:
    """Make the change; htmx gets the swapped button (with the refusal's message, as 422 so it
    is swapped and nothing is kept), a plain form goes back to the shift."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    shift_id = request.path_params["id"]
    if not is_fragment_request(request):
        await change(session, user=user, shift_id=shift_id)
        return redirect(request, str(request.url_for("volunteers:shift", id=shift_id)))
    message, status_code = None, 200
    try:
        await change(session, user=user, shift_id=shift_id)
    except (NotAuthenticated, Forbidden):
        raise
    except DomainError as exc:
        message, status_code = exc.message, 422
    _shift, public = await browse.one_shift(session, shift_id)
    return await render(
        request,
        "volunteers/shift.html",
        {
            "shift": public,
            "mine": await statuses_for(session, user.id, [shift_id]),
            "message": message,
        },
        status_code=status_code,
        block="signup",
    )


async def sign_up_page(request: Request) -> Response:
    return await _button(request, sign_up)


async def cancel_signup_page(request: Request) -> Response:
    return await _button(request, cancel_signup)


async def sign_up_api(request: Request, user: User):
    """Sign up: confirmed while places are free, else waitlisted in arrival order."""
    signup, position = await sign_up(
        get_session(request), user=user, shift_id=request.path_params["id"]
    )
    return SignupResult(shift_id=signup.shift_id, status=signup.status, waitlist_position=position)


async def cancel_signup_api(request: Request, user: User):
    """Cancel the volunteer's sign-up; the first on the waitlist takes a freed place."""
    return await cancel_signup(get_session(request), user=user, shift_id=request.path_params["id"])


async def my_signups(request: Request, user: User):
    """The volunteer's current and past sign-ups, with hours."""
    items = await signup_list(get_session(request), user)
    return api.page(items, len(items))
