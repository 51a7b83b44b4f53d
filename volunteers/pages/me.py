"""The volunteer's own pages: profile, hours, calendar, certificate, data export, deletion."""

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.auth import (
    check_password_timing_safe,
    require,
    sign_out,
)
from core.clock import utcnow
from core.db import get_session
from core.errors import DomainError, fields_from_validation
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Role
from core.web import render
from volunteers import present, service
from volunteers.models import DAYS, PARTS, SKILLS
from volunteers.pages.common import go_back, rollback_refused
from volunteers.schemas import ProfileUpdate


def _profile_form(raw: dict) -> dict:
    data: dict = {
        "skills": raw.get("skills", []),
        "languages": [v.strip() for v in (raw.get("languages") or "").split(",") if v.strip()],
        "area_id": raw.get("area_id"),
        "lat": raw.get("lat"),
        "lon": raw.get("lon"),
        "phone": raw.get("phone"),
        "contact_consent": bool(raw.get("contact_consent")),
        "availability": {day: raw.get(f"avail_{day}", []) for day in DAYS},
    }
    return data


async def me_page(request: Request) -> Response:
    user = await require(request, Role.volunteer)
    session = get_session(request)
    profile = await service.ensure_profile(session, user)
    errors: dict = {}
    saved = False
    status_code = 200
    if request.method == "POST":
        raw = await form_dict(request, lists=("skills", *[f"avail_{d}" for d in DAYS]))
        body, errors = validate(ProfileUpdate, _profile_form(raw))
        if body is not None:
            try:
                profile = await service.update_profile(session, user, body)
                await session.commit()
                saved = True
            except DomainError as exc:
                await rollback_refused(request, session, user)
                errors = exc.fields or {"area_id": exc.message}
        if errors:
            status_code = 422
    rows = await service.my_signups(session, user.id)
    positions = {s.id: await service.queue_position(session, s) for s, _sh in rows}
    total = await service.total_minutes(session, user.id)
    return await render(
        request,
        "volunteers/me.html",
        {
            "profile": profile,
            "errors": errors,
            "saved": saved,
            "rows": rows,
            "positions": positions,
            "total_hours": service.hours(total),
            "skills": SKILLS,
            "areas": await service.area_choices(session, profile.area_id),
            "days": DAYS,
            "parts": PARTS,
            "feed_url": (
                str(request.url_for("api:volunteer_calendar_feed", token=profile.calendar_token))
                if profile.calendar_token
                else None
            ),
            "now": utcnow(),
        },
        status_code=status_code,
        block="profile" if request.method == "POST" else None,
    )


async def calendar_action(request: Request) -> Response:
    """Make (or replace) the private calendar subscription URL."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    data = await form_dict(request)
    await service.calendar_token(session, user, regenerate=data.get("action") == "reset")
    await session.commit()
    return go_back(request, "volunteers:me")


async def my_calendar(request: Request) -> Response:
    user = await require(request, Role.volunteer)
    body = await present.calendar_for(request, get_session(request), user)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="my-shifts.ics"'},
    )


async def certificate(request: Request) -> Response:
    user = await require(request, Role.volunteer)
    tz = request.app.state.settings.time_zone
    pdf = await present.certificate_for(get_session(request), user, time_zone=tz)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="volunteer-hours.pdf"'},
    )


async def export(request: Request) -> Response:
    user = await require(request, Role.volunteer)
    data = await service.export_data(get_session(request), user)
    return JSONResponse(
        data, headers={"Content-Disposition": 'attachment; filename="my-volunteer-data.json"'}
    )


class _DeleteForm(BaseModel):
    password: str


async def delete_page(request: Request) -> Response:
    user = await require(request, Role.volunteer)
    if request.method == "GET":
        return await render(request, "volunteers/delete.html", {"errors": {}})
    data = await form_dict(request)
    try:
        form = _DeleteForm.model_validate(data)
    except ValidationError as exc:
        errors = fields_from_validation(exc)
        return await render(
            request, "volunteers/delete.html", {"errors": errors}, status_code=422, block="form"
        )
    if not await check_password_timing_safe(user, form.password):
        errors = {"password": _("not right")}
        return await render(
            request, "volunteers/delete.html", {"errors": errors}, status_code=422, block="form"
        )
    session = get_session(request)
    await service.delete_account(session, user)
    await session.commit()
    sign_out(request)
    return go_back(request, "recovery:home")
