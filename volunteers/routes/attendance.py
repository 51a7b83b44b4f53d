"""The roster of a shift and its attendance: organizers' check-in, check-out and no-show."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.errors import DomainError, Forbidden, NotAuthenticated
from core.forms import form_dict
from core.i18n import _
from core.models import Role, User
from core.types import as_db_id
from core.web import is_fragment_request, redirect, render
from volunteers.models import Attendance
from volunteers.schemas import AttendanceCreate
from volunteers.service import (
    attendance_result,
    browse,
    can_manage,
    check_in,
    check_out,
    get_shift,
    record_attendance,
    roster,
)

ORGANIZERS = (Role.official, Role.ngo)


async def _press(request: Request, user: User, shift_id: int) -> None:
    """One of the roster's buttons, as its form names it."""
    session = get_session(request)
    data = await form_dict(request)
    volunteer_id = as_db_id(data.get("volunteer_id")) or 0
    person = {"user": user, "shift_id": shift_id, "volunteer_id": volunteer_id}
    action = data.get("action")
    if action == "check_in":
        await check_in(session, **person)
    elif action == "check_out":
        await check_out(session, **person)
    elif action == "no_show":
        await record_attendance(session, status=Attendance.no_show, **person)
    else:
        raise DomainError(_("Unknown action."), 400, "bad_action")


async def attendance_page(request: Request) -> Response:
    """The roster's buttons; htmx gets the swapped roster (with the refusal's message, as 422
    so it is swapped and nothing is kept), a plain form goes back to the shift."""
    user = await require(request, *ORGANIZERS)
    shift_id = request.path_params["id"]
    # Refused before the buttons' form is read, whatever it holds.
    if not can_manage(user, await get_shift(get_session(request), shift_id)):
        raise Forbidden(_("Only the organization running this shift may do this."))
    if not is_fragment_request(request):
        await _press(request, user, shift_id)
        return redirect(request, str(request.url_for("volunteers:shift", id=shift_id)))
    message, status_code = None, 200
    try:
        await _press(request, user, shift_id)
    except (NotAuthenticated, Forbidden):
        raise
    except DomainError as exc:
        message, status_code = exc.message, 422
    session = get_session(request)
    shift, public = await browse.one_shift(session, shift_id)
    return await render(
        request,
        "volunteers/shift.html",
        {
            "shift": public,
            "owner": True,
            "roster": await roster(session, user=user, shift=shift),
            "message": message,
            "mine": {},
        },
        status_code=status_code,
        block="roster",
    )


async def roster_api(request: Request, user: User):
    """The shift's volunteers, for its organizers; email and phone only with consent."""
    session = get_session(request)
    shift = await get_shift(session, request.path_params["id"])
    entries = await roster(session, user=user, shift=shift)
    return api.page(entries, len(entries))


async def attendance_api(request: Request, body: AttendanceCreate, user: User):
    """Record a volunteer's check-in and check-out (or a no-show); answers with the hours."""
    session = get_session(request)
    signup = await record_attendance(
        session,
        user=user,
        shift_id=request.path_params["id"],
        volunteer_id=body.volunteer_id,
        status=body.status,
        checked_in_at=body.checked_in_at,
        checked_out_at=body.checked_out_at,
    )
    return await attendance_result(session, signup)
