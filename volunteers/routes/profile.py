"""The volunteer's own page and profile: skills, languages, area, availability, contact consent."""

from starlette.requests import Request
from starlette.responses import Response

from core.auth import require
from core.clock import utcnow
from core.db import get_session
from core.forms import form_page
from core.models import Role, User
from core.web import render
from volunteers.models import DAYS, PARTS, SKILLS
from volunteers.schemas import ProfileUpdate
from volunteers.service import (
    ensure_profile,
    hours,
    incident_zones,
    my_signups,
    profile_view,
    queue_position,
    shifts,
    total_minutes,
    update_profile,
)

AVAILABILITY_FIELDS = tuple(f"avail_{day}" for day in DAYS)


def _profile_fields(data: dict) -> dict:
    """The form's checkboxes and comma-separated languages in the API's shape."""
    return {
        "skills": data.get("skills", []),
        "languages": [v.strip() for v in (data.get("languages") or "").split(",") if v.strip()],
        "area_id": data.get("area_id"),
        "lat": data.get("lat"),
        "lon": data.get("lon"),
        "phone": data.get("phone"),
        "contact_consent": bool(data.get("contact_consent")),
        "availability": {day: data.get(f"avail_{day}", []) for day in DAYS},
    }


async def _page(request: Request, user: User) -> dict:
    session = get_session(request)
    profile = await ensure_profile(session, user)
    rows = await my_signups(session, user.id)
    feed_url = None
    if profile.calendar_token:
        feed_url = str(request.url_for("api:volunteer_calendar_feed", token=profile.calendar_token))
    return {
        "profile": profile,
        "saved": False,
        "rows": rows,
        "zones": await incident_zones(session, [shift for _signup, shift in rows]),
        "positions": {s.id: await queue_position(session, s) for s, _shift in rows},
        "total_hours": hours(await total_minutes(session, user.id)),
        "skills": SKILLS,
        "areas": await shifts.area_choices(session, profile.area_id),
        "days": DAYS,
        "parts": PARTS,
        "feed_url": feed_url,
        "now": utcnow(),
    }


async def me_page(request: Request) -> Response:
    """The volunteer's hours, shifts, calendar links and profile form; saving stays here."""
    user = await require(request, Role.volunteer)

    async def save(session, body: ProfileUpdate, user: User):
        return await update_profile(session, user, body)

    async def saved(_profile) -> Response:
        page = {**await _page(request, user), "saved": True, "errors": {}}
        return await render(request, "volunteers/me.html", page, block="profile")

    async def context(_data: dict) -> dict:
        return await _page(request, user)

    return await form_page(
        request,
        "volunteers/me.html",
        block="profile",
        schema=ProfileUpdate,
        user=user,
        lists=("skills", *AVAILABILITY_FIELDS),
        prepare=_profile_fields,
        context=context,
        action=save,
        success=saved,
    )


async def get_me(request: Request, user: User):
    """The signed-in volunteer's profile and total hours."""
    return await profile_view(get_session(request), user)


async def put_me(request: Request, body: ProfileUpdate, user: User):
    """Update the volunteer's skills, languages, area, coordinates, phone and availability."""
    session = get_session(request)
    await update_profile(session, user, body)
    return await profile_view(session, user)
