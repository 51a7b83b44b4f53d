"""Needs: the filterable list, each need's page with inline editing and history, logging a
need, and the /api/v1 operations."""

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api, cache
from core.db import get_session, reads_without_transaction
from core.forms import form_page
from core.i18n import _, ngettext
from core.models import Role
from core.pages import (
    PAGE_CACHE_SIZE,
    cached_once,
    lane_reading,
    mark_shared,
    next_midnight,
    shared_block,
    shared_page,
)
from core.web import is_fragment_request, render
from recovery.errors import LikelyDuplicate
from recovery.models import Category, NeedStatus, Priority
from recovery.schemas import (
    NeedCreate,
    NeedPage,
    NeedPublic,
    NeedQuery,
    NeedUpdate,
    from_query,
)
from recovery.service import incidents as incident_service
from recovery.service import needs as service
from recovery.service.access import (
    ensure_can_act,
    require_official,
    viewer_can_act,
    viewer_is_official,
)
from recovery.service.lookup import get_need

PAGE_SIZE = 50
OFFICIALS = (Role.official,)
CHOICES = {"categories": list(Category), "priorities": list(Priority)}
# The list answers the same to everyone: nginx or a CDN may keep it as long as a shared page.
API_CACHE = {"Cache-Control": "public, max-age=5"}


def _filter_url(request: Request, query: NeedQuery) -> str:
    params = query.model_dump(exclude={"limit", "offset", "cursor"}, exclude_none=True)
    base = str(request.url_for("recovery:needs"))
    return base + ("?" + urlencode(params) if params else "")


async def needs_page(request: Request) -> Response:
    session = get_session(request)
    query, errors = from_query(NeedQuery, request.query_params, limit=PAGE_SIZE)
    # The platform's versions: the list names every incident and area among its choices.
    versions = await cache.all_versions(session)

    async def build():
        found = await service.list_needs(session, query)
        incidents = await incident_service.incident_choices(session)
        context = {
            "rows": found.rows,
            "total": found.total,
            "next_cursor": found.next_cursor,
            # Each incident's own calendar day, to mark needs past their needed-by date.
            "today": {i.id: incident_service.incident_today(i) for i in incidents},
            "query": query,
            "errors": errors,
            "incidents": incidents,
            "areas": await incident_service.area_choices(session, query.incident_id),
            "statuses": list(NeedStatus),
            "filter_url": _filter_url(request, query),
            "page_size": PAGE_SIZE,
            "can_edit": await viewer_is_official(request),
            **CHOICES,
        }
        # "Overdue" changes at each incident's midnight, with no write.
        midnights = [next_midnight(i.time_zone) for i in incidents]
        return context, min(midnights, default=None)

    if request.scope.get("commons.user") is not None and not is_fragment_request(request):
        # Signed in: the list itself is everyone's (no personal part), the frame is theirs.
        results = await shared_block(
            request,
            "recovery/needs.html",
            "results",
            "needs",
            build,
            cache_name="needs_results",
            versions=versions,
        )
        context = {
            "query": query,
            "can_edit": await viewer_is_official(request),
            "shared_results": results,
        }
        return await render(request, "recovery/needs.html", context)
    return await shared_page(
        request,
        "recovery/needs.html",
        "needs",
        build,
        cache_name="needs_list",
        versions=versions,
        source=None,
        block="results",
    )


async def _need_page(request: Request, found: service.NeedPageRows | None = None) -> dict:
    if found is None:
        found = await service.need_page(get_session(request), request.path_params["id"])
    need, incident = found.need, found.incident
    return {
        "need": need,
        "incident": incident,
        "area": found.area,
        "history": found.history,
        "helpers": found.helpers,
        # Signed out, nobody may act (and the lane has no session to ask with).
        "can_edit": request.scope.get("commons.user") is not None
        and await viewer_can_act(request, incident.id),
        "overdue": need.status in (NeedStatus.open, NeedStatus.partially_met)
        and need.needed_by < incident_service.incident_today(incident),
    }


async def need_page(request: Request) -> Response:
    await reads_without_transaction(request)
    session = get_session(request)
    # The platform's versions: a need's page also shows its volunteers' shifts.
    versions = await cache.all_versions(session)
    return await _shared_need_page(
        request, versions, lambda: service.need_page(session, request.path_params["id"])
    )


async def _shared_need_page(request: Request, versions: tuple[int, int], rows) -> Response:
    async def build():
        context = await _need_page(request, await rows())
        # "Overdue" turns on at the incident's midnight, with no write.
        return context, next_midnight(context["incident"].time_zone)

    return await shared_page(
        request,
        "recovery/need.html",
        ("need", request.path_params["id"]),
        build,
        cache_name="needs",
        versions=versions,
        source=None,
        # A few needs are shared everywhere, and the front keeps those (gzipped); the rest are
        # read now and then, and each worker keeping thousands would cost it megabytes.
        size=PAGE_CACHE_SIZE,
        block="details",
    )


# A signed-out GET that misses the front takes the lane instead of the whole stack: the
# same page, its rows read on the lane's pooled connection.
need_page.lane = lane_reading(_shared_need_page, service.need_page_on)  # type: ignore[attr-defined]


