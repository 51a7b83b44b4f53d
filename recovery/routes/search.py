"""The site-wide search, public records only: the /search page and GET /api/v1/search."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import api
from core import search as finder
from core.auth import address_key, client_address, rate_item, seconds_to_wait
from core.db import get_session
from core.errors import InvalidInput, Throttled
from core.i18n import _, ngettext
from core.web import render
from recovery.schemas import SearchQuery, SearchResults
from recovery.service import get_incident

PER_KIND = 20


async def _throttle(request: Request) -> None:
    """429 with Retry-After past `searches_per_address` in the window (shared by workers)."""
    settings = request.app.state.settings
    item = rate_item(settings.searches_per_address, settings.search_window_seconds)
    limiter = request.app.state.login_throttle.limiter
    key = address_key(client_address(request))
    seconds = await seconds_to_wait(limiter, item, "search", key)
    if seconds:
        raise Throttled(
            ngettext(
                "Too many searches from this connection. Please try again in %(num)d second.",
                "Too many searches from this connection. Please try again in %(num)d seconds.",
                seconds,
            )
            % {"num": seconds},
            retry_after=seconds,
            fields={"q": _("too many searches")},
        )


async def search_page(request: Request) -> Response:
    text = finder.normalize(request.query_params.get("q"))
    error = None
    groups = []
    if text and finder.too_short(text):
        error = "short"
    elif len(text) > finder.MAX_LENGTH:
        error = "long"
    elif text:
        await _throttle(request)
        groups = await finder.search(get_session(request), text, PER_KIND)
    status = 400 if error else 200
    context = {
        "q": text,
        "groups": groups,
        "error": error,
        "found": sum(g.total for g in groups),
        "min_length": finder.MIN_LENGTH,
        "max_length": finder.MAX_LENGTH,
    }
    return await render(request, "recovery/search.html", context, status_code=status)


async def search_api(request: Request, query: SearchQuery):
    """Needs, projects, verified organizations and coming shifts containing `q`: the public
    records the /search page finds (never a drill's), a page at a time after `cursor`."""
    session = get_session(request)
    after = None
    if query.cursor is not None:
        after = finder.decode_cursor(query.cursor, finder.kinds(session))
        if after is None:
            message = _("This cursor was not given by an earlier page.")
            raise InvalidInput(message, fields={"cursor": message})
    if query.incident_id is not None:
        await get_incident(session, query.incident_id)
    await _throttle(request)
    found = await finder.search_page(
        session,
        query.q,
        query.limit,
        after=after,
        only=query.types,
        incident_id=query.incident_id,
    )
    items = [
        {
            "kind": kind,
            "id": hit.params["id"],
            "title": hit.title,
            "detail": str(hit.detail),
            "url": str(request.url_for(hit.route, **hit.params)),
        }
        for kind, hit in found.hits
    ]
    return {
        "items": items,
        "total": sum(found.totals.values()),
        "totals": found.totals,
        "next_cursor": found.cursor,
    }


routes = [Route("/search", search_page, name="search")]
api_routes = [
    api.ApiRoute(
        "/search",
        search_api,
        name="search",
        query=SearchQuery,
        response=SearchResults,
        tags=["search"],
        errors=(429,),
    )
]
