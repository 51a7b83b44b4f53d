"""The volunteers domain's /api/v1 operations: profiles, shifts, sign-ups, attendance, data."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import current_user, require
from core.db import get_session
from core.i18n import _
from core.models import Role, User
from volunteers import present, service
from volunteers.errors import SignupNotFound
from volunteers.schemas import (
    AttendanceCreate,
    AttendanceResult,
    CalendarLink,
    MySignup,
    ProfilePublic,
    ProfileUpdate,
    RosterEntry,
    ShiftCreate,
    ShiftPublic,
    ShiftQuery,
    ShiftUpdate,
    SignupResult,
)

ORGANIZERS = (Role.official, Role.ngo)


async def _profile(request: Request, user: User) -> ProfilePublic:
    session = get_session(request)
    profile = await service.ensure_profile(session, user)
    return ProfilePublic(
        user_id=user.id,
        name=user.name,
        email=user.email,
        phone=profile.phone,
        contact_consent=profile.contact_consent,
        consented_at=profile.consented_at,
        skills=profile.skills,
        languages=profile.languages,
        area_id=profile.area_id,
        lat=profile.lat,
        lon=profile.lon,
        availability=profile.availability,
        hours=service.hours(await service.total_minutes(session, user.id)),
    )


async def get_me(request: Request) -> Response:
    """The signed-in volunteer's profile and total hours."""
    user = await require(request, Role.volunteer)
    return api.ok(await _profile(request, user))


async def put_me(request: Request, body: ProfileUpdate) -> Response:
    """Update the volunteer's skills, languages, area, coordinates, phone and availability."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    await service.update_profile(session, user, body)
    result = await _profile(request, user)
    await session.commit()
    return api.ok(result)


async def delete_me(request: Request) -> Response:
    """Delete the account: personal data erased, future sign-ups cancelled, hours kept."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    await service.delete_account(session, user)
    await session.commit()
    return Response(status_code=204)


async def export_me(request: Request) -> Response:
    """Everything the platform holds about the volunteer, as JSON."""
    user = await require(request, Role.volunteer)
    data = await service.export_data(get_session(request), user)
    response = api.ok(data)
    response.headers["Content-Disposition"] = 'attachment; filename="my-volunteer-data.json"'
    return response


async def my_signups(request: Request) -> Response:
    """The volunteer's current and past sign-ups, with hours."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    rows = await service.my_signups(session, user.id)
    counts = await service.waitlist_counts(session, [shift.id for _s, shift in rows])
    items = [
        MySignup(
            id=signup.id,
            status=signup.status,
            waitlist_position=await service.queue_position(session, signup),
            attendance=signup.attendance,
            hours=service.hours(signup.minutes),
            shift=present.public_shift(shift, counts.get(shift.id, 0)),
        )
        for signup, shift in rows
    ]
    return api.page(items, len(items))


def _ics(body: bytes) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="shifts.ics"',
            "Cache-Control": "private",
        },
    )


async def my_calendar(request: Request) -> Response:
    """The volunteer's shifts as an iCalendar feed."""
    user = await require(request, Role.volunteer)
    return _ics(await present.calendar_for(request, get_session(request), user))


async def calendar_feed(request: Request) -> Response:
    """The private subscription feed: the secret token in the URL stands in for signing in."""
    session = get_session(request)
    user = await service.user_by_calendar_token(session, request.path_params["token"])
    if user is None:
        raise SignupNotFound(_("This calendar link is not valid (it may have been replaced)."))
    return _ics(await present.calendar_for(request, session, user))


def _feed_url(request: Request, token: str) -> CalendarLink:
    return CalendarLink(url=str(request.url_for("api:volunteer_calendar_feed", token=token)))


async def calendar_link(request: Request) -> Response:
    """The private subscription URL of the volunteer's calendar (made on first use)."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    token = await service.calendar_token(session, user)
    await session.commit()
    return api.ok(_feed_url(request, token))


async def calendar_reset(request: Request) -> Response:
    """Replace the subscription URL; the old one stops working."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    token = await service.calendar_token(session, user, regenerate=True)
    await session.commit()
    return api.ok(_feed_url(request, token))