async def need_edit(request: Request) -> Response:
    """The inline edit form (htmx swaps it into the page) and its submission."""
    user = await require_official(request)
    page = await _need_page(request)
    need = page["need"]
    await ensure_can_act(get_session(request), user, need.incident_id)

    async def saved(need) -> Response | str:
        if not request.headers.get("HX-Request"):
            return str(request.url_for("recovery:need", id=need.id))
        context = await _need_page(request)
        return await render(request, "recovery/need.html", context, block="details")

    return await form_page(
        request,
        "recovery/need.html",
        block="details",
        schema=NeedUpdate,
        user=user,
        drop_blank=True,
        # A cleared area is sent as blank, and means "no area" rather than "unchanged".
        prepare=lambda data: {"area_id": None} | data,
        # The page's need is a read-only record; the form starts from the model's values.
        initial=(await get_need(get_session(request), need.id)).model_dump(),
        context=page
        | {
            "areas": await incident_service.area_choices(get_session(request), need.incident_id),
            "editing": True,
        }
        | CHOICES,
        action=lambda session, body, user: service.update_need(session, need.id, body, actor=user),
        success=saved,
    )


async def need_new(request: Request) -> Response:
    """Log a need; choosing another incident reloads the form with that incident's areas."""
    user = await require_official(request)
    session = get_session(request)
    incidents = await incident_service.incident_choices(session, include_exercises=True)

    async def context(data: dict) -> dict:
        incident_id = data.get("incident_id") or (incidents[0].id if incidents else None)
        return {
            "form": {"incident_id": incident_id, "priority": "medium"},
            "incidents": incidents,
            "areas": await incident_service.area_choices(session, incident_id),
            **CHOICES,
        }

    confirmed = {"yes": False}

    def prepare(data: dict) -> dict:
        confirmed["yes"] = bool(data.pop("confirm_duplicate", None))
        return data

    async def create(session, body: NeedCreate, user):
        # Who may not act on the incident is refused before being told what it holds.
        await ensure_can_act(session, user, body.incident_id)
        found = [] if confirmed["yes"] else await service.likely_duplicates(session, body)
        if found:
            titles = ", ".join(f"“{need.title}”" for need in found)
            raise LikelyDuplicate(
                ngettext(
                    "A need like this is already open in this place: %(titles)s. Check it "
                    "before logging another one.",
                    "Needs like this are already open in this place: %(titles)s. Check them "
                    "before logging another one.",
                    len(found),
                )
                % {"titles": titles},
                fields={"confirm_duplicate": _("Tick this box if it is a different need.")},
            )
        return await service.create_need(session, body, actor=user)

    return await form_page(
        request,
        "recovery/need_form.html",
        block="form",
        schema=NeedCreate,
        user=user,
        drop_blank=True,
        prepare=prepare,
        initial=dict(request.query_params),
        context=context,
        action=create,
        success=lambda need: request.url_for("recovery:need", id=need.id),
    )


async def create_need(request: Request, body: NeedCreate, user):
    """Log a need."""
    return await service.create_need(get_session(request), body, actor=user)


async def list_needs(request: Request, query: NeedQuery):
    """Needs, most urgent first; filter by incident, area (with sub-areas), category, priority,
    status. Page on with `cursor` (each page's `next_cursor`): every page costs the same,
    however deep; `offset` still works, and is ignored when a cursor is given."""
    session = get_session(request)
    # Public fields only, the same for every caller: one answer per query and version.
    versions = await cache.all_versions(session)

    async def make():
        found = await service.list_needs(session, query)
        page = NeedPage(
            items=[NeedPublic.model_validate(need) for need, _area in found.rows],
            total=found.total,
            next_cursor=found.next_cursor,
        )
        return page.model_dump_json().encode(), None

    key = ("needs_api", query.model_dump_json(), versions)
    body, until = await cached_once(request, "needs_api", 256, key, make)
    mark_shared(request, versions, None, until)
    return Response(body, media_type="application/json", headers=API_CACHE)


async def get_need_api(request: Request):
    """One need with its quantity met and status."""
    return await get_need(get_session(request), request.path_params["id"])


async def update_need(request: Request, body: NeedUpdate, user):
    """Edit a need; `status` may close, cancel or reopen it."""
    return await service.update_need(
        get_session(request), request.path_params["id"], body, actor=user
    )


routes = [
    Route("/needs", needs_page, name="needs"),
    Route("/needs/{id:int}", need_page, name="need"),
    Route("/needs/{id:int}/edit", need_edit, methods=["GET", "POST"], name="need_edit"),
    Route("/manage/needs/new", need_new, methods=["GET", "POST"], name="need_new"),
]
api_routes = [
    api.ApiRoute(
        "/needs",
        create_need,
        methods=["POST"],
        name="need_create",
        body=NeedCreate,
        response=NeedPublic,
        status_code=201,
        roles=OFFICIALS,
        tags=["needs"],
    ),
    api.ApiRoute(
        "/needs",
        list_needs,
        name="needs",
        query=NeedQuery,
        response=NeedPage,
        tags=["needs"],
    ),
    api.ApiRoute("/needs/{id:int}", get_need_api, name="need", response=NeedPublic, tags=["needs"]),
    api.ApiRoute(
        "/needs/{id:int}",
        update_need,
        methods=["PATCH"],
        name="need_update",
        body=NeedUpdate,
        response=NeedPublic,
        roles=OFFICIALS,
        tags=["needs"],
    ),
]
