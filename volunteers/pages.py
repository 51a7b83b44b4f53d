"""Volunteer and organizer pages; htmx swaps the sign-up button and the roster in place."""

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from core.auth import check_password_timing_safe, current_user, require, sign_out
from core.db import get_session
from core.errors import DomainError, fields_from_validation
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Role
from core.web import render
from volunteers import present, service
from volunteers.models import DAYS, PARTS, SKILLS
from volunteers.schemas import ProfileUpdate, ShiftCreate, ShiftQuery, ShiftUpdate

ORGANIZERS = (Role.official, Role.ngo)
SHIFT_FIELDS = (
    "title",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "lat",
    "lon",
    "capacity",
    "min_age",
    "incident_id",
    "need_id",
    "task_id",
    "area_id",
)


async def _rollback(request: Request, session, user) -> None:
    """Undo a refused action but keep the signed-in user loaded for rendering the answer."""
    await session.rollback()
    await session.refresh(user)
    org = request.scope.get("commons.organization")
    if org is not None:
        await session.refresh(org)


def _back(request: Request, name: str, **params) -> Response:
    target = str(request.url_for(name, **params))
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _local(request: Request, value: str | None) -> datetime | str | None:
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


def _input_time(request: Request, value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(request.app.state.settings.time_zone)
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


async def shifts_page(request: Request) -> Response:
    user = await current_user(request)
    session = get_session(request)
    params = {k: v for k, v in request.query_params.items() if v}
    query, errors = validate(ShiftQuery, params)
    if query is None:
        query = ShiftQuery()
    recommended = user is not None and user.role == Role.volunteer
    since, until = present.day_bounds(
        request.app.state.settings.time_zone, query.date_from, query.date_to
    )
    items, total = await present.browse(
        session,
        user,
        recommended=recommended and params.get("sort") != "soonest",
        limit=query.limit,
        offset=query.offset,
        incident_id=query.incident_id,
        area_id=query.area_id,
        skill=query.skill,
        since=since,
        until=until,
    )
    mine = await service.statuses_for(session, user.id, [s.id for s in items]) if user else {}
    return await render(
        request,
        "volunteers/shifts.html",
        {
            "items": items,
            "total": total,
            "query": query,
            "params": params,
            "errors": errors,
            "mine": mine,
            "recommended": recommended,
            "skills": SKILLS,
        },
        block="results",
    )


async def shift_page(request: Request) -> Response:
    user = await current_user(request)
    session = get_session(request)
    shift, public = await present.one_shift(session, request.path_params["id"])
    mine = await service.statuses_for(session, user.id, [shift.id]) if user else {}
    context = {"shift": public, "mine": mine, "skills": SKILLS, "owner": False}
    if user is not None and service.can_manage(user, shift):
        await require(request, *ORGANIZERS)
        context["owner"] = True
        context["roster"] = await service.roster(session, user=user, shift=shift)
    return await render(request, "volunteers/shift.html", context)


async def signup_action(request: Request) -> Response:
    """Sign up or cancel; htmx gets the swapped button, others go back to the shift."""
    user = await require(request, Role.volunteer)
    session = get_session(request)
    shift_id = request.path_params["id"]
    cancel = request.url.path.endswith("/cancel-signup")
    message = None
    try:
        if cancel:
            await service.cancel_signup(session, user=user, shift_id=shift_id)
        else:
            await service.sign_up(session, user=user, shift_id=shift_id)
        await session.commit()
    except DomainError as exc:
        if not request.headers.get("HX-Request"):
            raise
        await _rollback(request, session, user)
        message = exc.message
    if not request.headers.get("HX-Request"):
        return _back(request, "volunteers:shift", id=shift_id)
    shift, public = await present.one_shift(session, shift_id)
    mine = await service.statuses_for(session, user.id, [shift.id])
    return await render(
        request,
        "volunteers/_signup_button.html",
        {"shift": public, "mine": mine, "message": message},
    )


def _shift_form_data(request: Request, data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in SHIFT_FIELDS or k == "skills"}
    for key in ("starts_at", "ends_at"):
        data[key] = _local(request, data.get(key))
    return data


async def new_shift_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    form = {"incident_id": request.query_params.get("incident_id"), "skills": [], "capacity": 10}
    context = {"form": form, "errors": {}, "skills": SKILLS, "shift": None}
    if request.method == "GET":
        return await render(request, "volunteers/shift_form.html", context)
    raw = await form_dict(request, lists=("skills",))
    context["form"] = raw
    body, errors = validate(ShiftCreate, _shift_form_data(request, raw))
    session = get_session(request)
    if body is not None:
        try:
            shift = await service.create_shift(session, user=user, data=body)
            await session.commit()
            return _back(request, "volunteers:shift", id=shift.id)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    context["errors"] = errors
    return await render(
        request, "volunteers/shift_form.html", context, status_code=422, block="form"
    )


async def edit_shift_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await service.get_shift(session, request.path_params["id"])
    service.shifts.require_owner(user, shift)
    form = {
        **shift.model_dump(),
        "starts_at": _input_time(request, shift.starts_at),
        "ends_at": _input_time(request, shift.ends_at),
    }
    context = {"form": form, "errors": {}, "skills": SKILLS, "shift": shift}
    if request.method == "GET":
        return await render(request, "volunteers/shift_form.html", context)
    raw = await form_dict(request, lists=("skills",))
    context["form"] = {**raw, "id": shift.id}
    data = _shift_form_data(request, raw)
    for key in ("incident_id", "need_id", "task_id", "area_id"):
        data.pop(key, None)
    body, errors = validate(ShiftUpdate, data)
    if body is not None:
        try:
            await service.update_shift(session, user=user, shift_id=shift.id, data=body)
            await session.commit()
            return _back(request, "volunteers:shift", id=shift.id)
        except DomainError as exc:
            errors = exc.fields or {"title": exc.message}
    context["errors"] = errors
    return await render(
        request, "volunteers/shift_form.html", context, status_code=422, block="form"
    )


async def cancel_shift_action(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    await service.cancel_shift(session, user=user, shift_id=request.path_params["id"])
    await session.commit()
    return _back(request, "volunteers:shift", id=request.path_params["id"])


async def attendance_action(request: Request) -> Response:
    """The roster's check-in, check-out and no-show buttons."""
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift_id = request.path_params["id"]
    data = await form_dict(request)
    try:
        volunteer_id = int(data.get("volunteer_id") or 0)
    except ValueError:
        volunteer_id = 0
    action = data.get("action")
    kwargs = {"user": user, "shift_id": shift_id, "volunteer_id": volunteer_id}
    message = None
    try:
        if action == "check_in":
            await service.check_in(session, **kwargs)
        elif action == "check_out":
            await service.check_out(session, **kwargs)
        elif action == "no_show":
            await service.record_attendance(session, status="no_show", **kwargs)
        else:
            raise DomainError(_("Unknown action."), 400, "bad_action")
        await session.commit()
    except DomainError as exc:
        if not request.headers.get("HX-Request"):
            raise
        await _rollback(request, session, user)
        message = exc.message
    if not request.headers.get("HX-Request"):
        return _back(request, "volunteers:shift", id=shift_id)
    shift, public = await present.one_shift(session, shift_id)
    roster = await service.roster(session, user=user, shift=shift)
    return await render(
        request,
        "volunteers/shift.html",
        {"shift": public, "owner": True, "roster": roster, "message": message, "mine": {}},
        block="roster",
    )


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
                await _rollback(request, session, user)
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
            "days": DAYS,
            "parts": PARTS,
            "feed_url": (
                str(request.url_for("api:volunteer_calendar_feed", token=profile.calendar_token))
                if profile.calendar_token
                else None
            ),
            "now": datetime.now(ZoneInfo("UTC")),
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
    return _back(request, "volunteers:me")


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
    if not check_password_timing_safe(user, form.password):
        errors = {"password": _("not right")}
        return await render(
            request, "volunteers/delete.html", {"errors": errors}, status_code=422, block="form"
        )
    session = get_session(request)
    await service.delete_account(session, user)
    await session.commit()
    sign_out(request)
    return _back(request, "home")


async def organize_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shifts = await service.organization_shifts(session, user.organization_id)
    counts = await service.waitlist_counts(session, [s.id for s in shifts])
    items = [present.public_shift(s, counts.get(s.id, 0)) for s in shifts]
    return await render(request, "volunteers/organize.html", {"items": items})