async def certificate(request: Request) -> Response:
    """A PDF certificate of the volunteer's hours."""
    user = await require(request, Role.volunteer)
    tz = request.app.state.settings.time_zone
    pdf = await present.certificate_for(get_session(request), user, time_zone=tz)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="volunteer-hours.pdf"'},
    )


async def create_shift(request: Request, body: ShiftCreate) -> Response:
    """Create a shift for an incident (officials and verified NGOs)."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.create_shift(session, user=user, data=body)
    await session.commit()
    return api.ok(present.public_shift(shift), status_code=201)


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
    await session.commit()
    return api.ok(present.public_shift(shift))


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


TAGS = ["volunteers"]
api_routes = [
    api.ApiRoute(
        "/volunteers/me",
        get_me,
        name="volunteer_me",
        response=ProfilePublic,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me",
        put_me,
        methods=["PUT"],
        name="volunteer_me_update",
        body=ProfileUpdate,
        response=ProfilePublic,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me",
        delete_me,
        methods=["DELETE"],
        name="volunteer_delete",
        status_code=204,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/export", export_me, name="volunteer_export", auth="volunteer", tags=TAGS
    ),
    api.ApiRoute(
        "/volunteers/me/signups",
        my_signups,
        name="volunteer_signups",
        response=api.Page[MySignup],
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/shifts.ics",
        my_calendar,
        name="volunteer_ics",
        auth="volunteer",
        tags=TAGS,
        content_type="text/calendar",
    ),
    api.ApiRoute(
        "/volunteers/me/calendar",
        calendar_link,
        methods=["POST"],
        name="volunteer_calendar",
        response=CalendarLink,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/me/calendar/reset",
        calendar_reset,
        methods=["POST"],
        name="volunteer_calendar_reset",
        response=CalendarLink,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/volunteers/calendar/{token:str}.ics",
        calendar_feed,
        name="volunteer_calendar_feed",
        tags=TAGS,
        content_type="text/calendar",
    ),
    api.ApiRoute(
        "/volunteers/me/certificate.pdf",
        certificate,
        name="volunteer_certificate",
        auth="volunteer",
        tags=TAGS,
        content_type="application/pdf",
    ),
    api.ApiRoute(
        "/shifts",
        create_shift,
        methods=["POST"],
        name="shifts_create",
        body=ShiftCreate,
        response=ShiftPublic,
        status_code=201,
        auth="official, ngo",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts",
        list_shifts,
        name="shifts",
        query=ShiftQuery,
        response=api.Page[ShiftPublic],
        tags=TAGS,
    ),
    api.ApiRoute("/shifts/{id:int}", get_shift, name="shift", response=ShiftPublic, tags=TAGS),
    api.ApiRoute(
        "/shifts/{id:int}",
        update_shift,
        methods=["PATCH"],
        name="shift_update",
        body=ShiftUpdate,
        response=ShiftPublic,
        auth="shift owner",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/cancel",
        cancel_shift,
        methods=["POST"],
        name="shift_cancel",
        response=ShiftPublic,
        auth="shift owner",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signup",
        sign_up,
        methods=["POST"],
        name="shift_signup",
        response=SignupResult,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signup",
        cancel_signup,
        methods=["DELETE"],
        name="shift_signup_cancel",
        response=SignupResult,
        auth="volunteer",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/signups",
        roster,
        name="shift_roster",
        response=api.Page[RosterEntry],
        auth="shift owner",
        tags=TAGS,
    ),
    api.ApiRoute(
        "/shifts/{id:int}/attendance",
        attendance,
        methods=["POST"],
        name="shift_attendance",
        body=AttendanceCreate,
        response=AttendanceResult,
        auth="shift owner",
        tags=TAGS,
    ),
]
