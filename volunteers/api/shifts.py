"""API operations on shifts: create, list, change, cancel, sign up, roster and attendance."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.models import Role
from volunteers import present, service
from volunteers.schemas import (
    AttendanceCreate,
    AttendanceResult,
    ShiftCreate,
    ShiftQuery,
    ShiftUpdate,
    SignupResult,
)

ORGANIZERS = (Role.official, Role.ngo)


async def create_shift(request: Request, body: ShiftCreate) -> Response:
    """Create a shift for an incident (officials and verified NGOs)."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.create_shift(session, user=user, data=body)
    _shift, public = await present.one_shift(session, shift.id)
    await session.commit()
    return api.ok(public, status_code=201)


async def list_shifts(request: Request, query: ShiftQuery) -> Response:
    """Open shifts, filtered by incident, area, skill and dates; `recommended` ranks them for
    the signed-in volunteer (skills, distance, availability)."""
    user = await current_user(request)
    since, until = present.day_bounds(
        request.app.state.settings.time_zone, query.date_from, query.date_to
    )
    items, total = await present.browse(
        get_session(request),
        user,
        recommended=query.recommended,
        limit=query.limit,
        offset=query.offset,
        incident_id=query.incident_id,
        area_id=query.area_id,
        skill=query.skill,
        since=since,
        until=until,
    )
    return api.page(items, total)


async def get_shift(request: Request) -> Response:
    """One shift with its counts (never the volunteers on it)."""
    _shift, public = await present.one_shift(get_session(request), request.path_params["id"])
    return api.ok(public)


async def update_shift(request: Request, body: ShiftUpdate) -> Response:
    """Change a shift; volunteers signed up are told, a larger capacity promotes the waitlist."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.update_shift(
        session, user=user, shift_id=request.path_params["id"], data=body
    )
    _shift, public = await present.one_shift(session, shift.id)
    await session.commit()
    return api.ok(public)


async def cancel_shift(request: Request) -> Response:
    """Cancel a shift; every volunteer on it is told."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.cancel_shift(session, user=user, shift_id=request.path_params["id"])
    _shift, public = await present.one_shift(session, shift.id)
    await session.commit()
    return api.ok(public)


async def sign_up(request: Request) -> Response:
    """Sign up: confirmed while places are free, else waitlisted in arrival order."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    signup, position = await service.sign_up(session, user=user, shift_id=request.path_params["id"])
    result = SignupResult(
        shift_id=signup.shift_id, status=signup.status, waitlist_position=position
    )
    await session.commit()
    return api.ok(result)


async def cancel_signup(request: Request) -> Response:
    """Cancel the volunteer's sign-up; the first on the waitlist takes a freed place."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    signup = await service.cancel_signup(session, user=user, shift_id=request.path_params["id"])
    await session.commit()
    return api.ok(SignupResult(shift_id=signup.shift_id, status=signup.status))


async def roster(request: Request) -> Response:
    """The shift's volunteers, for its organizers; email and phone only with consent."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.get_shift(session, request.path_params["id"])
    entries = await service.roster(session, user=user, shift=shift)
    return api.page(entries, len(entries))


async def attendance(request: Request, body: AttendanceCreate) -> Response:
    """Record a volunteer's check-in and check-out (or a no-show); answers with the hours."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    signup = await service.record_attendance(
        session,
        user=user,
        shift_id=request.path_params["id"],
        volunteer_id=body.volunteer_id,
        status=body.status,
        checked_in_at=body.checked_in_at,
        checked_out_at=body.checked_out_at,
    )
    total = await service.total_minutes(session, body.volunteer_id)
    await session.commit()
    return api.ok(
        AttendanceResult(
            shift_id=signup.shift_id,
            volunteer_id=signup.volunteer_id,
            attendance=signup.attendance,
            checked_in_at=signup.checked_in_at,
            checked_out_at=signup.checked_out_at,
            hours=service.hours(signup.minutes),
            total_hours=service.hours(total),
        )
    )
