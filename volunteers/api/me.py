"""API operations on the signed-in volunteer: profile, sign-ups, calendar, certificate, data."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.auth import require
from core.db import get_session
from core.i18n import _
from core.models import Role, User
from volunteers import present, service
from volunteers.errors import SignupNotFound
from volunteers.schemas import (
    CalendarLink,
    MySignup,
    ProfilePublic,
    ProfileUpdate,
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
    await present.name_organizations(session, [item.shift for item in items])
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
