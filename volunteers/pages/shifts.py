"""Shift pages: browse, one shift with its roster, create and change, sign up with htmx."""

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from core.auth import (
    current_user,
    require,
    user_organization,
)
from core.db import get_session
from core.errors import DomainError
from core.forms import form_dict, validate
from core.i18n import _
from core.models import Role
from core.web import render
from recovery.service import list_incidents
from volunteers import present, service
from volunteers.models import SKILLS
from volunteers.pages.common import go_back, input_time, local_time, rollback_refused
from volunteers.schemas import ShiftCreate, ShiftQuery, ShiftUpdate

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
    kept = urlencode({k: v for k, v in params.items() if k != "offset"})
    pager_url = request.url_for("volunteers:shifts").path + (f"?{kept}" if kept else "")
    return await render(
        request,
        "volunteers/shifts.html",
        {
            "items": items,
            "total": total,
            "query": query,
            "params": params,
            "pager_url": pager_url,
            "errors": errors,
            "mine": mine,
            "recommended": recommended,
            "skills": SKILLS,
            "areas": await service.area_choices(session),
        },
        block="results",
    )


async def shift_page(request: Request) -> Response:
    user = await current_user(request)
    session = get_session(request)
    shift, public = await present.one_shift(session, request.path_params["id"])
    mine = await service.statuses_for(session, user.id, [shift.id]) if user else {}
    context = {"shift": public, "mine": mine, "skills": SKILLS, "owner": False}
    org = await user_organization(request, user)
    if service.can_manage(user, shift) and org is not None and org.is_verified():
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
        await rollback_refused(request, session, user)
        message = exc.message
    if not request.headers.get("HX-Request"):
        return go_back(request, "volunteers:shift", id=shift_id)
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
        data[key] = local_time(request, data.get(key))
    return data


async def new_shift_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    form = {"incident_id": request.query_params.get("incident_id"), "skills": [], "capacity": 10}
    session = get_session(request)
    incidents, _total = await list_incidents(session, limit=200)
    context = {
        "form": form,
        "errors": {},
        "skills": SKILLS,
        "shift": None,
        "incidents": [(incident.id, incident.name) for incident in incidents],
    }
    if request.method == "GET":
        return await render(request, "volunteers/shift_form.html", context)
    raw = await form_dict(request, lists=("skills",))
    context["form"] = raw
    body, errors = validate(ShiftCreate, _shift_form_data(request, raw))
    if body is not None:
        try:
            shift = await service.create_shift(session, user=user, data=body)
            await session.commit()
            return go_back(request, "volunteers:shift", id=shift.id)
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
        "starts_at": input_time(request, shift.starts_at),
        "ends_at": input_time(request, shift.ends_at),
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
            return go_back(request, "volunteers:shift", id=shift.id)
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
    return go_back(request, "volunteers:shift", id=request.path_params["id"])


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
        await rollback_refused(request, session, user)
        message = exc.message
    if not request.headers.get("HX-Request"):
        return go_back(request, "volunteers:shift", id=shift_id)
    shift, public = await present.one_shift(session, shift_id)
    roster = await service.roster(session, user=user, shift=shift)
    return await render(
        request,
        "volunteers/shift.html",
        {"shift": public, "owner": True, "roster": roster, "message": message, "mine": {}},
        block="roster",
    )


async def organize_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shifts = await service.organization_shifts(session, user.organization_id)
    counts = await service.waitlist_counts(session, [s.id for s in shifts])
    items = [present.public_shift(s, counts.get(s.id, 0)) for s in shifts]
    await present.name_organizations(session, items)
    return await render(request, "volunteers/organize.html", {"items": items})
