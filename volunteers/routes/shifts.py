"""Shifts: the public list and page, organizers' create, change and cancel, and their own list."""

from contextlib import suppress
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from core import api, cache
from core.auth import current_user, require, user_organization
from core.dates import input_value, parse_local
from core.db import get_session
from core.errors import NotFound
from core.forms import form_page, validate
from core.models import Role, User
from core.pages import shared_page
from core.web import redirect, render
from recovery.service import (
    area_choices,
    get_incident,
    incident_projects,
    list_incidents,
    open_needs,
    project_tasks,
)
from volunteers.models import SKILLS
from volunteers.schemas import ShiftCreate, ShiftQuery, ShiftUpdate
from volunteers.service import browse, roster, shifts, statuses_for

ORGANIZERS = (Role.official, Role.ngo)
SHIFT_FIELDS = {
    "title",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "lat",
    "lon",
    "capacity",
    "min_age",
    "skills",
}
# Only a new shift says where it belongs; a change keeps its incident, need, task and area.
LINK_FIELDS = {"incident_id", "need_id", "task_id", "area_id"}


async def _browse(request: Request, query: ShiftQuery, *, recommended: bool):
    """The shifts asked for; "from" and "until" days are the incident's when one is chosen,
    else the reader's."""
    session = get_session(request)
    user = await current_user(request)
    tz = (user.time_zone if user else None) or request.app.state.settings.time_zone
    if query.incident_id is not None:
        # An unknown incident simply lists no shifts.
        with suppress(NotFound):
            tz = (await get_incident(session, query.incident_id)).time_zone
    since, until = browse.day_bounds(tz, query.date_from, query.date_to)
    return await browse.browse(
        session,
        user,
        recommended=recommended,
        limit=query.limit,
        offset=query.offset,
        incident_id=query.incident_id,
        area_id=query.area_id,
        skill=query.skill,
        since=since,
        until=until,
    )


async def shifts_page(request: Request) -> Response:
    user = await current_user(request)
    session = get_session(request)
    params = {k: v for k, v in request.query_params.items() if v}
    query, errors = validate(ShiftQuery, params)
    if query is None:
        query = ShiftQuery()
    recommended = user is not None and user.role == Role.volunteer
    # Taken before anything is read, so the page is never newer than its key says.
    versions = await cache.all_versions(session)

    async def build():
        items, total = await _browse(
            request, query, recommended=recommended and params.get("sort") != "soonest"
        )
        mine = await statuses_for(session, user.id, [s.id for s in items]) if user else {}
        kept = urlencode({k: v for k, v in params.items() if k != "offset"})
        pager_url = request.url_for("volunteers:shifts").path + (f"?{kept}" if kept else "")
        context = {
            "items": items,
            "total": total,
            "query": query,
            "params": params,
            "pager_url": pager_url,
            "errors": errors,
            "mine": mine,
            "recommended": recommended,
            "skills": SKILLS,
            "areas": await shifts.area_choices(session),
        }
        until = None
        if query.date_from is None:
            # Listed are shifts not yet over: the list changes when the first one ends.
            _since, until_day = browse.day_bounds(
                request.app.state.settings.time_zone, None, query.date_to
            )
            until = await shifts.first_end(
                session,
                incident_id=query.incident_id,
                area_id=query.area_id,
                skill=query.skill,
                until=until_day,
            )
        return context, until

    # Every signed-out visitor sees the same soonest-first list: one rendering per version.
    return await shared_page(
        request,
        "volunteers/shifts.html",
        "shifts",
        build,
        cache_name="shifts_list",
        versions=versions,
        source=None,
        block="results",
    )


async def shift_page(request: Request) -> Response:
    user = await current_user(request)
    session = get_session(request)
    shift, public = await browse.one_shift(session, request.path_params["id"])
    mine = await statuses_for(session, user.id, [shift.id]) if user else {}
    context = {"shift": public, "mine": mine, "skills": SKILLS, "owner": False}
    org = await user_organization(request, user)
    if shifts.can_manage(user, shift) and org is not None and org.is_verified():
        context["owner"] = True
        context["roster"] = await roster(session, user=user, shift=shift)
    return await render(request, "volunteers/shift.html", context)


async def _shift_form(
    request: Request, *, schema, action, zones: dict[int, str], shift=None, initial: dict, **context
) -> Response:
    """The one shift form, new or changed: times typed in the incident's zone, the shift's
    page after."""
    links = shift is None
    default = request.app.state.settings.time_zone

    def zone_of(incident_id) -> str:
        try:
            return zones.get(int(incident_id), default)
        except (TypeError, ValueError):
            return default

    def prepare(data: dict) -> dict:
        keep = SHIFT_FIELDS | LINK_FIELDS if links else SHIFT_FIELDS
        fields = {k: v for k, v in data.items() if k in keep}
        # Optional text left blank is empty text, not a missing value.
        for key in ("description", "location"):
            fields[key] = fields.get(key) or ""
        tz = zone_of(shift.incident_id if shift else fields.get("incident_id"))
        for key in ("starts_at", "ends_at"):
            fields[key] = parse_local(fields.get(key), tz)
        return fields

    def input_time(form: dict, value) -> str:
        return input_value(value, zone_of(shift.incident_id if shift else form.get("incident_id")))

    return await form_page(
        request,
        "volunteers/shift_form.html",
        block="form",
        schema=schema,
        roles=ORGANIZERS,
        lists=("skills",),
        prepare=prepare,
        initial=initial,
        context={
            "skills": SKILLS,
            "shift": shift,
            "input_time": input_time,
            "shift_zone": zone_of(shift.incident_id) if shift else None,
            **context,
        },
        action=action,
        success=lambda saved: request.url_for("volunteers:shift", id=saved.id),
    )


async def _link_choices(session, incidents) -> dict:
    """Needs, tasks and areas to link a new shift to, by name, grouped by incident."""
    needs, tasks, areas = [], [], []
    for incident in incidents:
        needs.append(
            (incident.name, [(n.id, n.title) for n in await open_needs(session, incident.id)])
        )
        rows = []
        for project in await incident_projects(session, incident.id):
            rows += [
                (t.id, f"{t.title} ({project.title})")
                for t in await project_tasks(session, project.id)
            ]
        tasks.append((incident.name, rows))
        tree = await area_choices(session, incident.id)
        areas.append((incident.name, [(a.id, "\u2003" * depth + a.name) for a, depth in tree]))
    return {"need_groups": needs, "task_groups": tasks, "area_groups": areas}


async def new_shift_page(request: Request) -> Response:
    await require(request, *ORGANIZERS)
    session = get_session(request)
    incidents, _total = await list_incidents(session, limit=200)

    async def create(session, body: ShiftCreate, user: User):
        return await shifts.create_shift(session, user=user, data=body)

    return await _shift_form(
        request,
        schema=ShiftCreate,
        action=create,
        zones={incident.id: incident.time_zone for incident in incidents},
        initial={"incident_id": request.query_params.get("incident_id"), "capacity": 10},
        incidents=[
            (incident.id, f"{incident.name} ({incident.time_zone})") for incident in incidents
        ],
        **await _link_choices(session, incidents),
    )


async def edit_shift_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    session = get_session(request)
    shift = await shifts.get_shift(session, request.path_params["id"])
    shifts.require_owner(user, shift)
    incident = await get_incident(session, shift.incident_id)

    async def change(session, body: ShiftUpdate, user: User):
        return await shifts.update_shift(session, user=user, shift_id=shift.id, data=body)

    return await _shift_form(
        request,
        schema=ShiftUpdate,
        action=change,
        zones={incident.id: incident.time_zone},
        shift=shift,
        initial=shift.model_dump(),
    )


async def cancel_shift_page(request: Request) -> Response:
    """The organizer's cancel button; refusals show as an error page."""
    user = await require(request, *ORGANIZERS)
    shift_id = request.path_params["id"]
    await shifts.cancel_shift(get_session(request), user=user, shift_id=shift_id)
    return redirect(request, str(request.url_for("volunteers:shift", id=shift_id)))


async def organize_page(request: Request) -> Response:
    user = await require(request, *ORGANIZERS)
    items = await browse.organization_view(get_session(request), user.organization_id)
    return await render(request, "volunteers/organize.html", {"items": items})


async def list_shifts(request: Request, query: ShiftQuery):
    """Open shifts, filtered by incident, area, skill and dates; `recommended` ranks them for
    the signed-in volunteer (skills, distance, availability)."""
    items, total = await _browse(request, query, recommended=query.recommended)
    return api.page(items, total)


async def get_shift(request: Request):
    """One shift with its counts (never the volunteers on it)."""
    _shift, public = await browse.one_shift(get_session(request), request.path_params["id"])
    return public


async def create_shift(request: Request, body: ShiftCreate, user: User):
    """Create a shift for an incident (officials and verified NGOs)."""
    session = get_session(request)
    shift = await shifts.create_shift(session, user=user, data=body)
    return api.Answer(await browse.public_view(session, shift), status_code=201)


async def update_shift(request: Request, body: ShiftUpdate, user: User):
    """Change a shift (its organization only); volunteers signed up are told, a larger
    capacity promotes the waitlist."""
    session = get_session(request)
    shift = await shifts.update_shift(
        session, user=user, shift_id=request.path_params["id"], data=body
    )
    return await browse.public_view(session, shift)


async def cancel_shift(request: Request, user: User):
    """Cancel a shift (its organization only); every volunteer on it is told."""
    session = get_session(request)
    shift = await shifts.cancel_shift(session, user=user, shift_id=request.path_params["id"])
    return await browse.public_view(session, shift)
